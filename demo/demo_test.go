package demo

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

func simulate(t *testing.T, seed int64, now time.Time) []observation.Observation {
	t.Helper()
	a, err := agreement.Default()
	if err != nil {
		t.Fatal(err)
	}
	g := &generator{rng: rand.New(rand.NewPCG(uint64(seed), 0x70616374)), line: contactLine(a, now)}
	var all []observation.Observation
	for _, m := range Monitors() {
		m.key = keyFor(seed, m.Name)
		g.place(m)
		all = append(all, g.history(m, now.Add(-48*time.Hour), now)...)
	}
	return all
}

// The same seed and clock give the same mission, signatures included;
// every report is valid, signed and plausible.
func TestSimulation(t *testing.T) {
	now := time.Date(2026, 11, 20, 19, 30, 0, 0, time.UTC)
	a, b := simulate(t, 7, now), simulate(t, 7, now)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the simulation is not deterministic")
	}
	if c := simulate(t, 8, now); reflect.DeepEqual(a, c) {
		t.Fatal("another seed gave the same simulation")
	}
	ids := map[string]bool{}
	counts := map[vocab.Family]int{}
	for _, o := range a {
		if err := o.Validate(now, time.Minute); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if o.Signature == "" || o.SignedAt.Before(o.ObservedAt) || o.SignedAt.After(now) {
			t.Fatalf("bad signing: %+v", o)
		}
		if ids[o.ID] {
			t.Fatalf("duplicate id %s", o.ID)
		}
		ids[o.ID] = true
		counts[o.Category.Family()]++
		for _, p := range []*observation.Position{o.Observer, o.Target, o.Origin} {
			// Around the Donbas and southern front, never elsewhere.
			if p != nil && (p.Lat < 45 || p.Lat > 52 || p.Lon < 30 || p.Lon > 41) {
				t.Fatalf("position off the front: %+v", p)
			}
		}
	}
	total := len(a)
	if total < 500 {
		t.Fatalf("only %d observations in two days", total)
	}
	// Mostly ceasefire violations, as real missions counted them, with
	// some heavy weapons, strikes and restrictions.
	if fire := counts[vocab.FamilyFire]; fire < total*6/10 {
		t.Errorf("ceasefire violations %d of %d", fire, total)
	}
	for _, f := range []vocab.Family{vocab.FamilyWeapons, vocab.FamilyStrike, vocab.FamilyMission} {
		if counts[f] == 0 {
			t.Errorf("no %s reports", f)
		}
	}
}

func TestGeometry(t *testing.T) {
	line := fallbackLine
	p := pointAlong(line, 0)
	if p != line[0] {
		t.Errorf("start %v", p)
	}
	if p := pointAlong(line, 1); p != line[len(line)-1] {
		t.Errorf("end %v", p)
	}
	// Offsetting 10 km moves the point about 10 km.
	base := pointAlong(line, 0.5)
	off := offset(line, 0.5, 10)
	if d := distanceM(base, off); d < 9900 || d > 10100 {
		t.Errorf("10 km offset moved %.0f m", d)
	}
	if b := bearing([2]float64{37, 48}, [2]float64{37, 49}); b > 0.001 && b < 359.999 {
		t.Errorf("bearing north = %v", b)
	}
	if b := bearing([2]float64{37, 48}, [2]float64{38, 48}); b < 89 || b > 91 {
		t.Errorf("bearing east = %v", b)
	}
	if c := compass(90); c != "W to E" {
		t.Errorf("compass(90) = %q", c)
	}
}
