package geo

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// zigzag is the reviewer's line: n points zig-zagging over 60° of
// longitude (about 60 KB of GeoJSON for n = 2000).
func zigzag(n int) orb.LineString {
	ls := make(orb.LineString, n)
	for i := range ls {
		lon := 0.0
		if i%2 == 1 {
			lon = 60
		}
		ls[i] = orb.Point{lon, 30 + float64(i)*0.01}
	}
	return ls
}

// A line that would need more arcs than MaxLineArcs is refused before
// anything is allocated for it.
func TestNewLineBoundsWork(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := NewLine(zigzag(2000))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "too complex") {
		t.Fatalf("got %v, want a refusal", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("refusing the line allocated %d bytes", got)
	}
	// Far below the limit: accepted, and a few long straight segments are
	// not split more than the drawn line's curvature needs.
	l, err := NewLine(zigzag(20))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(l.segs); n > 20_000 {
		t.Errorf("20 points became %d arcs", n)
	}
	// A meridian is a great circle: it needs no splitting beyond 1°.
	l, err = NewLine(orb.LineString{{30, 40}, {30, 50}})
	if err != nil || len(l.segs) != 10 {
		t.Errorf("meridian: %d arcs, %v", len(l.segs), err)
	}
}

// The arcs follow the line as drawn (straight in longitude and latitude)
// closely enough to keep distances within 0.5%, even for long segments at
// high latitude.
func TestLineDistanceLongSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 4 {
		ls := orb.LineString{{r.Float64()*40 - 20, r.Float64()*120 - 60}}
		for range 3 {
			last := ls[len(ls)-1]
			ls = append(ls, orb.Point{max(-180, min(180, last[0]+(r.Float64()-0.5)*30)), max(-70, min(70, last[1]+(r.Float64()-0.5)*20))})
		}
		l, err := NewLine(ls)
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			p := orb.Point{ls[0][0] + (r.Float64()-0.5)*20, max(-80, min(80, ls[0][1]+(r.Float64()-0.5)*20))}
			want := bruteDistanceKm(ls, p)
			if got := l.DistanceKm(p); math.Abs(got-want) > 0.005*want+0.06 {
				t.Errorf("%v to %v: got %.3f km, want %.3f", p, ls, got, want)
			}
		}
	}
}

// Measure's index skips only arcs that cannot be nearer: it finds the same
// distance and side as a scan of every arc.
func TestMeasureIndexMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var ml orb.MultiLineString
	for range 5 {
		ls := orb.LineString{{30 + r.Float64()*10, 45 + r.Float64()*5}}
		for range 400 {
			last := ls[len(ls)-1]
			ls = append(ls, orb.Point{last[0] + (r.Float64()-0.5)*0.3, last[1] + (r.Float64()-0.5)*0.3})
		}
		ml = append(ml, ls)
	}
	l, err := NewLine(ml)
	if err != nil {
		t.Fatal(err)
	}
	for range 2000 {
		p := orb.Point{25 + r.Float64()*20, 40 + r.Float64()*15}
		if r.IntN(4) == 0 { // close to the line, where sides are decided
			q := ml[r.IntN(len(ml))][r.IntN(401)]
			p = orb.Point{q[0] + (r.Float64()-0.5)*0.01, q[1] + (r.Float64()-0.5)*0.01}
		}
		km, side := l.Measure(p)
		wantKm, wantSide := l.measureScan(p)
		if km != wantKm || side != wantSide {
			t.Fatalf("%v: index %.9f km %v, scan %.9f km %v", p, km, side, wantKm, wantSide)
		}
	}
}

func BenchmarkNewLineBig(b *testing.B) {
	ls := make(orb.LineString, 100_000)
	for i := range ls {
		ls[i] = orb.Point{30 + float64(i)*0.0001, 47 + math.Sin(float64(i)/100)}
	}
	for b.Loop() {
		if _, err := NewLine(ls); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMeasureBig(b *testing.B) {
	ls := make(orb.LineString, 100_000)
	for i := range ls {
		ls[i] = orb.Point{30 + float64(i)*0.0001, 47 + math.Sin(float64(i)/100)}
	}
	l, _ := NewLine(ls)
	p := orb.Point{35, 47.5}
	for b.Loop() {
		l.Measure(p)
	}
}

// measureScan is Measure without the index: every arc is looked at.
func (l *Line) measureScan(p orb.Point) (float64, Side) {
	pv := toVec(p)
	best := nearest{cos: -2}
	l.scan(pv, 0, len(l.segs), &best)
	return l.finish(pv, p, best)
}
