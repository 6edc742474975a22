package pipeline_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/vocab"
)

// Summaries selects exactly what Incidents selects, in the same order,
// and each summary is SummaryOf the incident.
func TestSummariesMatchIncidents(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)}
	st := openStore(t, filepath.Join(t.TempDir(), "p.db"), clk)
	defer st.Close()
	seed(t, st, 0, 3, clk.now().Add(-3*time.Hour))
	seed(t, st, 3, 2, clk.now().Add(-30*time.Hour))
	pl := newPipeline(t, st, clk)
	if _, err := pl.Step(ctx); err != nil {
		t.Fatal(err)
	}
	queue, err := pl.Incidents(pipeline.Filter{})
	if err != nil || len(queue) == 0 {
		t.Fatalf("queue %d, %v", len(queue), err)
	}
	if _, _, err := pl.Decide(ctx, queue[0].ID, "analyst-1", incident.OutcomeVerified, "", "seen", nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []pipeline.Filter{
		{}, {Status: incident.Verified}, {Status: incident.Corroborated}, {Status: incident.Rejected},
		{Categories: []vocab.Category{vocab.Explosion}}, {Categories: []vocab.Category{vocab.DroneStrike}}, {Limit: 1},
	} {
		incs, err := pl.Incidents(f)
		if err != nil {
			t.Fatal(err)
		}
		sums, err := pl.Summaries(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != len(incs) {
			t.Fatalf("%+v: %d summaries, %d incidents", f, len(sums), len(incs))
		}
		for i := range incs {
			want := pipeline.SummaryOf(incs[i])
			// Times through JSON lose the monotonic clock reading only.
			if !reflect.DeepEqual(sums[i].Counts, want.Counts) || sums[i].ID != want.ID || sums[i].Status != want.Status ||
				!sums[i].First.Equal(want.First) || !sums[i].Last.Equal(want.Last) || !reflect.DeepEqual(sums[i].Location, want.Location) ||
				!reflect.DeepEqual(sums[i].Observer, want.Observer) || sums[i].Reports != want.Reports || sums[i].BestGrade != want.BestGrade {
				t.Errorf("%+v: summary %d\n got %+v\nwant %+v", f, i, sums[i], want)
			}
		}
	}
	// A summary is a copy: changing it changes nothing in the pipeline.
	sums, _ := pl.Summaries(pipeline.Filter{Status: incident.Verified})
	sums[0].Counts[vocab.Explosion] = 999
	if sums[0].Location != nil {
		sums[0].Location.RadiusKm = 999
	}
	again, _ := pl.Summaries(pipeline.Filter{Status: incident.Verified})
	if again[0].Counts[vocab.Explosion] == 999 || again[0].Location != nil && again[0].Location.RadiusKm == 999 {
		t.Error("Summaries shares state with the pipeline")
	}
}
