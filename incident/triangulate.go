package incident

import (
	"errors"
	"math"

	"github.com/paulmach/orb"
)

// The local plane: an equirectangular projection around a reference point,
// in km. Over the tens of kilometres that bearings and clusters span it is
// within 0.1% of geodesic distance at Ukraine's latitudes, far inside the
// uncertainty of any bearing.
const kmPerDegLat = 111.2

func toPlane(ref, p orb.Point) (x, y float64) {
	c := math.Cos(ref[1] * math.Pi / 180)
	dLon := p[0] - ref[0]
	if dLon > 180 {
		dLon -= 360
	} else if dLon < -180 {
		dLon += 360
	}
	return dLon * c * kmPerDegLat, (p[1] - ref[1]) * kmPerDegLat
}

func fromPlane(ref orb.Point, x, y float64) orb.Point {
	c := math.Cos(ref[1] * math.Pi / 180)
	return orb.Point{ref[0] + x/(c*kmPerDegLat), ref[1] + y/kmPerDegLat}
}

// Bearing is a line of sight from an observer towards an origin of fire.
type Bearing struct {
	From   orb.Point // observer
	FromKm float64   // observer's position uncertainty
	Deg    float64   // degrees clockwise from true north
	ErrDeg float64   // one-sided error of the bearing
	MinKm  float64   // nearest the origin can be (0: unknown)
	MaxKm  float64   // farthest the origin can be
}

// Default bearing error and range when a report gives none: an acoustic
// bearing by ear is good to a few degrees, and artillery is heard to about
// 20 km.
const (
	DefaultBearingErrDeg = 5
	DefaultRangeKm       = 20
)

// bearingOf returns the report's bearing line, or ok=false.
func bearingOf(r *Report, cfg *Config) (Bearing, bool) {
	if r.Fire == nil || r.Observer == nil {
		return Bearing{}, false
	}
	b := Bearing{From: r.Observer.Point, FromKm: r.Observer.RadiusKm, Deg: r.Fire.BearingDeg,
		ErrDeg: r.Fire.BearingErr, MinKm: r.Fire.DistanceMinM / 1000, MaxKm: r.Fire.DistanceMaxM / 1000}
	if b.ErrDeg <= 0 {
		b.ErrDeg = DefaultBearingErrDeg
	}
	if b.MaxKm <= 0 {
		b.MaxKm = cfg.MaxRangeKm
	}
	return b, true
}

func (b Bearing) dir() (dx, dy float64) {
	s, c := math.Sincos(b.Deg * math.Pi / 180)
	return s, c
}

// fits reports whether disc d lies within the bearing's wedge and range,
// allowing for d's and the observer's uncertainty and a minimum wedge width
// of slackKm.
func (b Bearing) fits(d *Disc, slackKm float64) bool {
	x, y := toPlane(b.From, d.Point)
	dx, dy := b.dir()
	along := x*dx + y*dy
	perp := math.Abs(x*dy - y*dx)
	u := d.RadiusKm + b.FromKm + slackKm
	if along < b.MinKm-u || along > b.MaxKm+u {
		return false
	}
	return perp <= math.Max(along, 0)*math.Tan(b.ErrDeg*math.Pi/180)+u
}

// minCrossingDeg is the smallest angle between two bearings whose crossing
// is trusted: nearly parallel lines cross anywhere along their length.
const minCrossingDeg = 10

// Cross returns where two bearings cross, if they do within both ranges
// (with slackKm) at an angle of at least 10°.
func Cross(a, b Bearing, slackKm float64) (orb.Point, bool) {
	ax, ay := a.dir()
	bx, by := b.dir()
	den := ax*by - ay*bx // sin of the angle between them
	if math.Abs(den) < math.Sin(minCrossingDeg*math.Pi/180) {
		return orb.Point{}, false
	}
	px, py := toPlane(a.From, b.From)
	// a.From + t·da = b.From + s·db
	t := (px*by - py*bx) / den
	s := (px*ay - py*ax) / den
	ua, ub := a.FromKm+slackKm, b.FromKm+slackKm
	if t < a.MinKm-ua || t > a.MaxKm+ua || s < b.MinKm-ub || s > b.MaxKm+ub {
		return orb.Point{}, false
	}
	return fromPlane(a.From, t*ax, t*ay), true
}

