package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// vincentyKm is Vincenty's inverse formula on the WGS 84 ellipsoid: an
// independent reference (iterative, ellipsoidal) for the package's faster
// sphere-plus-curvature method.
func vincentyKm(p1, p2 orb.Point) float64 {
	const a, f = 6378137.0, 1 / 298.257223563
	b := a * (1 - f)
	rad := math.Pi / 180
	L := (p2[0] - p1[0]) * rad
	U1 := math.Atan((1 - f) * math.Tan(p1[1]*rad))
	U2 := math.Atan((1 - f) * math.Tan(p2[1]*rad))
	sinU1, cosU1 := math.Sincos(U1)
	sinU2, cosU2 := math.Sincos(U2)
	lambda := L
	var sinSigma, cosSigma, sigma, cos2Alpha, cos2SigmaM float64
	for range 200 {
		sinL, cosL := math.Sincos(lambda)
		sinSigma = math.Hypot(cosU2*sinL, cosU1*sinU2-sinU1*cosU2*cosL)
		if sinSigma == 0 {
			return 0
		}
		cosSigma = sinU1*sinU2 + cosU1*cosU2*cosL
		sigma = math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinL / sinSigma
		cos2Alpha = 1 - sinAlpha*sinAlpha
		cos2SigmaM = 0
		if cos2Alpha != 0 {
			cos2SigmaM = cosSigma - 2*sinU1*sinU2/cos2Alpha
		}
		C := f / 16 * cos2Alpha * (4 + f*(4-3*cos2Alpha))
		prev := lambda
		lambda = L + (1-C)*f*sinAlpha*(sigma+C*sinSigma*(cos2SigmaM+C*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
		if math.Abs(lambda-prev) < 1e-12 {
			break
		}
	}
	u2 := cos2Alpha * (a*a - b*b) / (b * b)
	A := 1 + u2/16384*(4096+u2*(-768+u2*(320-175*u2)))
	B := u2 / 1024 * (256 + u2*(-128+u2*(74-47*u2)))
	dSigma := B * sinSigma * (cos2SigmaM + B/4*(cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)-B/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*cos2SigmaM*cos2SigmaM)))
	return b * A * (sigma - dSigma) / 1000
}

func within(got, want, frac float64) bool { return math.Abs(got-want) <= frac*want }

// Published WGS 84 lengths of one degree (e.g. the tables in
// https://en.wikipedia.org/wiki/Length_of_a_degree): these are where a
// sphere is most wrong.
func TestDistanceKnownDegrees(t *testing.T) {
	tests := []struct {
		name string
		a, b orb.Point
		km   float64
	}{
		{"1° of latitude at the equator", orb.Point{0, -0.5}, orb.Point{0, 0.5}, 110.574},
		{"1° of latitude at 45°", orb.Point{10, 44.5}, orb.Point{10, 45.5}, 111.132},
		{"1° of latitude near the pole", orb.Point{10, 88.5}, orb.Point{10, 89.5}, 111.69},
		{"1° of longitude at the equator", orb.Point{0, 0}, orb.Point{1, 0}, 111.320},
		{"1° of longitude at 60°", orb.Point{30, 60}, orb.Point{31, 60}, 55.800},
		{"across the antimeridian", orb.Point{179.5, 0}, orb.Point{-179.5, 0}, 111.320},
	}
	for _, tt := range tests {
		if got := DistanceKm(tt.a, tt.b); !within(got, tt.km, 0.001) {
			t.Errorf("%s: got %.3f km, want %.3f", tt.name, got, tt.km)
		}
	}
}

// Random pairs up to ~400 km apart over Ukraine agree with Vincenty within 0.1%.
func TestDistanceAgainstVincenty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		a := orb.Point{22 + r.Float64()*18, 44 + r.Float64()*8}
		b := orb.Point{a[0] + (r.Float64()-0.5)*5, a[1] + (r.Float64()-0.5)*3}
		want := vincentyKm(a, b)
		if got := DistanceKm(a, b); want > 0.01 && !within(got, want, 0.001) {
			t.Fatalf("%v–%v: got %.4f km, Vincenty %.4f", a, b, got, want)
		}
	}
}

