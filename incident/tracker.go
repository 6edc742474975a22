package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// Config says how reports are clustered and reviewed. The zero value is
// not useful; start from DefaultConfig.
type Config struct {
	// MaxDistanceKm is how far apart two reports' positions may be, beyond
	// the sum of their uncertainties, to describe one event.
	MaxDistanceKm float64 `json:"max_distance_km"`
	// Window is how far apart in time, beyond their precision intervals,
	// reports of one event may be.
	Window time.Duration `json:"window"`
	// MaxSpan caps an incident's duration, so hours of steady fire at one
	// place become several incidents rather than one that swallows a day.
	MaxSpan time.Duration `json:"max_span"`
	// MaxRangeKm is the farthest a bearing is taken to reach when the report
	// gives no distance band.
	MaxRangeKm float64 `json:"max_range_km"`
	// ClaimTTL is how long an analyst's claim lasts unless renewed.
	ClaimTTL time.Duration `json:"claim_ttl"`
	// Corroboration is the agreement's rule for independent sources.
	Corroboration Corroboration `json:"corroboration"`
}

// DefaultConfig: OSCE-style spot reporting clustered reports of one event
// within a couple of kilometres and a quarter of an hour.
func DefaultConfig() Config {
	return Config{
		MaxDistanceKm: 2,
		Window:        15 * time.Minute,
		MaxSpan:       2 * time.Hour,
		MaxRangeKm:    DefaultRangeKm,
		ClaimTTL:      30 * time.Minute,
		Corroboration: DefaultCorroboration,
	}
}

// Tracker holds incidents: it clusters records into them and runs their
// review. Now is the clock (claims expire by it, changes are stamped with
// it). Use NewTracker.
type Tracker struct {
	Config Config
	Now    func() time.Time

	incidents map[string]*Incident
	order     []string                    // ids in order of creation
	byObs     map[string]string           // observation id → incident id holding it
	grid      map[uint64]map[uint64]int32 // family and hour → cell → head of its list in entries, +1 (0: empty)
	scratch   []map[uint64]int32
	entries   entryChunks
	seen      map[uint64]bool // scratch for rayCells
}

// NewTracker returns an empty tracker with cfg and the clock now.
func NewTracker(cfg Config, now func() time.Time) *Tracker {
	return &Tracker{Config: cfg, Now: now, incidents: map[string]*Incident{},
		byObs: map[string]string{}, grid: map[uint64]map[uint64]int32{}, seen: map[uint64]bool{}}
}

// Grow makes room for n more observations, sparing the rehashing of
// large maps when a known number is replayed (a restart, a benchmark).
func (t *Tracker) Grow(n int) {
	if len(t.byObs) == 0 && n > 0 {
		t.byObs = make(map[string]string, n)
		t.incidents = make(map[string]*Incident, n/2)
	}
}

// Restore loads incidents saved earlier (their JSON, from a store) into an
// empty tracker, in order of creation, rebuilding the index so new records
// cluster against them. It refuses duplicates of an id or an observation.
func (t *Tracker) Restore(incs []*Incident) error {
	if len(t.incidents) > 0 {
		return pactwatch.Errorf(pactwatch.ECONFLICT, "restore needs an empty tracker")
	}
	for i, inc := range incs {
		field := fmt.Sprintf("incidents[%d]", i)
		if inc == nil || inc.ID == "" || len(inc.Reports) == 0 {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "an incident needs an id and reports")
		}
		if t.incidents[inc.ID] != nil {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, field+".id", "incident %s twice", inc.ID)
		}
		if inc.Status == Merged {
			t.incidents[inc.ID] = inc
			t.order = append(t.order, inc.ID)
			continue
		}
		for _, r := range inc.Reports {
			if other, ok := t.byObs[r.ID]; ok {
				return pactwatch.FieldErrorf(pactwatch.EINVALID, field+".reports", "observation %s is also in %s", r.ID, other)
			}
		}
		inc.idx = indexed{}
		t.insert(inc)
	}
	return nil
}

// Get returns the incident with the id (ENOTFOUND if there is none). The
// caller must not modify it.
func (t *Tracker) Get(id string) (*Incident, error) {
	inc := t.incidents[id]
	if inc == nil {
		return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "incident", "no incident %q", id)
	}
	return inc, nil
}

// Incidents returns every incident (merged ones too) in order of creation.
func (t *Tracker) Incidents() []*Incident {
	out := make([]*Incident, len(t.order))
	for i, id := range t.order {
		out[i] = t.incidents[id]
	}
	return out
}

// Verified returns the verified incidents in order of creation: what
// compliance evaluates.
func (t *Tracker) Verified() []*Incident {
	var out []*Incident
	for _, id := range t.order {
		if inc := t.incidents[id]; inc.Status == Verified {
			out = append(out, inc)
		}
	}
	return out
}

