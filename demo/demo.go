// Package demo simulates a monitoring mission for `pactwatch serve --demo`:
// several monitors (two patrols, a static camera, a UAV team, an acoustic
// sensor, an open-source desk, a holding-area inspection team) with their
// own keys report along the agreement's contact line, signed and submitted
// through the server's real HTTP intake; two analysts review, guarantors'
// liaisons act on the protocol runs. Month replays a month of it on the
// server's demo Clock, then hands over to real time. Everything but the
// server-assigned tokens is deterministic from the seed and the clock.
package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// Config drives a simulation.
type Config struct {
	Client    *client.Client // the server, with an admin token
	Agreement *agreement.Agreement
	Dir       string // <data>/demo: the newcomer's key and token, the simulated monitors' keys
	Seed      int64
	Days      int // days of history before Now (default 3)
	Now       func() time.Time
	ServerURL string
	// Clock and Hooks drive Month: the server's demo clock, which Month
	// moves forward, and the server's background work run at each step.
	Clock *Clock
	Hooks Hooks
}

// Result counts what a seeding did.
type Result struct {
	Monitors     int
	Observations int
}

// Monitor is one simulated source: how it observes and how much it
// reports per day.
type Monitor struct {
	Name   string
	Source vocab.SourceType
	Grade  vocab.Grade
	Along  float64 // where on the contact line it works, 0 (first point) … 1 (last)
	Spread float64 // how far along the line its reports range, as a fraction
	PerDay int
	Fixed  bool // a fixed sensor: same observer position every time
	// Inspects: the team visits holding areas and reports weapons missing
	// from them, on about one day in four.
	Inspects bool
	// Partner is the monitor nearby that also reports some of this one's
	// impacts: independent sources of one incident.
	Partner string
	mix     []weighted
	key     ed25519.PrivateKey
	token   string
	station orb.Point // fixed sensors' position
}

type weighted struct {
	cat vocab.Category
	w   float64
}

// Monitors is the simulated mission, in a fixed order.
func Monitors() []*Monitor {
	fire := []weighted{
		{vocab.Explosion, 40}, {vocab.BurstOfFire, 32}, {vocab.ProjectileInFlight, 8},
		{vocab.MuzzleFlash, 6}, {vocab.IlluminationFlare, 5},
	}
	return []*Monitor{
		{Name: "patrol-north", Source: vocab.Patrol, Grade: "B2", Along: 0.86, Spread: 0.1, PerDay: 5,
			mix: append(fire, weighted{vocab.MovementRestriction, 2}, weighted{vocab.MineUXO, 2}, weighted{vocab.InfrastructureDamage, 2})},
		{Name: "patrol-south", Source: vocab.Patrol, Grade: "B2", Along: 0.3, Spread: 0.12, PerDay: 5,
			mix: append(fire, weighted{vocab.MovementRestriction, 3}, weighted{vocab.CivilianCasualty, 1}, weighted{vocab.InfrastructureDamage, 2})},
		{Name: "camera-shyrokyne", Source: vocab.StaticCamera, Grade: "A2", Along: 0.55, Spread: 0.02, PerDay: 6, Fixed: true, Partner: "patrol-south",
			mix: []weighted{{vocab.ProjectileInFlight, 30}, {vocab.MuzzleFlash, 25}, {vocab.IlluminationFlare, 15}, {vocab.Explosion, 30}}},
		{Name: "uav-team-1", Source: vocab.UAV, Grade: "A1", Along: 0.62, Spread: 0.2, PerDay: 4,
			mix: []weighted{{vocab.HeavyWeaponSighted, 70}, {vocab.TroopMovement, 20}, {vocab.EquipmentInterference, 10}}},
		{Name: "acoustic-avdiivka", Source: vocab.AcousticSensor, Grade: "C3", Along: 0.7, Spread: 0.02, PerDay: 30, Fixed: true, Partner: "patrol-north",
			mix: []weighted{{vocab.Explosion, 65}, {vocab.BurstOfFire, 35}}},
		{Name: "osint-desk", Source: vocab.OpenSource, Grade: "C3", Along: 0.5, Spread: 0.45, PerDay: 4,
			mix: []weighted{{vocab.DroneStrike, 40}, {vocab.InfrastructureDamage, 25}, {vocab.CivilianCasualty, 20}, {vocab.MissileStrike, 15}}},
		{Name: "inspection-team", Source: vocab.Patrol, Grade: "A1", Inspects: true},
	}
}