// bruteDistanceKm samples the line every ~50 m and takes the smallest
// Vincenty distance: slow, but independent of the cross-track method.
func bruteDistanceKm(ls orb.LineString, p orb.Point) float64 {
	best := math.Inf(1)
	for i := 1; i < len(ls); i++ {
		a, b := ls[i-1], ls[i]
		n := int(vincentyKm(a, b)/0.05) + 1
		for k := 0; k <= n; k++ {
			f := float64(k) / float64(n)
			q := orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
			best = min(best, vincentyKm(p, q))
		}
	}
	return best
}

func TestLineDistance(t *testing.T) {
	// An illustrative front: Kherson → Zaporizhzhia → Donetsk → Luhansk.
	front := orb.LineString{{32.6, 46.6}, {35.1, 47.5}, {37.8, 48.0}, {38.3, 48.6}, {38.0, 49.6}}
	l, err := NewLine(front)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []orb.Point{
		{33.5, 47.3}, {35.1, 47.0}, {36.5, 47.3}, {38.0, 49.0}, {31.0, 46.0},
		{39.0, 50.5}, {36.0, 48.3}, {37.8, 48.1}, {35.1, 47.5},
	} {
		want := bruteDistanceKm(front, p)
		got := l.DistanceKm(p)
		if math.Abs(got-want) > 0.005*want+0.06 { // 0.5% plus the sampling step
			t.Errorf("%v: got %.3f km, want %.3f", p, got, want)
		}
	}
}

