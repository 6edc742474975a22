package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// record is the i-th report of one shelling, its fields varied so that
// every kind of report element (bearings, attribution, evidence, text
// that needs escaping) goes through the encoder.
func record(i int, at time.Time) *observation.Record {
	o := observation.Observation{
		ID:            fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		ObservedAt:    at.Add(time.Duration(i%50) * time.Minute),
		TimePrecision: "minute",
		Target:        &observation.Position{Lon: 37.62 + float64(i%5)*0.001, Lat: 48.47, UncertaintyM: 300 + float64(i%7)*10.5},
		Category:      vocab.Explosion,
		Count:         1 + i%4,
		SourceType:    vocab.Patrol,
		Grade:         "B2",
		Reporter:      fmt.Sprintf("reporter-%d \"<&>\" é", i%3),
	}
	if i%4 == 1 {
		o.Observer = &observation.Position{Lon: 37.60, Lat: 48.45, UncertaintyM: 10}
		o.Fire = &observation.Fire{BearingDeg: 45 + float64(i%3), BearingErr: 5, DistanceMinM: 1000, DistanceMaxM: 4000}
	}
	if i%5 == 2 {
		o.Attribution = &observation.Attribution{Party: "ua", Confidence: "low"}
		o.Evidence = []string{fmt.Sprintf("%064x", i)}
	}
	return &observation.Record{Observation: o, Seq: int64(i + 1), ReceivedAt: at.Add(time.Hour)}
}