// keyFor derives a simulated monitor's key from the seed: the same seed
// gives the same keys, hence the same key ids in every run.
func keyFor(seed int64, name string) ed25519.PrivateKey {
	h := sha256.Sum256([]byte(fmt.Sprintf("pactwatch demo key/%d/%s", seed, name)))
	return ed25519.NewKeyFromSeed(h[:])
}

// Newcomer creates the monitor a new user tries `submit` with — its key,
// token and an example observation file in Dir —, valid from an hour
// before cfg.Now.
func Newcomer(ctx context.Context, cfg Config) error {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	now := cfg.Now().UTC()
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return err
	}
	return newcomer(ctx, cfg, contactLine(cfg.Agreement, now), now)
}

// register creates a simulated monitor's principal (or reuses its saved
// token) and saves its key and token under Dir/monitors.
func register(ctx context.Context, cfg Config, m *Monitor, validFrom time.Time) error {
	m.key = keyFor(cfg.Seed, m.Name)
	tokFile := filepath.Join(cfg.Dir, "monitors", m.Name+".token")
	if b, err := os.ReadFile(tokFile); err == nil {
		m.token = strings.TrimSpace(string(b))
		return nil
	}
	pub := m.key.Public().(ed25519.PublicKey)
	np, err := cfg.Client.AddPrincipal(ctx, client.PrincipalRequest{
		Name: "demo " + m.Name, Role: string(vocab.RoleMonitor), PublicKey: keys.FormatPublic(pub), ValidFrom: &validFrom,
	})
	if err != nil {
		return fmt.Errorf("demo: registering %s: %w", m.Name, err)
	}
	m.token = np.Token
	return os.WriteFile(tokFile, []byte(m.token+"\n"), 0o600)
}

// newcomer creates the monitor a new user tries `submit` with: its key,
// token and an example observation file in Dir.
func newcomer(ctx context.Context, cfg Config, line orb.LineString, now time.Time) error {
	keyFile := filepath.Join(cfg.Dir, "monitor.key")
	pub, priv := keys.Generate()
	if err := keys.WritePrivate(keyFile, priv); err != nil {
		return err
	}
	if err := keys.WritePublic(filepath.Join(cfg.Dir, "monitor.pub"), pub); err != nil {
		return err
	}
	from := now.Add(-time.Hour)
	np, err := cfg.Client.AddPrincipal(ctx, client.PrincipalRequest{
		Name: "demo newcomer", Role: string(vocab.RoleMonitor), PublicKey: keys.FormatPublic(pub), ValidFrom: &from,
	})
	if err != nil {
		return fmt.Errorf("demo: registering the newcomer: %w", err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, "monitor.token"), []byte(np.Token+"\n"), 0o600); err != nil {
		return err
	}
	p := pointAlong(line, 0.6)
	example := map[string]any{
		"observed_at":    now.Truncate(time.Minute).Add(-30 * time.Minute).Format(time.RFC3339),
		"time_precision": "minute",
		"target":         map[string]any{"lat": round6(p[1] + 0.01), "lon": round6(p[0] - 0.02), "uncertainty_m": 500},
		"category":       "explosion",
		"count":          2,
		"source_type":    "patrol",
		"grade":          "B2",
		"narrative":      "Two explosions heard, assessed as 120 mm mortar impacts, 3-4 km east of the patrol position.",
		"language":       "en",
	}
	b, _ := json.MarshalIndent(example, "", "  ")
	return os.WriteFile(filepath.Join(cfg.Dir, "observation.json"), append(b, '\n'), 0o644)
}