// IncidentOf returns the id of the incident holding the observation.
func (t *Tracker) IncidentOf(observationID string) (string, bool) {
	id, ok := t.byObs[observationID]
	return id, ok
}

// Add clusters one accepted record: into the best-matching incident (a new
// version of it) or a new incident. Adding a record already held is a no-op
// that returns its incident, so replays are idempotent.
func (t *Tracker) Add(rec *observation.Record) (*Incident, error) {
	if rec == nil || rec.ID == "" {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "id", "a record needs an id")
	}
	if !rec.Category.Valid() {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "category", "unknown category %q", rec.Category)
	}
	if id, ok := t.byObs[rec.ID]; ok {
		return t.incidents[id], nil
	}
	r := FromRecord(rec)
	if best := t.match(&r); best != nil {
		best.Reports = append(best.Reports, r)
		best.recompute(t.Config.Corroboration, &t.Config)
		t.byObs[r.ID] = best.ID
		t.index(best, best.Reports[len(best.Reports)-1:])
		t.bump(best, System, ActionAdded, "", []string{r.ID}, nil)
		return best, nil
	}
	inc := &Incident{ID: newID("inc", r.ID), Status: Reported, Family: r.Category.Family(), Reports: []Report{r}}
	inc.recompute(t.Config.Corroboration, &t.Config)
	t.insert(inc)
	t.bump(inc, System, ActionCreated, "", []string{r.ID}, nil)
	return inc, nil
}

// insert registers a new incident.
func (t *Tracker) insert(inc *Incident) {
	t.incidents[inc.ID] = inc
	t.order = append(t.order, inc.ID)
	for i := range inc.Reports {
		t.byObs[inc.Reports[i].ID] = inc.ID
	}
	t.index(inc, inc.Reports)
}

// bump records a new version.
func (t *Tracker) bump(inc *Incident, by string, action Action, reason string, obs, related []string) {
	inc.Version++
	inc.History = append(inc.History, Change{Version: inc.Version, At: t.Now().UTC(), By: by, Action: action,
		Reason: reason, Status: inc.Status, Observations: obs, Related: related})
}

// newID derives a stable id from a seed, so re-clustering the same records
// in the same order yields the same ids.
func newID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + "-" + hex.EncodeToString(sum[:8])
}

// The spatial index: incidents by family, grid cell and hour. An incident
// is registered in every hour its reports span and, in each, every cell
// its location and origin discs cover (plus a kilometre, so small drifts as
// reports join need no re-registration) and every cell along each of its
// bearings; a query scans the hours its time interval (widened by Window)
// spans and the cells its own disc, widened by MaxDistanceKm, or its own
// bearing covers. Two discs that may match overlap, so they share a cell;
// two bearings that cross share the cell of their crossing.
const (
	cellDeg    = 0.1
	bucketSecs = 3600
)

func xyKey(x, y int32) uint64 { return uint64(uint32(x))<<32 | uint64(uint32(y)) }

// bucket returns the grid of one family and hour: buckets keep each map
// small, so lookups stay in cache however many days the tracker holds.
func (t *Tracker) bucket(fam uint8, hour int32, create bool) map[uint64]int32 {
	k := uint64(fam)<<32 | uint64(uint32(hour))
	b := t.grid[k]
	if b == nil && create {
		b = map[uint64]int32{}
		t.grid[k] = b
	}
	return b
}

// gridEntry is one registration: cells chain their entries through next
// (an index into Tracker.entries, +1), so registering allocates nothing
// per cell.
type gridEntry struct {
	inc  *Incident
	next int32
}

// entryChunks is an append-only list of entries in fixed-size chunks:
// growing it never copies what it holds (a single slice of millions of
// entries would be copied, and rescanned, at every doubling).
type entryChunks struct{ chunks [][]gridEntry }

const chunkBits = 16

// add appends e and returns its index +1.
func (c *entryChunks) add(e gridEntry) int32 {
	n := len(c.chunks)
	if n == 0 || len(c.chunks[n-1]) == 1<<chunkBits {
		c.chunks = append(c.chunks, make([]gridEntry, 0, 1<<chunkBits))
		n++
	}
	c.chunks[n-1] = append(c.chunks[n-1], e)
	return int32((n-1)<<chunkBits + len(c.chunks[n-1]))
}

// at returns the entry of index+1 i.
func (c *entryChunks) at(i int32) gridEntry {
	i--
	return c.chunks[i>>chunkBits][i&(1<<chunkBits-1)]
}

