package compliancebench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
)

func load(t testing.TB) *agreement.Agreement {
	a, err := agreement.Load("../../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRunSmall(t *testing.T) {
	a := load(t)
	var out bytes.Buffer
	if err := Run(context.Background(), Config{Agreement: a, Observations: 20000, Days: 3, Seed: 1}, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	for _, want := range []string{"generated   20000 observations", "clustered", "evaluated", "RE-EVALUATION: the incidents of 20000 observations"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	f, err := Measure(context.Background(), Config{Agreement: a, Observations: 20000, Days: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if f.Incidents >= f.Observations || f.Incidents < f.Observations/4 || f.Violations == 0 || f.Cases == 0 || f.Tallies == 0 {
		t.Fatalf("implausible figures: %+v", f)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a := load(t)
	x, _ := Generate(a, 1000, 2, 7)
	y, _ := Generate(a, 1000, 2, 7)
	if len(x) != 1000 {
		t.Fatalf("%d records", len(x))
	}
	for i := range x {
		if x[i].ID != y[i].ID || x[i].ObservedAt != y[i].ObservedAt {
			t.Fatal("same seed, different records")
		}
	}
}

// BenchmarkReevaluate evaluates the incidents of 1,000,000 observations
// against the example agreement (clustered and verified once, outside the
// timer). Run: go test -bench Reevaluate -benchtime 3x ./compliance/compliancebench
func BenchmarkReevaluate(b *testing.B) {
	a := load(b)
	recs, err := Generate(a, 1_000_000, 30, 1)
	if err != nil {
		b.Fatal(err)
	}
	end := recs[len(recs)-1].ObservedAt
	tr := incident.NewTracker(incident.DefaultConfig(), func() time.Time { return end })
	for _, r := range recs {
		tr.Add(r)
	}
	for _, inc := range tr.Incidents() {
		if inc.Status == incident.Corroborated {
			tr.Decide(inc.ID, "analyst", incident.OutcomeVerified, "", "")
		}
	}
	ev, err := compliance.New(a, compliance.DefaultPolicy())
	if err != nil {
		b.Fatal(err)
	}
	incs := tr.Incidents()
	b.ResetTimer()
	for range b.N {
		if _, err := ev.Evaluate(context.Background(), compliance.Inputs{Incidents: incs}, end); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "observations/s")
}

// BenchmarkCluster clusters 100,000 observations per iteration.
func BenchmarkCluster(b *testing.B) {
	a := load(b)
	recs, err := Generate(a, 100_000, 3, 1)
	if err != nil {
		b.Fatal(err)
	}
	end := recs[len(recs)-1].ObservedAt
	b.ResetTimer()
	for range b.N {
		tr := incident.NewTracker(incident.DefaultConfig(), func() time.Time { return end })
		for _, r := range recs {
			tr.Add(r)
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "observations/s")
}
