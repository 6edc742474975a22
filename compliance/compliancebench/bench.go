// Package compliancebench measures how fast pactwatch re-evaluates a large
// body of observations against an agreement: synthetic but plausible
// reports along the example's front are clustered into incidents, verified,
// evaluated against every commitment and grouped into cases. Run prints
// the figures; `pactwatch compliance bench` and the BenchmarkReevaluate
// testing.B benchmark call it, so anyone can reproduce them.
package compliancebench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// Config says what to measure.
type Config struct {
	Agreement    *agreement.Agreement // required; the example is examples/ukraine
	Observations int                  // default 1,000,000
	Days         int                  // the reports span this many days; default 30
	Seed         uint64               // the generator's seed; same seed, same reports
}

// Figures are what a run measured.
type Figures struct {
	Observations  int
	Incidents     int
	Verified      int
	Violations    int
	Indeterminate int
	Cases         int
	Tallies       int
	Commitments   int
	Cores         int

	Generate time.Duration // building the synthetic records (not part of re-evaluation)
	Cluster  time.Duration // records → incidents
	Review   time.Duration // analysts' decisions, simulated (not part of re-evaluation)
	Evaluate time.Duration // verified incidents → violations
	Group    time.Duration // violations → cases and tallies
}

// Reevaluation is the time to re-evaluate the observations against the
// agreement — what an amendment or a changed policy triggers: the stored
// incidents evaluated against every commitment and grouped into cases.
// Clustering is the first pass over arriving records, done once as they
// arrive, and is reported apart.
func (f *Figures) Reevaluation() time.Duration { return f.Evaluate + f.Group }

// Run measures and prints the figures to w.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	f, err := Measure(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "generated   %d observations over %d days in %s\n", f.Observations, cfgDays(cfg), round(f.Generate))
	fmt.Fprintf(w, "clustered   into %d incidents in %s (%.0f observations/s)\n", f.Incidents, round(f.Cluster), perSecond(f.Observations, f.Cluster))
	fmt.Fprintf(w, "reviewed    %d incidents verified in %s (simulated analysts)\n", f.Verified, round(f.Review))
	fmt.Fprintf(w, "evaluated   %d verified incidents against %d commitments in %s on %d cores: %d violations, %d indeterminate\n",
		f.Verified, f.Commitments, round(f.Evaluate), f.Cores, f.Violations, f.Indeterminate)
	fmt.Fprintf(w, "grouped     into %d cases and %d tallies in %s\n", f.Cases, f.Tallies, round(f.Group))
	fmt.Fprintf(w, "RE-EVALUATION: the incidents of %d observations against %d commitments in %s, with grouping %s (target: under 10s)\n",
		f.Observations, f.Commitments, round(f.Evaluate), round(f.Evaluate+f.Group))
	fmt.Fprintf(w, "from scratch (cluster + evaluate + group): %s\n", round(f.Cluster+f.Evaluate+f.Group))
	return nil
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func cfgDays(cfg Config) int {
	if cfg.Days <= 0 {
		return 30
	}
	return cfg.Days
}