// indexed is what an incident was registered with.
type indexed struct {
	has              bool
	from, to         int32 // hours registered
	location, origin *Disc
}

var families = func() map[vocab.Family]uint8 {
	m := map[vocab.Family]uint8{}
	for _, c := range vocab.Categories() {
		if _, ok := m[c.Family()]; !ok {
			m[c.Family()] = uint8(len(m) + 1)
		}
	}
	return m
}()

func hourOf(t time.Time) int32 { return int32(t.Unix() / bucketSecs) }

// maxIndexedRadiusKm bounds the uncertainty the index covers: a report or
// incident vaguer than this (a whole district) is matched only within this
// radius; analysts merge the rest by hand.
const maxIndexedRadiusKm = 30

// driftKm is the slack of a registration.
const driftKm = 1

// discCells calls f for every cell within km of the disc's centre.
func discCells(p orb.Point, km float64, f func(x, y int32)) {
	km = min(km, maxIndexedRadiusKm+driftKm+50)
	dLat := km / kmPerDegLat
	dLon := dLat / math.Max(math.Cos(p[1]*math.Pi/180), 0.05)
	dLon = min(dLon, 180)
	x0, y0 := int32(math.Floor((p[0]-dLon)/cellDeg)), int32(math.Floor((p[1]-dLat)/cellDeg))
	x1, y1 := int32(math.Floor((p[0]+dLon)/cellDeg)), int32(math.Floor((p[1]+dLat)/cellDeg))
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			f(x, y)
		}
	}
}

// rayCells calls f for every cell within widthKm of the bearing's wedge,
// once each (seen is scratch space).
func rayCells(b Bearing, widthKm float64, seen map[uint64]bool, f func(x, y int32)) {
	clear(seen)
	dx, dy := b.dir()
	const step = 1.0 // km between samples along the line
	lo, hi := max(b.MinKm-widthKm-b.FromKm, 0), min(b.MaxKm+widthKm+b.FromKm, 500)
	tan := math.Tan(math.Min(b.ErrDeg, 60) * math.Pi / 180)
	for d := lo; ; d += step {
		d = min(d, hi)
		p := fromPlane(b.From, d*dx, d*dy)
		discCells(p, widthKm+b.FromKm+d*tan+step/2, func(x, y int32) {
			if k := xyKey(x, y); !seen[k] {
				seen[k] = true
				f(x, y)
			}
		})
		if d >= hi {
			return
		}
	}
}

// index registers what of the incident is not yet registered: new hours
// its reports span, its location and origin if they moved out of their
// registered discs, and the bearings of the given new reports.
func (t *Tracker) index(inc *Incident, reports []Report) {
	fam := families[inc.Family]
	from, to := hourOf(inc.First), hourOf(inc.Last)
	in := func(h int32) func(x, y int32) {
		b := t.bucket(fam, h, true)
		return func(x, y int32) {
			k := xyKey(x, y)
			b[k] = t.entries.add(gridEntry{inc, b[k]})
		}
	}
	idx := &inc.idx
	covered := func(old, d *Disc) bool {
		return old != nil && distanceKm(old.Point, d.Point)+d.RadiusKm <= old.RadiusKm
	}
	// Discs that moved: register anew in every hour.
	for _, d := range []struct {
		disc *Disc
		reg  **Disc
	}{{inc.Location, &idx.location}, {inc.Origin, &idx.origin}} {
		if d.disc == nil || covered(*d.reg, d.disc) {
			continue
		}
		r := min(d.disc.RadiusKm, maxIndexedRadiusKm) + driftKm
		*d.reg = &Disc{Point: d.disc.Point, RadiusKm: r}
		for h := from; h <= to; h++ {
			discCells(d.disc.Point, r, in(h))
		}
	}
	// New bearings: in every hour already registered.
	if idx.has {
		for i := range reports {
			if b, ok := bearingOf(&reports[i], &t.Config); ok {
				for h := max(from, idx.from); h <= min(to, idx.to); h++ {
					rayCells(b, driftKm, t.seen, in(h))
				}
			}
		}
	}
	// New hours: everything.
	for h := from; h <= to; h++ {
		if idx.has && h >= idx.from && h <= idx.to {
			continue
		}
		for _, d := range []*Disc{idx.location, idx.origin} {
			if d != nil && !(d == idx.location && inc.Location == nil) {
				discCells(d.Point, d.RadiusKm, in(h))
			}
		}
		for i := range inc.Reports {
			if b, ok := bearingOf(&inc.Reports[i], &t.Config); ok {
				rayCells(b, driftKm, t.seen, in(h))
			}
		}
	}
	if !idx.has {
		idx.has, idx.from, idx.to = true, from, to
	} else {
		idx.from, idx.to = min(idx.from, from), max(idx.to, to)
	}
}

