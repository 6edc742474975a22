package observation

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
)

// referenceJCS is the slow, obviously right way: encoding/json, then
// github.com/gowebpki/jcs.
func referenceJCS(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	c, err := jcs.Transform(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(c)
}

// recordJSON is Record as CanonicalRecord specifies it: without seq.
type recordJSON struct {
	Observation
	ReceivedAt  time.Time `json:"received_at"`
	PrincipalID string    `json:"principal_id"`
}

func checkAgainstReference(t *testing.T, o Observation) {
	t.Helper()
	got, err := canonicalObservation(o)
	if err != nil {
		t.Fatal(err)
	}
	ref := o
	ref.ObservedAt, ref.SignedAt = o.ObservedAt.UTC(), o.SignedAt.UTC()
	if want := referenceJCS(t, ref); string(got) != want {
		t.Fatalf("observation:\n got %s\nwant %s", got, want)
	}
	r := Record{Observation: o, ReceivedAt: o.SignedAt.Add(-1500 * time.Millisecond), PrincipalID: "p\u2028\"1\""}
	got, err = CanonicalRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceJCS(t, recordJSON{ref, r.ReceivedAt.UTC(), r.PrincipalID}); string(got) != want {
		t.Fatalf("record:\n got %s\nwant %s", got, want)
	}
	p := Public(r)
	got, err = CanonicalPublic(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceJCS(t, p); string(got) != want {
		t.Fatalf("public:\n got %s\nwant %s", got, want)
	}
}

func TestCanonicalMatchesReference(t *testing.T) {
	checkAgainstReference(t, validObservation())
	checkAgainstReference(t, Observation{}) // every optional member absent, zero times
	for _, v := range loadVectors(t) {
		o, err := Decode([]byte(v.Observation))
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstReference(t, o)
	}
	numbers := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 123456789.125, 1e20, 1e21, 1.5e300,
		5e-324, math.MaxFloat64, -48.0159, 37.80280000000001, 1 << 53, 1<<53 + 2}
	for _, f := range numbers {
		o := validObservation()
		o.Target.Lat, o.Target.Lon, o.CalibreMM, o.Fire.DistanceMaxM = f, -f, f, f
		checkAgainstReference(t, o)
	}
	for _, s := range []string{"", "plain", "quote\" backslash\\ slash/", "\x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f",
		"<script>&amp;", "\u2028\u2029", "Снаряди 💥", "bad \xff utf-8 \xc3", "\ufffd", "é vs e\u0301"} {
		o := validObservation()
		o.Narrative, o.Fire.Direction, o.Attribution.Party, o.Provenance.SourceID = s, s, s, s
		checkAgainstReference(t, o)
	}
	kyiv := time.FixedZone("EET", 2*3600)
	for _, ts := range []time.Time{
		time.Date(2026, 11, 20, 6, 15, 0, 0, kyiv),
		time.Date(2026, 11, 20, 6, 15, 0, 1, time.UTC),
		time.Date(2026, 11, 20, 6, 15, 0, 120_000_000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
	} {
		o := validObservation()
		o.ObservedAt, o.SignedAt = ts, ts
		checkAgainstReference(t, o)
	}
}

func TestCanonicalRefusesWhatJSONCannotCarry(t *testing.T) {
	for name, edit := range map[string]func(*Observation){
		"NaN":        func(o *Observation) { o.Target.Lat = math.NaN() },
		"infinity":   func(o *Observation) { o.Fire.BearingErr = math.Inf(-1) },
		"year 10000": func(o *Observation) { o.SignedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		o := validObservation()
		edit(&o)
		if _, err := SigningBytes(o); err == nil {
			t.Errorf("%s: SigningBytes accepted it", name)
		}
		if _, err := CanonicalRecord(Record{Observation: o}); err == nil {
			t.Errorf("%s: CanonicalRecord accepted it", name)
		}
	}
}

// FuzzCanonical compares the direct encoder with the reference on
// arbitrary numbers and strings.
func FuzzCanonical(f *testing.F) {
	f.Add(48.0159, 1e21, int64(0), "Снаряди\n", "W to E")
	f.Add(-0.0, 5e-324, int64(1_700_000_000_123_456_789), "\x00\xff", "\u2028")
	f.Fuzz(func(t *testing.T, a, b float64, nanos int64, s1, s2 string) {
		if math.IsNaN(a) || math.IsInf(a, 0) || math.IsNaN(b) || math.IsInf(b, 0) {
			return
		}
		o := validObservation()
		o.Target.Lat, o.Origin.UncertaintyM, o.CalibreMM = a, b, a
		o.Narrative, o.Fire.Direction = s1, s2
		o.Evidence = strings.Fields(s2)
		o.ObservedAt = time.Unix(0, nanos)
		checkAgainstReference(t, o)
	})
}