// ErrNoFix means the bearings do not determine a point: fewer than two, or
// all nearly parallel.
var ErrNoFix = errors.New("incident: bearings do not cross")

// Triangulate estimates the origin the bearings point at: the point that
// minimises the weighted squared perpendicular distances to the bearing
// lines (each weighted by the inverse variance of its cross-range error at
// that distance: range·tan(error) with the observer's own uncertainty),
// iterated twice so ranges come from the estimate itself. The radius is
// twice the larger standard deviation of the estimate, widened by the
// residual scatter when the lines disagree more than their errors allow.
func Triangulate(bs []Bearing) (*Disc, error) {
	if len(bs) < 2 {
		return nil, ErrNoFix
	}
	ref := bs[0].From
	type line struct{ px, py, nx, ny, errRad, fromKm float64 }
	ls := make([]line, len(bs))
	maxSin := 0.0
	for i, b := range bs {
		px, py := toPlane(ref, b.From)
		dx, dy := b.dir()
		ls[i] = line{px, py, dy, -dx, b.ErrDeg * math.Pi / 180, b.FromKm}
		for j := range i {
			ex, ey := bs[j].dir()
			maxSin = max(maxSin, math.Abs(dx*ey-dy*ex))
		}
	}
	if maxSin < math.Sin(minCrossingDeg*math.Pi/180) {
		return nil, ErrNoFix
	}
	var x, y float64
	var a11, a12, a22 float64
	for iter := 0; iter < 3; iter++ {
		var b1, b2 float64
		a11, a12, a22 = 0, 0, 0
		for _, l := range ls {
			w := 1.0
			if iter > 0 {
				r := math.Hypot(x-l.px, y-l.py)
				sigma := math.Hypot(r*math.Tan(l.errRad), l.fromKm)
				sigma = max(sigma, minRadiusKm)
				w = 1 / (sigma * sigma)
			}
			c := l.nx*l.px + l.ny*l.py
			a11 += w * l.nx * l.nx
			a12 += w * l.nx * l.ny
			a22 += w * l.ny * l.ny
			b1 += w * l.nx * c
			b2 += w * l.ny * c
		}
		det := a11*a22 - a12*a12
		if det <= 0 || math.IsNaN(det) {
			return nil, ErrNoFix
		}
		x = (a22*b1 - a12*b2) / det
		y = (a11*b2 - a12*b1) / det
	}
	// Covariance is the inverse of A; its larger eigenvalue is the variance
	// along the worst direction.
	det := a11*a22 - a12*a12
	c11, c12, c22 := a22/det, -a12/det, a11/det
	tr, dt := c11+c22, c11*c22-c12*c12
	lmax := tr/2 + math.Sqrt(math.Max(0, tr*tr/4-dt))
	var chi2 float64
	for _, l := range ls {
		r := math.Hypot(x-l.px, y-l.py)
		sigma := max(math.Hypot(r*math.Tan(l.errRad), l.fromKm), minRadiusKm)
		d := l.nx*(x-l.px) + l.ny*(y-l.py)
		chi2 += d * d / (sigma * sigma)
	}
	scale := 1.0
	if dof := float64(len(ls) - 2); dof > 0 && chi2/dof > 1 {
		scale = math.Sqrt(chi2 / dof)
	} else if dof == 0 {
		scale = 1
	}
	return &Disc{Point: fromPlane(ref, x, y), RadiusKm: 2 * math.Sqrt(lmax) * scale}, nil
}

// estimateOrigin combines the reports' bearings (triangulated) and
// reported origins (inverse-variance mean) into one estimate, or nil when
// neither gives a point.
func estimateOrigin(reports []Report, cfg *Config) *Disc {
	var bs []Bearing
	for i := range reports {
		if b, ok := bearingOf(&reports[i], cfg); ok {
			bs = append(bs, b)
		}
	}
	fix, _ := Triangulate(bs)
	reported := combineDiscs(reports, func(r *Report) *Disc { return r.Origin })
	switch {
	case fix == nil:
		return reported
	case reported == nil:
		return fix
	}
	pair := []Report{{Origin: fix}, {Origin: reported}}
	return combineDiscs(pair, func(r *Report) *Disc { return r.Origin })
}
