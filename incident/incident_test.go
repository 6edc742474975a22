package incident

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

var t0 = time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTracker() (*Tracker, *clock) {
	c := &clock{t0.Add(time.Hour)}
	return NewTracker(DefaultConfig(), c.now), c
}

func rec(id, reporter string, st vocab.SourceType, grade vocab.Grade, cat vocab.Category, count int, at time.Time) *observation.Record {
	return &observation.Record{Observation: observation.Observation{
		ID: id, ObservedAt: at, TimePrecision: observation.PrecisionMinute, SignedAt: at,
		Category: cat, Count: count, SourceType: st, Grade: grade, Reporter: reporter,
	}}
}

func pos(p orb.Point, km float64) *observation.Position {
	return &observation.Position{Lon: p[0], Lat: p[1], UncertaintyM: km * 1000}
}

// bearingTo is the initial bearing from p to q on the sphere (enough for
// test geometry a few tens of kilometres long).
func bearingTo(p, q orb.Point) float64 {
	φ1, φ2 := p[1]*math.Pi/180, q[1]*math.Pi/180
	dλ := (q[0] - p[0]) * math.Pi / 180
	y := math.Sin(dλ) * math.Cos(φ2)
	x := math.Cos(φ1)*math.Sin(φ2) - math.Sin(φ1)*math.Cos(φ2)*math.Cos(dλ)
	return math.Mod(math.Atan2(y, x)*180/math.Pi+360, 360)
}