// Live keeps the simulated monitors reporting, about one observation every
// few seconds, until ctx ends.
func Live(ctx context.Context, cfg Config) error {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	line := contactLine(cfg.Agreement, cfg.Now())
	mons := Monitors()
	for _, m := range mons {
		b, err := os.ReadFile(filepath.Join(cfg.Dir, "monitors", m.Name+".token"))
		if err != nil {
			return fmt.Errorf("demo-live: %s has no token (seed first): %w", m.Name, err)
		}
		m.token = strings.TrimSpace(string(b))
		m.key = keyFor(cfg.Seed, m.Name)
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Now().Unix())))
	g := &generator{rng: rng, line: line}
	for _, m := range mons {
		g.place(m)
	}
	t := time.NewTicker(3 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		m := pickMonitor(rng, mons)
		at := cfg.Now().UTC().Add(-time.Duration(rng.IntN(120)) * time.Second)
		o := g.observation(m, at)
		o.SignedAt = cfg.Now().UTC().Truncate(time.Second)
		if err := observation.Sign(&o, m.key); err != nil {
			return err
		}
		if _, _, err := client.New(cfg.Client.BaseURL, m.token).Submit(ctx, o); err != nil && ctx.Err() == nil {
			return fmt.Errorf("demo-live: %s: %w", m.Name, err)
		}
	}
}

func pickMonitor(rng *rand.Rand, mons []*Monitor) *Monitor {
	total := 0
	for _, m := range mons {
		total += m.PerDay
	}
	n := rng.IntN(total)
	for _, m := range mons {
		if n < m.PerDay {
			return m
		}
		n -= m.PerDay
	}
	return mons[0]
}

// fallbackLine is a coarse contact line (Kherson – Zaporizhzhia –
// Donetsk – Luhansk), used when the agreement has none.
var fallbackLine = orb.LineString{
	{32.6, 46.6}, {33.6, 46.8}, {35.1, 47.5}, {36.3, 47.7}, {37.3, 47.8}, {37.7, 48.1},
	{38.0, 48.6}, {38.1, 49.0}, {38.0, 49.5}, {37.7, 50.1},
}

// contactLine returns the agreement's contact line in force at t as one
// line string (the longest part of a multi-line).
func contactLine(a *agreement.Agreement, t time.Time) orb.LineString {
	if a == nil {
		return fallbackLine
	}
	for _, z := range a.Zones {
		if z.Kind != agreement.ContactLine {
			continue
		}
		switch g := z.GeometryAt(t).(type) {
		case orb.LineString:
			if len(g) >= 2 {
				return g
			}
		case orb.MultiLineString:
			var best orb.LineString
			for _, l := range g {
				if len(l) > len(best) {
					best = l
				}
			}
			if len(best) >= 2 {
				return best
			}
		}
	}
	return fallbackLine
}

// generator makes observations.
type generator struct {
	rng      *rand.Rand
	line     orb.LineString
	holdings []holding // the inspection team's holding areas
}

// place fixes a fixed sensor's position: 3–6 km from the line.
func (g *generator) place(m *Monitor) {
	if m.Fixed {
		m.station = offset(g.line, m.Along, -(3 + 3*g.rng.Float64()))
	}
}

// hourWeight is the relative activity in each local hour of the day.
func hourWeight(local int) float64 {
	switch {
	case local >= 19 || local < 2:
		return 1
	case local < 6:
		return 0.8
	case local < 9:
		return 0.5
	default:
		return 0.25
	}
}

