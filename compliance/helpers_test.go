package compliance_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

var (
	loadOnce  sync.Once
	ukraine   *agreement.Agreement
	evaluator *compliance.Evaluator
	loadErr   error
)

// example loads examples/ukraine and prepares it once for all tests.
func example(t testing.TB) (*agreement.Agreement, *compliance.Evaluator) {
	t.Helper()
	loadOnce.Do(func() {
		ukraine, loadErr = agreement.Load("../examples/ukraine/agreement.yaml")
		if loadErr == nil {
			evaluator, loadErr = compliance.New(ukraine, compliance.DefaultPolicy())
		}
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return ukraine, evaluator
}

// WGS 84, for the reference geodesics below: Vincenty's formulae, an
// implementation independent of package geo's.
const (
	wgsA = 6378137.0
	wgsF = 1 / 298.257223563
	wgsB = wgsA * (1 - wgsF)
)

func rad(d float64) float64 { return d * math.Pi / 180 }
func deg(r float64) float64 { return r * 180 / math.Pi }

// vincentyDirect returns the point km along the geodesic from p with the
// initial azimuth (degrees from north).
func vincentyDirect(p orb.Point, azimuth, km float64) orb.Point {
	s := km * 1000
	sinA1, cosA1 := math.Sincos(rad(azimuth))
	tanU1 := (1 - wgsF) * math.Tan(rad(p[1]))
	cosU1 := 1 / math.Sqrt(1+tanU1*tanU1)
	sinU1 := tanU1 * cosU1
	sigma1 := math.Atan2(tanU1, cosA1)
	sinAlpha := cosU1 * sinA1
	cos2Alpha := 1 - sinAlpha*sinAlpha
	uSq := cos2Alpha * (wgsA*wgsA - wgsB*wgsB) / (wgsB * wgsB)
	A := 1 + uSq/16384*(4096+uSq*(-768+uSq*(320-175*uSq)))
	B := uSq / 1024 * (256 + uSq*(-128+uSq*(74-47*uSq)))
	sigma := s / (wgsB * A)
	var sinSigma, cosSigma, cos2SigmaM float64
	for range 200 {
		cos2SigmaM = math.Cos(2*sigma1 + sigma)
		sinSigma, cosSigma = math.Sincos(sigma)
		dSigma := B * sinSigma * (cos2SigmaM + B/4*(cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)-
			B/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*cos2SigmaM*cos2SigmaM)))
		prev := sigma
		sigma = s/(wgsB*A) + dSigma
		if math.Abs(sigma-prev) < 1e-13 {
			break
		}
	}
	sinSigma, cosSigma = math.Sincos(sigma)
	cos2SigmaM = math.Cos(2*sigma1 + sigma)
	tmp := sinU1*sinSigma - cosU1*cosSigma*cosA1
	phi2 := math.Atan2(sinU1*cosSigma+cosU1*sinSigma*cosA1, (1-wgsF)*math.Sqrt(sinAlpha*sinAlpha+tmp*tmp))
	lambda := math.Atan2(sinSigma*sinA1, cosU1*cosSigma-sinU1*sinSigma*cosA1)
	C := wgsF / 16 * cos2Alpha * (4 + wgsF*(4-3*cos2Alpha))
	L := lambda - (1-C)*wgsF*sinAlpha*(sigma+C*sinSigma*(cos2SigmaM+C*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
	return orb.Point{p[0] + deg(L), deg(phi2)}
}

// vincentyInverse returns the geodesic distance in km from p to q and the
// initial azimuth at p.
func vincentyInverse(p, q orb.Point) (km, azimuth float64) {
	L := rad(q[0] - p[0])
	U1 := math.Atan((1 - wgsF) * math.Tan(rad(p[1])))
	U2 := math.Atan((1 - wgsF) * math.Tan(rad(q[1])))
	sinU1, cosU1 := math.Sincos(U1)
	sinU2, cosU2 := math.Sincos(U2)
	lambda := L
	var sinSigma, cosSigma, sigma, cos2Alpha, cos2SigmaM, sinLambda, cosLambda float64
	for range 200 {
		sinLambda, cosLambda = math.Sincos(lambda)
		sinSigma = math.Hypot(cosU2*sinLambda, cosU1*sinU2-sinU1*cosU2*cosLambda)
		if sinSigma == 0 {
			return 0, 0
		}
		cosSigma = sinU1*sinU2 + cosU1*cosU2*cosLambda
		sigma = math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinLambda / sinSigma
		cos2Alpha = 1 - sinAlpha*sinAlpha
		cos2SigmaM = cosSigma - 2*sinU1*sinU2/cos2Alpha
		C := wgsF / 16 * cos2Alpha * (4 + wgsF*(4-3*cos2Alpha))
		prev := lambda
		lambda = L + (1-C)*wgsF*sinAlpha*(sigma+C*sinSigma*(cos2SigmaM+C*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
		if math.Abs(lambda-prev) < 1e-13 {
			break
		}
	}
	uSq := cos2Alpha * (wgsA*wgsA - wgsB*wgsB) / (wgsB * wgsB)
	A := 1 + uSq/16384*(4096+uSq*(-768+uSq*(320-175*uSq)))
	B := uSq / 1024 * (256 + uSq*(-128+uSq*(74-47*uSq)))
	dSigma := B * sinSigma * (cos2SigmaM + B/4*(cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)-
		B/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*cos2SigmaM*cos2SigmaM)))
	s := wgsB * A * (sigma - dSigma)
	az := deg(math.Atan2(cosU2*sinLambda, cosU1*sinU2-sinU1*cosU2*cosLambda))
	return s / 1000, math.Mod(az+360, 360)
}

// refDistanceKm is the reference distance from p to a line drawn straight
// in longitude/latitude (as GeoJSON draws it): the minimum of Vincenty
// distances to points sampled along it, 1 km apart, then refined to a metre
// around the nearest.
func refDistanceKm(line orb.LineString, p orb.Point) float64 {
	best, bi, bf := math.Inf(1), 0, 0.0
	lerp := func(i int, f float64) orb.Point {
		a, b := line[i], line[i+1]
		return orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
	}
	for i := 0; i+1 < len(line); i++ {
		segKm, _ := vincentyInverse(line[i], line[i+1])
		n := int(math.Ceil(segKm))
		for k := 0; k <= n; k++ {
			f := float64(k) / float64(n)
			if d, _ := vincentyInverse(p, lerp(i, f)); d < best {
				best, bi, bf = d, i, f
			}
		}
	}
	// Refine: golden-section-free brute force over ±1.5 km at 1 m steps,
	// crossing into the neighbouring segments.
	for _, i := range []int{bi - 1, bi, bi + 1} {
		if i < 0 || i+1 >= len(line) {
			continue
		}
		segKm, _ := vincentyInverse(line[i], line[i+1])
		lo, hi := 0.0, 1.0
		if i == bi {
			lo, hi = math.Max(0, bf-1.5/segKm), math.Min(1, bf+1.5/segKm)
		}
		n := int(math.Ceil((hi - lo) * segKm * 1000))
		step := max(1, n/3000)
		for k := 0; k <= n; k += step {
			f := lo + (hi-lo)*float64(k)/float64(n)
			if d, _ := vincentyInverse(p, lerp(i, f)); d < best {
				best = d
			}
		}
	}
	return best
}

// offsetPoint returns a point whose reference distance from the line is
// km (to a metre), reached from the midpoint of segment i along the
// geodesic perpendicular to it on the given side (+90: left of the line's
// direction is -90 from its azimuth).
func offsetPoint(line orb.LineString, i int, left bool, km float64) orb.Point {
	a, b := line[i], line[i+1]
	mid := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
	_, az := vincentyInverse(a, b)
	perp := az + 90
	if left {
		perp = az - 90
	}
	// Secant iterations on the step: where another segment is nearer than
	// segment i, distance grows slower than the step.
	s0, d0 := 0.0, 0.0
	s1 := km
	p := vincentyDirect(mid, perp, s1)
	d1 := refDistanceKm(line, p)
	for range 40 {
		if math.Abs(d1-km) < 0.0005 {
			return p
		}
		s2 := s1 + (km-d1)*(s1-s0)/(d1-d0)
		s0, d0 = s1, d1
		s1 = s2
		p = vincentyDirect(mid, perp, s1)
		d1 = refDistanceKm(line, p)
	}
	panic(fmt.Sprintf("offsetPoint: no point %g km from segment %d", km, i))
}

var seq int64

// rec builds an accepted observation record.
func rec(id, reporter string, st vocab.SourceType, grade vocab.Grade, cat vocab.Category, count int, at time.Time) *observation.Record {
	seq++
	return &observation.Record{Observation: observation.Observation{
		ID: id, ObservedAt: at, TimePrecision: observation.PrecisionMinute, SignedAt: at.Add(time.Minute),
		Category: cat, Count: count, SourceType: st, Grade: grade, Reporter: reporter,
	}, ReceivedAt: at.Add(2 * time.Minute), PrincipalID: reporter, Seq: seq}
}

func pos(p orb.Point, uncertaintyKm float64) *observation.Position {
	return &observation.Position{Lon: p[0], Lat: p[1], UncertaintyM: uncertaintyKm * 1000}
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// verify adds a record to a fresh tracker and verifies its incident.
func verifyOne(t *testing.T, r *observation.Record) *incident.Incident {
	t.Helper()
	c := &clock{r.ObservedAt.Add(time.Hour)}
	tr := incident.NewTracker(incident.DefaultConfig(), c.now)
	inc, err := tr.Add(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Decide(inc.ID, "analyst-1", incident.OutcomeVerified, "", "test"); err != nil {
		t.Fatal(err)
	}
	return inc
}

func lineOf(t testing.TB, a *agreement.Agreement, id string) orb.LineString {
	t.Helper()
	z := a.Zone(id)
	if z == nil {
		t.Fatalf("no zone %s", id)
	}
	ls, ok := z.Geometry.(orb.LineString)
	if !ok {
		t.Fatalf("zone %s is %T", id, z.Geometry)
	}
	return ls
}

func describe(vs []compliance.Violation) string {
	s := ""
	for _, v := range vs {
		s += fmt.Sprintf("\n  %s %s %s %s", v.ID, v.Attribution.Party, v.Severity, v.Detail)
	}
	return s
}