func mustAdd(t *testing.T, tr *Tracker, r *observation.Record) *Incident {
	t.Helper()
	inc, err := tr.Add(r)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestCombineCounts(t *testing.T) {
	r := func(reporter string, cat vocab.Category, n int) Report {
		return Report{Reporter: reporter, Category: cat, Count: n}
	}
	tests := []struct {
		name    string
		reports []Report
		want    map[vocab.Category]int
	}{
		{"three patrols hear the same 30", []Report{r("p1", vocab.Explosion, 30), r("p2", vocab.Explosion, 30), r("p3", vocab.Explosion, 30)}, map[vocab.Category]int{vocab.Explosion: 30}},
		{"one reporter's successive reports add up", []Report{r("p1", vocab.Explosion, 10), r("p1", vocab.Explosion, 5), r("p2", vocab.Explosion, 12)}, map[vocab.Category]int{vocab.Explosion: 15}},
		{"categories are counted apart", []Report{r("p1", vocab.Explosion, 4), r("p2", vocab.MuzzleFlash, 2), r("p2", vocab.Explosion, 6)}, map[vocab.Category]int{vocab.Explosion: 6, vocab.MuzzleFlash: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CombineCounts(tc.reports)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIndependentSources(t *testing.T) {
	r := func(reporter string, st vocab.SourceType) Report { return Report{Reporter: reporter, SourceType: st} }
	tests := []struct {
		reports []Report
		want    int
	}{
		{[]Report{r("p1", vocab.Patrol), r("p2", vocab.Patrol), r("p3", vocab.Patrol)}, 1},
		{[]Report{r("p1", vocab.Patrol), r("c1", vocab.StaticCamera)}, 2},
		{[]Report{r("u1", vocab.UAV), r("u1", vocab.StaticCamera)}, 1}, // one reporter, two types
		// u1 may stand as camera so that p1 and p2 cannot both be patrols.
		{[]Report{r("u1", vocab.UAV), r("u1", vocab.Patrol), r("p1", vocab.Patrol), r("c2", vocab.UAV)}, 2},
		{[]Report{r("a", vocab.UAV), r("a", vocab.Patrol), r("b", vocab.Patrol), r("c", vocab.Satellite)}, 3},
	}
	for i, tc := range tests {
		if got := IndependentSources(tc.reports); got != tc.want {
			t.Errorf("%d: %d independent sources, want %d", i, got, tc.want)
		}
	}
}

func TestCorroboration(t *testing.T) {
	rule := DefaultCorroboration
	r := func(reporter string, st vocab.SourceType, g vocab.Grade) Report {
		return Report{Reporter: reporter, SourceType: st, Grade: g}
	}
	tests := []struct {
		name    string
		reports []Report
		want    bool
	}{
		{"lone C3 patrol", []Report{r("p1", vocab.Patrol, "C3")}, false},
		{"lone B2 patrol (direct)", []Report{r("p1", vocab.Patrol, "B2")}, true},
		{"lone A1 OSINT (not direct)", []Report{r("o1", vocab.OpenSource, "A1")}, false},
		{"lone A1 party complaint", []Report{r("l1", vocab.PartyComplaint, "A1")}, false},
		{"two C3 patrols", []Report{r("p1", vocab.Patrol, "C3"), r("p2", vocab.Patrol, "C3")}, false},
		{"C3 patrol and C3 camera", []Report{r("p1", vocab.Patrol, "C3"), r("c1", vocab.StaticCamera, "C3")}, true},
		{"party complaint and OSINT", []Report{r("l1", vocab.PartyComplaint, "C3"), r("o1", vocab.OpenSource, "C3")}, true},
	}
	for _, tc := range tests {
		if got := rule.Satisfied(tc.reports); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	strict := Corroboration{MinIndependent: 3}
	if strict.Satisfied([]Report{r("p1", vocab.Patrol, "A1"), r("c1", vocab.StaticCamera, "A1")}) {
		t.Error("a rule of three independent sources accepted two")
	}
}

func TestTriangulate(t *testing.T) {
	origin := orb.Point{38.00, 48.45}
	observers := []orb.Point{{37.80, 48.38}, {37.78, 48.52}, {37.80, 48.56}}
	var bs []Bearing
	for _, o := range observers {
		bs = append(bs, Bearing{From: o, Deg: bearingTo(o, origin), ErrDeg: 2, MaxKm: 30})
	}
	fix, err := Triangulate(bs)
	if err != nil {
		t.Fatal(err)
	}
	if d := geo.DistanceKm(fix.Point, origin); d > 0.1 {
		t.Fatalf("exact bearings: fix %v is %.3f km off", fix.Point, d)
	}
	// Biased bearings still cover the origin within the stated radius.
	bs[0].Deg += 1.5
	bs[1].Deg -= 1
	fix, err = Triangulate(bs)
	if err != nil {
		t.Fatal(err)
	}
	if d := geo.DistanceKm(fix.Point, origin); d > fix.RadiusKm {
		t.Fatalf("biased bearings: fix %.3f km off, radius %.3f km", d, fix.RadiusKm)
	}
	// Parallel bearings do not fix anything.
	if _, err := Triangulate([]Bearing{{From: observers[0], Deg: 90, ErrDeg: 2, MaxKm: 20}, {From: observers[1], Deg: 92, ErrDeg: 2, MaxKm: 20}}); err != ErrNoFix {
		t.Fatalf("parallel bearings: %v", err)
	}
}

// TestClusterGroundTruth generates well-separated events, each reported by
// one to four sources with jitter inside their stated uncertainty, in
// shuffled order, and checks the clustering recovers exactly the events.
func TestClusterGroundTruth(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type event struct {
		at   orb.Point
		when time.Time
		fam  vocab.Category
		n    int
	}
	var events []event
	for i := range 200 {
		// A grid 0.3° apart (over 20 km), times 40 minutes apart at a
		// shared place: no two events can be confused.
		events = append(events, event{
			at:   orb.Point{36.0 + 0.3*float64(i%10), 47.5 + 0.3*float64((i/10)%5)},
			when: t0.Add(time.Duration(i/50) * 40 * time.Minute),
			fam:  []vocab.Category{vocab.Explosion, vocab.HeavyWeaponSighted, vocab.TroopMovement}[i%3],
			n:    1 + rng.IntN(4),
		})
	}
	var recs []*observation.Record
	truth := map[string]int{}
	sources := []vocab.SourceType{vocab.Patrol, vocab.StaticCamera, vocab.UAV, vocab.AcousticSensor}
	for i, e := range events {
		for k := range e.n {
			u := 0.2 + rng.Float64()*0.8 // km
			ang, dist := rng.Float64()*2*math.Pi, rng.Float64()*u
			p := orb.Point{e.at[0] + dist*math.Sin(ang)/(111.2*math.Cos(e.at[1]*math.Pi/180)), e.at[1] + dist*math.Cos(ang)/111.2}
			id := fmt.Sprintf("e%03d-r%d", i, k)
			r := rec(id, fmt.Sprintf("src-%d", k), sources[k], "C3", e.fam, 1+rng.IntN(20), e.when.Add(time.Duration(rng.IntN(10))*time.Minute))
			r.Target = pos(p, u)
			recs = append(recs, r)
			truth[id] = i
		}
	}
	rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	tr, _ := newTracker()
	for _, r := range recs {
		mustAdd(t, tr, r)
	}
	if n := len(tr.Incidents()); n != len(events) {
		t.Fatalf("%d incidents for %d events", n, len(events))
	}
	for _, inc := range tr.Incidents() {
		want := truth[inc.Reports[0].ID]
		for _, r := range inc.Reports {
			if truth[r.ID] != want {
				t.Fatalf("incident %s mixes events %d and %d", inc.ID, want, truth[r.ID])
			}
		}
		if d := geo.DistanceKm(inc.Location.Point, events[want].at); d > inc.Location.RadiusKm+0.01 {
			t.Errorf("incident %s located %.2f km from its event, radius %.2f", inc.ID, d, inc.Location.RadiusKm)
		}
	}
}

func TestClusterSeparates(t *testing.T) {
	p := orb.Point{37.5, 48.0}
	far := orb.Point{37.5, 48.1} // 11 km north
	tests := []struct {
		name string
		a, b func() *observation.Record
		same bool
	}{
		{"same place and time", func() *observation.Record {
			r := rec("a", "p1", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Target = pos(p, 0.5)
			return r
		}, func() *observation.Record {
			r := rec("b", "c1", vocab.StaticCamera, "C3", vocab.MuzzleFlash, 2, t0.Add(5*time.Minute))
			r.Target = pos(orb.Point{37.51, 48.005}, 0.5)
			return r
		}, true},
		{"11 km apart", func() *observation.Record {
			r := rec("a", "p1", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Target = pos(p, 0.5)
			return r
		}, func() *observation.Record {
			r := rec("b", "p2", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Target = pos(far, 0.5)
			return r
		}, false},
		{"11 km apart, but 10 km uncertain", func() *observation.Record {
			r := rec("a", "p1", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Target = pos(p, 0.5)
			return r
		}, func() *observation.Record {
			r := rec("b", "p2", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Target = pos(far, 10)
			return r
		}, true},
		{"an hour apart", func() *observation.Record {
			r := rec("a", "p1", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Target = pos(p, 0.5)
			return r
		}, func() *observation.Record {
			r := rec("b", "p2", vocab.Patrol, "C3", vocab.Explosion, 3, t0.Add(time.Hour))
			r.Target = pos(p, 0.5)
			return r
		}, false},
		{"other family", func() *observation.Record {
			r := rec("a", "p1", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Target = pos(p, 0.5)
			return r
		}, func() *observation.Record {
			r := rec("b", "p2", vocab.Patrol, "C3", vocab.CivilianCasualty, 1, t0)
			r.Target = pos(p, 0.5)
			return r
		}, false},
		{"bearings that do not cross", func() *observation.Record {
			r := rec("a", "p1", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Observer, r.Fire = pos(p, 0.05), &observation.Fire{BearingDeg: 90, BearingErr: 2}
			return r
		}, func() *observation.Record {
			r := rec("b", "p2", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Observer, r.Fire = pos(far, 0.05), &observation.Fire{BearingDeg: 0, BearingErr: 2}
			return r
		}, false},
		{"bearings that cross", func() *observation.Record {
			r := rec("a", "p1", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Observer, r.Fire = pos(p, 0.05), &observation.Fire{BearingDeg: 45, BearingErr: 2}
			return r
		}, func() *observation.Record {
			r := rec("b", "p2", vocab.Patrol, "C3", vocab.Explosion, 3, t0)
			r.Observer, r.Fire = pos(far, 0.05), &observation.Fire{BearingDeg: 135, BearingErr: 2}
			return r
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, _ := newTracker()
			a := mustAdd(t, tr, tc.a())
			b := mustAdd(t, tr, tc.b())
			if (a.ID == b.ID) != tc.same {
				t.Fatalf("same incident: %v, want %v", a.ID == b.ID, tc.same)
			}
		})
	}
}

// TestThreePatrols: three patrols hear the same 30 explosions and take
// bearings; one incident of 30, its origin triangulated near the truth.
func TestThreePatrols(t *testing.T) {
	origin := orb.Point{38.00, 48.45}
	tr, _ := newTracker()
	var inc *Incident
	for i, o := range []orb.Point{{37.80, 48.38}, {37.78, 48.52}, {37.80, 48.56}} {
		r := rec(fmt.Sprintf("p%d", i), fmt.Sprintf("patrol-%d", i), vocab.Patrol, "C2", vocab.Explosion, 30, t0.Add(time.Duration(i)*time.Minute))
		r.Observer = pos(o, 0.05)
		r.Fire = &observation.Fire{BearingDeg: math.Round(bearingTo(o, origin)), BearingErr: 3, DistanceMaxM: 30000}
		inc = mustAdd(t, tr, r)
	}
	if len(tr.Incidents()) != 1 || inc.Counts[vocab.Explosion] != 30 || inc.Version != 3 {
		t.Fatalf("%d incidents; counts %v; version %d", len(tr.Incidents()), inc.Counts, inc.Version)
	}
	if d := geo.DistanceKm(inc.Origin.Point, origin); d > inc.Origin.RadiusKm || d > 1 {
		t.Fatalf("origin %.2f km off (radius %.2f)", d, inc.Origin.RadiusKm)
	}
	if inc.Corroborated {
		t.Fatal("three C-graded patrols of one kind corroborated")
	}
	// Replaying a record is a no-op.
	r := rec("p0", "patrol-0", vocab.Patrol, "C2", vocab.Explosion, 30, t0)
	if again := mustAdd(t, tr, r); again != inc || inc.Version != 3 {
		t.Fatal("replay changed the incident")
	}
}

// FuzzTracker feeds arbitrary report geometry and times to the clusterer:
// it must not panic, must keep every observation in exactly one incident,
// and must never produce NaN positions or counts above the reports' sum.
func FuzzTracker(f *testing.F) {
	f.Add(37.5, 48.0, 0.5, 90.0, 2.0, int64(0), 37.6, 48.1, 3.0, 270.0, 0.0, int64(300))
	f.Add(0.0, 89.9, 0.0, 0.0, 0.0, int64(-5), 180.0, -90.0, 250.0, 359.9, 45.0, int64(1e6))
	f.Fuzz(func(t *testing.T, lon1, lat1, u1, b1, e1 float64, s1 int64, lon2, lat2, u2, b2, e2 float64, s2 int64) {
		ok := func(lon, lat, u, b, e float64) bool {
			for _, v := range []float64{lon, lat, u, b, e} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return false
				}
			}
			return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 && u >= 0 && u <= 250 && b >= 0 && b < 360 && e >= 0 && e < 90
		}
		if !ok(lon1, lat1, u1, b1, e1) || !ok(lon2, lat2, u2, b2, e2) {
			return
		}
		tr, _ := newTracker()
		var reports []*observation.Record
		for i, g := range [][6]float64{{lon1, lat1, u1, b1, e1, float64(s1 % 1e6)}, {lon2, lat2, u2, b2, e2, float64(s2 % 1e6)}} {
			at := t0.Add(time.Duration(g[5]) * time.Second)
			for k := range 3 {
				r := rec(fmt.Sprintf("f%d-%d", i, k), fmt.Sprintf("r%d", k), vocab.Patrol, "B2", vocab.Explosion, 1+k, at)
				switch k {
				case 0:
					r.Target = pos(orb.Point{g[0], g[1]}, g[2])
				case 1:
					r.Observer, r.Fire = pos(orb.Point{g[0], g[1]}, g[2]), &observation.Fire{BearingDeg: g[3], BearingErr: g[4]}
				case 2:
					r.Origin = pos(orb.Point{g[0], g[1]}, g[2])
				}
				reports = append(reports, r)
				if _, err := tr.Add(r); err != nil {
					t.Fatal(err)
				}
			}
		}
		seen := map[string]int{}
		for _, inc := range tr.Incidents() {
			sum := 0
			for _, r := range inc.Reports {
				seen[r.ID]++
				sum += r.Count
			}
			for _, n := range inc.Counts {
				if n > sum {
					t.Fatalf("count %d above the reports' sum %d", n, sum)
				}
			}
			for _, d := range []*Disc{inc.Location, inc.Origin} {
				if d != nil && (math.IsNaN(d.Point[0]) || math.IsNaN(d.Point[1]) || math.IsNaN(d.RadiusKm)) {
					t.Fatalf("NaN position %+v", d)
				}
			}
		}
		for _, r := range reports {
			if seen[r.ID] != 1 {
				t.Fatalf("observation %s in %d incidents", r.ID, seen[r.ID])
			}
		}
	})
}