// observation makes one report of m at time at.
func (g *generator) observation(m *Monitor, at time.Time) observation.Observation {
	rng := g.rng
	cat := pick(rng, m.mix)
	u := m.Along + (rng.Float64()*2-1)*m.Spread
	u = math.Min(0.99, math.Max(0.01, u))
	o := observation.Observation{
		ID:            g.uuid(),
		ObservedAt:    at.UTC().Truncate(time.Minute),
		TimePrecision: "minute",
		Category:      cat,
		Count:         1,
		SourceType:    m.Source,
		Grade:         m.Grade,
	}
	observer := offset(g.line, u, -(2 + 4*rng.Float64()))
	if m.Fixed {
		observer = m.station
	}
	// Impacts fall on either side; fire comes from across the line.
	side := 1.0
	if rng.IntN(2) == 0 {
		side = -1
	}
	target := offset(g.line, u+(rng.Float64()-0.5)*0.01, side*(0.5+6*rng.Float64()))
	origin := offset(g.line, u+(rng.Float64()-0.5)*0.01, -side*(2+12*rng.Float64()))
	switch cat {
	case vocab.Explosion:
		o.Count = 1 + int(rng.ExpFloat64()*9)
		o.WeaponClass = pickWeapon(rng, []vocab.WeaponClass{vocab.Mortar, vocab.Mortar, vocab.Artillery, vocab.UnknownWeapon, vocab.MLRS})
		if o.WeaponClass == vocab.Mortar {
			o.CalibreMM = []float64{82, 120}[rng.IntN(2)]
		}
	case vocab.BurstOfFire:
		o.Count = 1 + int(rng.ExpFloat64()*20)
		o.WeaponClass = vocab.SmallArms
	case vocab.ProjectileInFlight, vocab.MuzzleFlash, vocab.IlluminationFlare:
		o.Count = 1 + int(rng.ExpFloat64()*4)
	case vocab.HeavyWeaponSighted:
		w := pickWeapon(rng, []vocab.WeaponClass{vocab.Tank, vocab.Artillery, vocab.Artillery, vocab.MLRS, vocab.Mortar, vocab.ArmouredVehicle, vocab.AirDefence})
		o.WeaponClass = w
		switch w {
		case vocab.Artillery:
			o.CalibreMM = []float64{122, 152}[rng.IntN(2)]
		case vocab.MLRS:
			o.CalibreMM = 122
		case vocab.Mortar:
			o.CalibreMM = 120
		}
		o.Count = 1 + rng.IntN(4)
		// Seen from the air, 5–30 km behind either side's line.
		target = offset(g.line, u, side*(5+25*rng.Float64()))
	}
	pos := func(p orb.Point, unc float64) *observation.Position {
		return &observation.Position{Lat: round6(p[1]), Lon: round6(p[0]), UncertaintyM: unc}
	}
	switch m.Source {
	case vocab.Patrol, vocab.StaticCamera, vocab.AcousticSensor:
		o.Observer = pos(observer, 10)
		dist := distanceM(observer, target)
		if cat == vocab.ProjectileInFlight || cat == vocab.MuzzleFlash || cat == vocab.BurstOfFire || (m.Source == vocab.AcousticSensor && rng.IntN(2) == 0) {
			// Direction and distance of fire, as cameras and sensors report it.
			from := origin
			b := bearing(observer, from)
			d := distanceM(observer, from)
			o.Fire = &observation.Fire{
				BearingDeg: math.Mod(math.Round(b), 360), BearingErr: 10,
				DistanceMinM: math.Round(d * 0.7), DistanceMaxM: math.Round(d * 1.4),
				Direction: compass(bearing(from, target)),
			}
			if m.Source == vocab.AcousticSensor {
				o.Fire.BearingErr = 20
			}
		} else if cat != vocab.MovementRestriction {
			o.Target = pos(target, math.Round(math.Max(200, dist*0.15)))
		}
		if cat == vocab.MovementRestriction {
			o.Observer = pos(observer, 10)
			o.Narrative = restrictions[rng.IntN(len(restrictions))]
			o.Language = "en"
		}
	case vocab.UAV:
		o.Target = pos(target, 20+float64(rng.IntN(80)))
		if cat == vocab.EquipmentInterference {
			o.Narrative = "Mission UAV experienced GPS signal interference, assessed as jamming; flight aborted."
			o.Language = "en"
		}
	case vocab.OpenSource:
		o.Target = pos(target, 1000+float64(rng.IntN(4000)))
		if rng.IntN(3) == 0 {
			o.Attribution = &observation.Attribution{Party: "unknown", Confidence: "low"}
		}
		o.Narrative = osint[rng.IntN(len(osint))]
		o.Language = "uk"
	}
	if o.Narrative == "" && rng.IntN(6) == 0 {
		o.Narrative = fmt.Sprintf("%d × %s, %s", o.Count, cat.Label(), m.Name)
		o.Language = "en"
	}
	return o
}