// match returns the open incident the report best fits, or nil.
func (t *Tracker) match(r *Report) *Incident {
	cfg := &t.Config
	var spots []*Disc
	for _, d := range []*Disc{locationOf(r), r.Origin} {
		if d != nil {
			spots = append(spots, d)
		}
	}
	b, hasBearing := bearingOf(r, cfg)
	if len(spots) == 0 && !hasBearing {
		return nil
	}
	fam := families[r.Category.Family()]
	h0, h1 := hourOf(r.At.Add(-cfg.Window)), hourOf(r.Until.Add(cfg.Window))
	var best *Incident
	bestScore := math.Inf(1)
	buckets := t.scratch[:0]
	for h := h0; h <= h1; h++ {
		if g := t.bucket(fam, h, false); g != nil {
			buckets = append(buckets, g)
		}
	}
	t.scratch = buckets
	if len(buckets) == 0 {
		return nil
	}
	visit := func(x, y int32) {
		k := xyKey(x, y)
		for _, g := range buckets {
			for e := g[k]; e != 0; {
				ent := t.entries.at(e)
				inc := ent.inc
				e = ent.next
				if inc == best {
					continue
				}
				if s, ok := t.fits(inc, r, spots, b, hasBearing); ok &&
					(s < bestScore || s == bestScore && inc.First.Before(best.First)) {
					best, bestScore = inc, s
				}
			}
		}
	}
	for _, d := range spots {
		discCells(d.Point, cfg.MaxDistanceKm+min(d.RadiusKm, maxIndexedRadiusKm), visit)
	}
	if hasBearing {
		rayCells(b, cfg.MaxDistanceKm, t.seen, visit)
	}
	return best
}

// fits reports whether the report r may describe incident inc, with a
// score (lower is better: the spatial gap in km).
func (t *Tracker) fits(inc *Incident, r *Report, spots []*Disc, b Bearing, hasBearing bool) (float64, bool) {
	cfg := &t.Config
	if inc.Status == Merged || inc.Status == Rejected {
		return 0, false
	}
	if r.At.After(inc.Last.Add(cfg.Window)) || r.Until.Before(inc.First.Add(-cfg.Window)) {
		return 0, false
	}
	first, last := inc.First, inc.Last
	if r.At.Before(first) {
		first = r.At
	}
	if r.Until.After(last) {
		last = r.Until
	}
	if last.Sub(first) > cfg.MaxSpan {
		return 0, false
	}
	gap := func(a, b *Disc) (float64, bool) {
		d := distanceKm(a.Point, b.Point) - a.RadiusKm - b.RadiusKm
		return max(d, 0), d <= cfg.MaxDistanceKm
	}
	best, ok := math.Inf(1), false
	if loc := locationOf(r); loc != nil && inc.Location != nil {
		if g, fit := gap(loc, inc.Location); fit {
			best, ok = min(best, g), true
		}
	}
	if r.Origin != nil && inc.Origin != nil {
		if g, fit := gap(r.Origin, inc.Origin); fit {
			best, ok = min(best, g), true
		}
	}
	// Bearings: the report's line must pass through the incident's origin,
	// or cross a lone bearing of the incident; a reported origin must lie
	// on the incident's bearings.
	var incBearings []Bearing
	if inc.Origin == nil {
		for i := range inc.Reports {
			if ib, has := bearingOf(&inc.Reports[i], cfg); has {
				incBearings = append(incBearings, ib)
			}
		}
	}
	if hasBearing {
		if inc.Origin != nil {
			if b.fits(inc.Origin, cfg.MaxDistanceKm) {
				best, ok = min(best, 0.5), true
			}
		} else if len(incBearings) > 0 {
			crossesAll := true
			for _, ib := range incBearings {
				if _, cross := Cross(b, ib, cfg.MaxDistanceKm); !cross {
					crossesAll = false
					break
				}
			}
			if crossesAll {
				best, ok = min(best, 1), true
			}
		}
	}
	if r.Origin != nil && inc.Origin == nil && len(incBearings) > 0 {
		onAll := true
		for _, ib := range incBearings {
			if !ib.fits(r.Origin, cfg.MaxDistanceKm) {
				onAll = false
				break
			}
		}
		if onAll {
			best, ok = min(best, 1), true
		}
	}
	return best, ok
}

// distanceKm is the local-plane distance: clustering compares kilometres
// with kilometres of uncertainty, where 0.1% does not matter.
func distanceKm(a, b orb.Point) float64 {
	x, y := toPlane(a, b)
	return math.Hypot(x, y)
}

// sortedIDs returns ids sorted, for records whose order must not depend
// on map iteration or arrival.
func sortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}