// Measure runs the pipeline and returns its figures.
func Measure(ctx context.Context, cfg Config) (*Figures, error) {
	if cfg.Agreement == nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "agreement", "no agreement to evaluate against")
	}
	n := cfg.Observations
	if n <= 0 {
		n = 1_000_000
	}
	f := &Figures{Observations: n, Commitments: len(cfg.Agreement.Commitments), Cores: runtime.GOMAXPROCS(0)}
	start := time.Now()
	recs, err := Generate(cfg.Agreement, n, cfgDays(cfg), cfg.Seed)
	if err != nil {
		return nil, err
	}
	f.Generate = time.Since(start)

	end := recs[len(recs)-1].ObservedAt.Add(time.Hour)
	now := func() time.Time { return end }
	start = time.Now()
	tr := incident.NewTracker(incident.DefaultConfig(), now)
	tr.Grow(len(recs))
	for i, r := range recs {
		if i%65536 == 0 && ctx.Err() != nil {
			return nil, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "cancelled")
		}
		if _, err := tr.Add(r); err != nil {
			return nil, err
		}
	}
	incs := tr.Incidents()
	f.Cluster = time.Since(start)
	f.Incidents = len(incs)

	start = time.Now()
	for _, inc := range incs {
		if inc.Status == incident.Corroborated {
			if _, err := tr.Decide(inc.ID, "analyst-bench", incident.OutcomeVerified, "", ""); err != nil {
				return nil, err
			}
			f.Verified++
		}
	}
	f.Review = time.Since(start)

	ev, err := compliance.New(cfg.Agreement, compliance.DefaultPolicy())
	if err != nil {
		return nil, err
	}
	start = time.Now()
	res, err := ev.Evaluate(ctx, compliance.Inputs{Incidents: incs}, end)
	if err != nil {
		return nil, err
	}
	f.Evaluate = time.Since(start)
	f.Violations, f.Indeterminate = len(res.Violations), len(res.Indeterminate)

	start = time.Now()
	book := compliance.NewBook(cfg.Agreement, ev.Policy(), now)
	book.Ingest(res.Violations)
	f.Tallies = len(ev.Policy().Tallies(cfg.Agreement, res.Violations))
	f.Group = time.Since(start)
	f.Cases = len(book.Cases())
	return f, nil
}

// mix is the share of each kind of event, roughly as OSCE reports ran:
// mostly explosions and bursts, some weapons and movements, a few
// restrictions and strikes.
var mix = []struct {
	cat   vocab.Category
	share float64
}{
	{vocab.Explosion, 0.50}, {vocab.BurstOfFire, 0.15}, {vocab.ProjectileInFlight, 0.05},
	{vocab.HeavyWeaponSighted, 0.10}, {vocab.TroopMovement, 0.05}, {vocab.MovementRestriction, 0.03},
	{vocab.DroneStrike, 0.02}, {vocab.CivilianCasualty, 0.04}, {vocab.InfrastructureDamage, 0.03},
	{vocab.MineUXO, 0.03},
}

var (
	weapons = []vocab.WeaponClass{vocab.Artillery, vocab.Tank, vocab.MLRS, vocab.HeavyMLRS, vocab.Mortar, vocab.ArmouredVehicle}
	sources = []vocab.SourceType{vocab.Patrol, vocab.StaticCamera, vocab.UAV, vocab.AcousticSensor}
	grades  = []vocab.Grade{"B2", "B2", "C3", "A2", "C2"}
)