func TestLineSide(t *testing.T) {
	eastward := orb.LineString{{30, 48}, {35, 48}}
	vee := orb.LineString{{30, 48}, {32, 50}, {34, 48}}
	westward := orb.LineString{{35, 48}, {30, 48}}
	tests := []struct {
		name string
		line orb.LineString
		p    orb.Point
		want Side
	}{
		{"north of an eastward line", eastward, orb.Point{32, 49}, Left},
		{"south of an eastward line", eastward, orb.Point{32, 47}, Right},
		{"north of a westward line", westward, orb.Point{32, 49}, Right},
		{"beyond the start", eastward, orb.Point{29, 48.5}, Left},
		{"beyond the end", eastward, orb.Point{36, 47.5}, Right},
		{"above the apex", vee, orb.Point{32, 51}, Left},
		{"inside the vee, nearest the apex", vee, orb.Point{32, 49.5}, Right},
		{"past the end of the second leg", vee, orb.Point{36, 48}, Left},
		{"on the line", eastward, orb.Point{30, 48}, On},
	}
	for _, tt := range tests {
		l, err := NewLine(tt.line)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Side(tt.p); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewLineRejects(t *testing.T) {
	for _, g := range []orb.Geometry{
		orb.LineString{{30, 48}},
		orb.LineString{{30, 48}, {30, 48}},
		orb.LineString{{30, 48}, {200, 48}},
		orb.Polygon{},
		orb.MultiLineString{{{30, 48}, {31, 48}}, {{1, 1}}},
	} {
		if _, err := NewLine(g); err == nil {
			t.Errorf("NewLine(%v) accepted", g)
		}
	}
}

// Compliance measures every sighting against every line: no allocation.
func TestMeasureDoesNotAllocate(t *testing.T) {
	l, _ := NewLine(orb.LineString{{32.6, 46.6}, {35.1, 47.5}, {37.8, 48.0}})
	if n := testing.AllocsPerRun(100, func() { l.Measure(orb.Point{34, 47}) }); n != 0 {
		t.Fatalf("Measure allocates %v times", n)
	}
}

func BenchmarkMeasure500(b *testing.B) {
	ls := make(orb.LineString, 500)
	for i := range ls {
		ls[i] = orb.Point{30 + float64(i)*0.02, 47 + math.Sin(float64(i)/10)}
	}
	l, _ := NewLine(ls)
	p := orb.Point{35, 47.5}
	for b.Loop() {
		l.Measure(p)
	}
}

func TestAreaAndLength(t *testing.T) {
	// A 1°×1° cell at the equator is about 111.3 × 110.6 km.
	cell := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}
	if got := AreaKm2(cell); !within(got, 12364, 0.01) {
		t.Errorf("area %.0f km², want ≈12364", got)
	}
	if got := LengthKm(orb.LineString{{0, 0}, {1, 0}, {2, 0}}); !within(got, 222.64, 0.001) {
		t.Errorf("length %.2f km, want 222.64", got)
	}
	if got := AreaKm2(orb.LineString{{0, 0}, {1, 0}}); got != 0 {
		t.Errorf("a line has area %v", got)
	}
}

func TestContains(t *testing.T) {
	withHole := orb.Polygon{
		{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
		{{4, 4}, {6, 4}, {6, 6}, {4, 6}, {4, 4}},
	}
	tests := []struct {
		g    orb.Geometry
		p    orb.Point
		want bool
	}{
		{withHole, orb.Point{1, 1}, true},
		{withHole, orb.Point{5, 5}, false},
		{withHole, orb.Point{11, 5}, false},
		{withHole, orb.Point{0, 5}, true},
		{orb.MultiPolygon{withHole, {{{20, 20}, {21, 20}, {21, 21}, {20, 20}}}}, orb.Point{20.8, 20.5}, true},
		{orb.LineString{{0, 0}, {1, 1}}, orb.Point{0.5, 0.5}, false},
	}
	for _, tt := range tests {
		if got := Contains(tt.g, tt.p); got != tt.want {
			t.Errorf("Contains(%v, %v) = %v", tt.g, tt.p, got)
		}
	}
}

func TestValidate(t *testing.T) {
	square := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	tests := []struct {
		name string
		g    orb.Geometry
		want string // "" for valid; else "index: message" of the first issue
	}{
		{"square", orb.Polygon{square}, ""},
		{"square with a hole", orb.Polygon{square, {{0.2, 0.2}, {0.4, 0.2}, {0.4, 0.4}, {0.2, 0.2}}}, ""},
		{"line", orb.LineString{{30, 48}, {31, 49}}, ""},
		{"repeated point", orb.Polygon{{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}, ""},
		{"bow tie", orb.Polygon{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}, "[0 2]: ring intersects itself: segment 2–3 meets segment 0–1 of ring 0"},
		{"unclosed", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, "[0]: ring is not closed: last point [0 1] differs from first [0 0]"},
		{"too few points", orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, "[0]: a ring needs at least 4 points (the last repeating the first), got 3"},
		{"latitude out of range", orb.Polygon{{{0, 0}, {1, 0}, {1, 91}, {0, 0}}}, "[0 2]: coordinates [1 91] out of range: longitude must be within ±180, latitude within ±90"},
		{"hole crossing the shell", orb.Polygon{square, {{0.5, 0.5}, {1.5, 0.5}, {1.5, 0.7}, {0.5, 0.5}}}, "[1 0]: ring 0 crosses ring 1: segment 0–1 meets segment 1–2 of ring 0"},
		{"spike", orb.Polygon{{{0, 0}, {2, 0}, {1, 0}, {1, 1}, {0, 0}}}, "[0 1]: ring doubles back on itself: segment 1–2 meets segment 0–1 of ring 0"},
		{"one-point line", orb.LineString{{30, 48}}, "[]: a line needs at least 2 points, got 1"},
		{"multipolygon", orb.MultiPolygon{{square}, {{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}}, "[1 0 2]: ring intersects itself: segment 2–3 meets segment 0–1 of ring 0"},
	}
	for _, tt := range tests {
		issues := Validate(tt.g)
		var got string
		if len(issues) > 0 {
			got = fmt.Sprint(issues[0].Index) + ": " + issues[0].Message
		}
		if got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// A hostile outline whose segments all overlap in longitude is refused
// instead of taking quadratic time.
func TestValidateRefusesPathologicalOutlines(t *testing.T) {
	var ring orb.Ring
	for i := range 20000 {
		ring = append(ring, orb.Point{float64(i%2) * 10, float64(i) * 0.001})
	}
	ring = append(ring, orb.Point{-1, 20}, ring[0])
	issues := Validate(orb.Polygon{ring})
	if len(issues) == 0 {
		t.Fatal("accepted")
	}
}