func sameAsCanonical(t *testing.T, e *incidentEncoder, inc *incident.Incident) {
	t.Helper()
	want, err := canonical(inc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.encode(inc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s v%d (%d reports): encoder and CanonicalJSON differ\n got %.300s\nwant %.300s", inc.ID, inc.Version, len(inc.Reports), got, want)
	}
}

// The encoder's bodies are byte for byte pactwatch.CanonicalJSON's, for
// every version of a growing incident, after a merge and a split (which
// move reports and rewrite the history), and when an element changes in
// place.
func TestIncidentEncoderMatchesCanonical(t *testing.T) {
	at := time.Date(2027, 1, 20, 10, 0, 0, 0, time.UTC)
	clk := at.Add(3 * time.Hour)
	tr := incident.NewTracker(incident.DefaultConfig(), func() time.Time { clk = clk.Add(time.Second); return clk })
	var e incidentEncoder
	var inc *incident.Incident
	for i := range 60 {
		var err error
		if inc, err = tr.Add(record(i, at)); err != nil {
			t.Fatal(err)
		}
		sameAsCanonical(t, &e, inc)
	}
	if len(inc.Reports) < 40 {
		t.Fatalf("only %d reports clustered together", len(inc.Reports))
	}
	if e.cache[inc.ID] == nil {
		t.Fatal("a large incident was not cached")
	}

	// A second incident elsewhere, merged into the first, then split out.
	far := at.Add(30 * time.Minute)
	var other *incident.Incident
	for i := range 20 {
		r := record(1000+i, far)
		r.Observer, r.Fire = nil, nil
		r.Target = &observation.Position{Lon: 37.70, Lat: 48.47, UncertaintyM: 300}
		var err error
		if other, err = tr.Add(r); err != nil {
			t.Fatal(err)
		}
		sameAsCanonical(t, &e, other)
	}
	if other.ID == inc.ID {
		t.Fatal("the far reports joined the shelling")
	}
	if _, err := tr.Merge([]string{inc.ID, other.ID}, "analyst-1", "one shelling"); err != nil {
		t.Fatal(err)
	}
	sameAsCanonical(t, &e, inc)
	sameAsCanonical(t, &e, other)
	child, _, err := tr.Split(inc.ID, other.ObservationIDs(), "analyst-1", "two after all")
	if err != nil {
		t.Fatal(err)
	}
	sameAsCanonical(t, &e, inc)
	sameAsCanonical(t, &e, child)

	// An element changed in place (the engine never does, but the
	// encoder must not trust that).
	changed := *inc
	changed.Reports = append([]incident.Report(nil), inc.Reports...)
	changed.Reports[3].Count += 10
	changed.Reports[5].Evidence = []string{"ab"}
	changed.History = append([]incident.Change(nil), inc.History...)
	changed.History[2].Reason = "rewritten\u2028"
	sameAsCanonical(t, &e, &changed)
	sameAsCanonical(t, &e, inc)
}

// The encoder forgets everything once it holds maxCachedBytes, and still
// encodes correctly afterwards.
func TestIncidentEncoderBound(t *testing.T) {
	at := time.Date(2027, 1, 20, 10, 0, 0, 0, time.UTC)
	tr := incident.NewTracker(incident.DefaultConfig(), func() time.Time { return at.Add(3 * time.Hour) })
	var e incidentEncoder
	var inc *incident.Incident
	for i := range 20 {
		var err error
		if inc, err = tr.Add(record(i, at)); err != nil {
			t.Fatal(err)
		}
	}
	sameAsCanonical(t, &e, inc)
	e.cached = maxCachedBytes // as if full
	sameAsCanonical(t, &e, inc)
	if len(e.cache) != 1 || e.cached != e.cache[inc.ID].size {
		t.Fatalf("after reaching the bound: %d incidents, %d bytes cached", len(e.cache), e.cached)
	}
}

// sameReport and sameChange compare every field: a field added to
// incident.Report or incident.Change must be added to them too, or the
// encoder would reuse bytes that no longer match.
func TestSameCoversEveryField(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{incident.Report{}, "ID Seq Reporter SourceType Grade Category Count WeaponClass CalibreMM At Until Observer Target Origin Fire Attribution Evidence"},
		{incident.Change{}, "Version At By Action Reason Status Observations Related"},
	} {
		ty := reflect.TypeOf(c.v)
		var names []string
		for i := range ty.NumField() {
			names = append(names, ty.Field(i).Name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("%s has fields %s; update sameReport/sameChange in encode.go, then this list", ty, got)
		}
	}
	a := *record(1, time.Date(2027, 1, 20, 10, 0, 0, 0, time.UTC))
	r1, r2 := incident.FromRecord(&a), incident.FromRecord(&a)
	if !sameReport(&r1, &r2) {
		t.Fatal("equal reports differ")
	}
	r2.Fire.BearingErr++
	if sameReport(&r1, &r2) {
		t.Fatal("a changed bearing went unnoticed")
	}
	r2 = incident.FromRecord(&a)
	r2.Evidence = append(r2.Evidence, "x")
	if sameReport(&r1, &r2) {
		t.Fatal("added evidence went unnoticed")
	}
	r2 = incident.FromRecord(&a)
	r2.At = r2.At.In(time.FixedZone("x", 0))
	if sameReport(&r1, &r2) {
		t.Fatal("a time in another location (another JSON) went unnoticed")
	}
}

func TestMember(t *testing.T) {
	for _, c := range []struct {
		obj, key, want string
		ok             bool
	}{
		{`{"a":1,"b":null}`, "b", "null", true},
		{`{"a":1,"b":null}`, "a", "1", true},
		{`{"a":{"b":null},"c":[1,{"b":2}]}`, "b", "", false},
		{`{"a":{"b":null},"c":[1,{"b":2}]}`, "c", `[1,{"b":2}]`, true},
		{`{"a":"x\",\"b\":null","b":true}`, "b", "true", true},
		{`{"a\\":1,"b":"}"}`, "b", `"}"`, true},
		{`{"history":null,"id":"x"}`, "history", "null", true},
		{`{}`, "a", "", false},
		{`{"a":1`, "a", "", false},
		{`{"a"}`, "a", "", false},
		{`[1]`, "a", "", false},
		{``, "a", "", false},
		{`{"a":}`, "a", "", false},
	} {
		start, end, ok := member([]byte(c.obj), c.key)
		if ok != c.ok || ok && c.obj[start:end] != c.want {
			t.Errorf("member(%s, %q) = %d:%d %v, want %q %v", c.obj, c.key, start, end, ok, c.want, c.ok)
		}
	}
}

// FuzzMember: on any canonical JSON object, member finds exactly the
// members json.Unmarshal sees, with their values; on anything else (the
// encoder only gives it canonical JSON) it does not panic and stays within
// the input.
func FuzzMember(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":null}`, `{"a":{"b":[1,"]"]},"c":"\"}"}`, `{"reports":null,"history":[{"x":1}]}`, `[]`, `{"a":"\u2028"}`} {
		f.Add([]byte(s), "a")
	}
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		if start, end, ok := member(data, key); ok && (start < 0 || start > end || end > len(data)) {
			t.Fatalf("member(%q, %q) = %d:%d, outside the input", data, key, start, end)
		}
		obj, err := jcs.Transform(data)
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(obj, &m) != nil {
			return
		}
		for k, v := range m {
			start, end, ok := member(obj, k)
			if !ok {
				t.Fatalf("member(%s, %q) not found", obj, k)
			}
			want, err := jcs.Transform(v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(obj[start:end], want) {
				t.Fatalf("member(%s, %q) = %s, want %s", obj, k, obj[start:end], want)
			}
		}
		if _, ok := m[key]; !ok {
			if _, _, found := member(obj, key); found {
				t.Fatalf("member(%s, %q) found a member json.Unmarshal does not see", obj, key)
			}
		}
	})
}