// Generate builds n observation records of events along the agreement's
// contact line (within 45 km of it either side), one to three reports per
// event, sorted by time. Fire events are reported by their impact, by
// bearings from observers 5–15 km from the origin, or by an acoustic
// sensor's origin estimate.
func Generate(a *agreement.Agreement, n, days int, seed uint64) ([]*observation.Record, error) {
	var line orb.LineString
	for _, z := range a.Zones {
		if z.Kind == agreement.ContactLine {
			line, _ = z.Geometry.(orb.LineString)
		}
	}
	if len(line) < 2 {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "agreement", "the agreement has no contact line to place events along")
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	loc := a.Location()
	start := time.Date(2027, 1, 10, 0, 0, 0, 0, loc)
	span := time.Duration(days) * 24 * time.Hour
	recs := make([]*observation.Record, 0, n)
	var seq int64
	for ev := 0; len(recs) < n; ev++ {
		at := pointNear(line, rng)
		when := start.Add(time.Duration(rng.Int64N(int64(span)))).UTC().Truncate(time.Second)
		cat := pick(rng)
		origin := offset(at, rng.Float64()*2*math.Pi, 5+rng.Float64()*10)
		count := 1 + rng.IntN(30)
		wc := vocab.WeaponClass("")
		if cat == vocab.HeavyWeaponSighted {
			wc, count = weapons[rng.IntN(len(weapons))], 1+rng.IntN(3)
		}
		reports := 1 + rng.IntN(3)
		for k := 0; k < reports && len(recs) < n; k++ {
			seq++
			st := sources[rng.IntN(len(sources))]
			r := &observation.Record{Observation: observation.Observation{
				ID: fmt.Sprintf("bench-%08d", seq), ObservedAt: when.Add(time.Duration(rng.IntN(300)) * time.Second),
				TimePrecision: observation.PrecisionMinute, Category: cat, Count: count, WeaponClass: wc,
				SourceType: st, Grade: grades[rng.IntN(len(grades))], Reporter: fmt.Sprintf("monitor-%d", rng.IntN(400)),
			}, Seq: seq}
			r.SignedAt, r.ReceivedAt = r.ObservedAt, r.ObservedAt
			u := 0.1 + rng.Float64()*1.5
			switch {
			case cat == vocab.MovementRestriction:
				r.Observer = position(at, rng, u)
			case cat.Family() == vocab.FamilyFire && rng.Float64() < 0.25:
				obs := offset(origin, rng.Float64()*2*math.Pi, 5+rng.Float64()*10)
				r.Observer = position(obs, rng, 0.05)
				r.Fire = &observation.Fire{BearingDeg: math.Mod(bearing(obs, origin)+rng.NormFloat64()+360, 360), BearingErr: 3}
			case cat.Family() == vocab.FamilyFire && rng.Float64() < 0.2:
				r.Origin = position(origin, rng, 0.5+rng.Float64()*2)
			default:
				r.Target = position(at, rng, u)
			}
			if rng.Float64() < 0.1 {
				r.Attribution = &observation.Attribution{Party: a.Parties[rng.IntN(len(a.Parties))].ID, Confidence: []string{"low", "medium", "high"}[rng.IntN(3)]}
			}
			recs = append(recs, r)
		}
	}
	slices.SortStableFunc(recs, func(x, y *observation.Record) int { return x.ObservedAt.Compare(y.ObservedAt) })
	return recs, nil
}

func pick(rng *rand.Rand) vocab.Category {
	x := rng.Float64()
	for _, m := range mix {
		if x < m.share {
			return m.cat
		}
		x -= m.share
	}
	return vocab.Explosion
}

// pointNear returns a point on a random segment of the line, moved up to
// 45 km to either side.
func pointNear(line orb.LineString, rng *rand.Rand) orb.Point {
	i := rng.IntN(len(line) - 1)
	f := rng.Float64()
	p := orb.Point{line[i][0] + f*(line[i+1][0]-line[i][0]), line[i][1] + f*(line[i+1][1]-line[i][1])}
	b := bearing(line[i], line[i+1]) + 90
	return offset(p, b*math.Pi/180, (rng.Float64()*2-1)*45)
}

// offset moves p km along the direction (radians from north), on the
// local plane: plenty for synthetic data.
func offset(p orb.Point, dir, km float64) orb.Point {
	s, c := math.Sincos(dir)
	return orb.Point{p[0] + km*s/(111.2*math.Cos(p[1]*math.Pi/180)), p[1] + km*c/111.2}
}

func bearing(p, q orb.Point) float64 {
	dx := (q[0] - p[0]) * math.Cos(p[1]*math.Pi/180)
	dy := q[1] - p[1]
	return math.Mod(math.Atan2(dx, dy)*180/math.Pi+360, 360)
}

// position reports p with an error inside the stated uncertainty.
func position(p orb.Point, rng *rand.Rand, uKm float64) *observation.Position {
	q := offset(p, rng.Float64()*2*math.Pi, rng.Float64()*uKm*0.8)
	return &observation.Position{Lon: q[0], Lat: q[1], UncertaintyM: math.Round(uKm * 1000)}
}