var restrictions = []string{
	"Patrol stopped at a checkpoint; armed personnel denied passage towards the settlement.",
	"Road ahead mined according to armed personnel; patrol turned back.",
	"Patrol delayed 45 minutes at a checkpoint; access granted after consultation.",
}

var osint = []string{
	"Відео в соцмережах: удар дрона по складу, пожежа.",
	"Місцеві канали повідомляють про пошкодження лінії електропередач.",
	"Повідомлення про поранення двох цивільних внаслідок обстрілу.",
	"Фото уламків ракети на околиці населеного пункту.",
}

func pick(rng *rand.Rand, mix []weighted) vocab.Category {
	total := 0.0
	for _, w := range mix {
		total += w.w
	}
	x := rng.Float64() * total
	for _, w := range mix {
		if x < w.w {
			return w.cat
		}
		x -= w.w
	}
	return mix[len(mix)-1].cat
}

func pickWeapon(rng *rand.Rand, ws []vocab.WeaponClass) vocab.WeaponClass {
	return ws[rng.IntN(len(ws))]
}

// uuid makes a version-4 UUID from the generator's random stream, so ids
// are reproducible from the seed.
func (g *generator) uuid() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		x := g.rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(x >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Geometry on a local equirectangular approximation: fine at the scale of
// a front line segment.

const kmPerDegLat = 111.32

// pointAlong returns the point at fraction u of the line's length.
func pointAlong(l orb.LineString, u float64) orb.Point {
	p, _ := along(l, u)
	return p
}

// along returns the point at fraction u of the line's length and the unit
// direction (east, north in km) of the segment it lies on.
func along(l orb.LineString, u float64) (orb.Point, [2]float64) {
	lens := make([]float64, len(l)-1)
	total := 0.0
	for i := range lens {
		lens[i] = segKm(l[i], l[i+1])
		total += lens[i]
	}
	target := u * total
	for i, sl := range lens {
		if target <= sl || i == len(lens)-1 {
			f := 0.0
			if sl > 0 {
				f = math.Min(1, target/sl)
			}
			a, b := l[i], l[i+1]
			p := orb.Point{a[0] + (b[0]-a[0])*f, a[1] + (b[1]-a[1])*f}
			kx := kmPerDegLat * math.Cos(a[1]*math.Pi/180)
			dx, dy := (b[0]-a[0])*kx, (b[1]-a[1])*kmPerDegLat
			n := math.Hypot(dx, dy)
			if n == 0 {
				return p, [2]float64{1, 0}
			}
			return p, [2]float64{dx / n, dy / n}
		}
		target -= sl
	}
	return l[len(l)-1], [2]float64{1, 0}
}

// offset returns the point at fraction u along the line, moved km to the
// left of the line's direction (negative: to the right).
func offset(l orb.LineString, u, km float64) orb.Point {
	p, d := along(l, u)
	left := [2]float64{-d[1], d[0]}
	kx := kmPerDegLat * math.Cos(p[1]*math.Pi/180)
	return orb.Point{p[0] + left[0]*km/kx, p[1] + left[1]*km/kmPerDegLat}
}

func segKm(a, b orb.Point) float64 {
	kx := kmPerDegLat * math.Cos((a[1]+b[1])/2*math.Pi/180)
	return math.Hypot((b[0]-a[0])*kx, (b[1]-a[1])*kmPerDegLat)
}

func distanceM(a, b orb.Point) float64 { return segKm(a, b) * 1000 }

// bearing is the direction from a to b in degrees from true north.
func bearing(a, b orb.Point) float64 {
	kx := kmPerDegLat * math.Cos((a[1]+b[1])/2*math.Pi/180)
	deg := math.Atan2((b[0]-a[0])*kx, (b[1]-a[1])*kmPerDegLat) * 180 / math.Pi
	if deg < 0 {
		deg += 360
	}
	return deg
}

// compass describes a direction of flight, e.g. "W to E".
func compass(deg float64) string {
	names := []string{"N", "NE", "E", "SE", "S", "SW", "W", "NW"}
	i := int(math.Round(deg/45)) % 8
	return names[(i+4)%8] + " to " + names[i]
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
