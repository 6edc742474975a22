// Package report builds the mission's daily report, modelled on how the OSCE
// Special Monitoring Mission to Ukraine published its own: per area, the
// ceasefire violations recorded with their breakdown (explosions,
// projectiles in flight, muzzle flashes, illumination flares, bursts and
// shots) compared with the previous day; weapons in violation of withdrawal
// lines, beyond them but outside storage sites, and missing from holding
// areas; restrictions of the mission's freedom of movement; civilian
// casualties; cases opened and closed; response steps due, done and missed.
//
// Daily is a pure function of its Input: the same records, day and "as of"
// time give the same report, byte for byte, which is what lets a published
// report be a ledger record that anyone can recompute. The package renders
// the report as JSON, HTML (en, uk, ru), CSV and GeoJSON; it knows nothing of
// HTTP or SQL.
package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// Schema names the JSON layout; a change that breaks readers bumps it.
const Schema = "pactwatch-daily-report/v1"

// Input is everything a daily report is computed from. Observations must
// cover the report day and the day before it (observed_at in
// [DayStart(day-1), DayEnd(day))); records outside are ignored.
//
// Incidents, Cases and Steps are optional: the engines that produce them
// are adapted to these plain structs by the caller. When Incidents is
// non-nil (even empty) every event figure is counted from incidents and the
// observations are ignored; otherwise figures are counted from
// observations, which are reports, not verified events (see Caveat).
type Input struct {
	Agreement    *agreement.Agreement
	Observations []observation.Record
	Incidents    []Incident
	// Violations, when non-nil, are the compliance engine's findings: the
	// weapons in violation of withdrawal lines (rule weapon_distance) and
	// missing from holding areas (rule holding_inventory) are then listed
	// from them instead of the report's own assessment of the events.
	Violations []Violation
	Cases      []Case // nil: the cases section says "no data"
	Steps      []Step // nil: the steps section says "no data"
	// AsOf is when the report's data was read. Observations received after
	// it are left out, so a report for a past day "as of" a fixed time is
	// reproducible even while new reports arrive. Zero means the end of
	// the day.
	AsOf time.Time
	// Gazetteer names towns for locations and assigns areas; nil means
	// DefaultGazetteer (towns along the line in Ukraine).
	Gazetteer *Gazetteer
}

// Incident is an event as the incident engine established it, reduced to
// what a daily report counts.
type Incident struct {
	ID       string                `json:"id"`
	Status   string                `json:"status"` // reported, corroborated, verified, disputed, rejected
	At       time.Time             `json:"at"`
	Position *observation.Position `json:"position,omitempty"`
	// Observer is where the event was seen or heard from (the most precise
	// report's observer), for an incident with no Position: a sound heard,
	// a lone bearing. The report places the event there, as it places an
	// observation without a target or origin, and publishes it at the
	// observer grid, coarser than a target's.
	Observer     *observation.Position     `json:"observer,omitempty"`
	Counts       map[vocab.Category]int    `json:"counts"`
	Weapons      map[vocab.WeaponClass]int `json:"weapons,omitempty"`
	CalibreMM    float64                   `json:"calibre_mm,omitempty"`
	Party        string                    `json:"party,omitempty"` // attributed party, if any
	Observations int                       `json:"observations"`    // how many reports it merges
}

// Violation is a finding of the compliance engine, reduced to what the
// weapons lists show.
type Violation struct {
	ID          string                `json:"id"`
	Commitment  string                `json:"commitment"`
	Rule        string                `json:"rule"` // agreement.Rule* kind
	Party       string                `json:"party,omitempty"`
	At          time.Time             `json:"at"`
	Position    *observation.Position `json:"position,omitempty"`
	WeaponClass vocab.WeaponClass     `json:"weapon_class,omitempty"`
	Count       int                   `json:"count"`
	DistanceKm  float64               `json:"distance_km,omitempty"`
	LimitKm     float64               `json:"limit_km,omitempty"`
	Zone        string                `json:"zone,omitempty"` // the holding area, for holding_inventory
}

// Case is a violation case, as the compliance engine groups violations.
type Case struct {
	ID         string    `json:"id"`
	Commitment string    `json:"commitment"`
	Party      string    `json:"party,omitempty"`
	Area       string    `json:"area,omitempty"`
	Status     string    `json:"status"`
	Opened     time.Time `json:"opened"`
	Closed     time.Time `json:"closed,omitzero"` // zero while open
}

// Step is one response-protocol step of a case.
type Step struct {
	Case   string           `json:"case"`
	Step   string           `json:"step"`
	Actor  string           `json:"actor"`
	Action vocab.ActionKind `json:"action"`
	Due    time.Time        `json:"due"`
	Done   time.Time        `json:"done,omitzero"` // zero while not done
}

// Sources of figures, named in every section.
const (
	FromObservations = "observations" // unverified reports, not de-duplicated
	FromIncidents    = "incidents"    // events established from merged reports
	FromViolations   = "violations"   // the compliance engine's findings
	FromCases        = "cases"
	FromSteps        = "response_steps"
	NoData           = "no_data"
)

// CaveatObservations is attached to every figure counted from observations.
const CaveatObservations = "Figures are counted from observations: reports as submitted, before analysts merge reports of the same event into incidents or verify them. One event reported by two sources counts twice, and no report has been verified."

// CaveatIncidents is attached to figures counted from incidents some of
// which no analyst has verified (its verbs: unverified, total).
const CaveatIncidents = "Figures are counted from incidents: reports of the same event merged into one. %d of the day's %d incidents are not (yet) verified by analysts."

// Report is a daily report. Its JSON form (Schema) is stable: fields are
// added, never renamed.
type Report struct {
	Schema       string    `json:"schema"`
	ID           string    `json:"id"`     // "report:daily:2026-11-20", the ledger record id
	Number       string    `json:"number"` // "324/2026": day of the year of the report day
	Date         string    `json:"date"`   // the report day, YYYY-MM-DD in TimeZone
	TimeZone     string    `json:"time_zone"`
	From         time.Time `json:"from"` // local midnight starting the day
	To           time.Time `json:"to"`   // local midnight ending it (23, 24 or 25 h later)
	AsOf         time.Time `json:"as_of"`
	Complete     bool      `json:"complete"`                // AsOf is at or after To
	AgreementDay int       `json:"agreement_day,omitempty"` // 1 on the effective day; 0 before it or without one
	Agreement    struct {
		Title string `json:"title"`
		Hash  string `json:"hash"`
	} `json:"agreement"`
	Mission      string              `json:"mission"`
	Names        map[string]string   `json:"names"`       // party, guarantor and actor id → name, as the agreement writes them
	Commitments  map[string]string   `json:"commitments"` // commitment id → title, for the commitments named below
	Source       string              `json:"source"`      // FromObservations or FromIncidents: where event figures come from
	Caveat       string              `json:"caveat,omitempty"`
	Incidents    int                 `json:"incidents,omitempty"`  // with source incidents: the day's incidents
	Unverified   int                 `json:"unverified,omitempty"` // of which not (yet) verified by analysts
	Ceasefire    CeasefireSection    `json:"ceasefire"`
	Weapons      WeaponsSection      `json:"weapons"`
	Restrictions RestrictionsSection `json:"restrictions"`
	Casualties   CasualtiesSection   `json:"casualties"`
	Cases        CasesSection        `json:"cases"`
	Steps        StepsSection        `json:"steps"`
	Events       []Event             `json:"events"` // the day's events, for the CSV and GeoJSON exports
}

// Breakdown is a ceasefire-violation count by kind, as missions reported it.
type Breakdown struct {
	Total          int `json:"total"`
	Explosions     int `json:"explosions"`
	Projectiles    int `json:"projectiles_in_flight"`
	MuzzleFlashes  int `json:"muzzle_flashes"`
	Flares         int `json:"illumination_flares"`
	BurstsAndShots int `json:"bursts_and_shots"`
}

func (b *Breakdown) add(c vocab.Category, n int) {
	switch c {
	case vocab.Explosion:
		b.Explosions += n
	case vocab.ProjectileInFlight:
		b.Projectiles += n
	case vocab.MuzzleFlash:
		b.MuzzleFlashes += n
	case vocab.IlluminationFlare:
		b.Flares += n
	case vocab.BurstOfFire:
		b.BurstsAndShots += n
	default:
		return
	}
	b.Total += n
}

func (b Breakdown) minus(o Breakdown) Breakdown {
	return Breakdown{b.Total - o.Total, b.Explosions - o.Explosions, b.Projectiles - o.Projectiles,
		b.MuzzleFlashes - o.MuzzleFlashes, b.Flares - o.Flares, b.BurstsAndShots - o.BurstsAndShots}
}

// AreaViolations is one area's ceasefire violations on the day and the day
// before; Change is Day minus Previous.
type AreaViolations struct {
	Area     string    `json:"area"` // area id, e.g. "donetsk"
	Name     string    `json:"name"` // English name; the HTML localises by id
	Day      Breakdown `json:"day"`
	Previous Breakdown `json:"previous"`
	Change   Breakdown `json:"change"`
}

// CeasefireSection lists every area with violations on either day, in the
// gazetteer's order, then the total.
type CeasefireSection struct {
	Source string           `json:"source"`
	Areas  []AreaViolations `json:"areas"`
	Total  AreaViolations   `json:"total"`
}

// Place says where something was: the area, the nearest gazetteer town and
// the distance and compass direction from it, and whose controlled area it
// lies in.
type Place struct {
	Area       string  `json:"area"`
	Town       string  `json:"town,omitempty"` // gazetteer id
	TownKm     float64 `json:"town_km,omitempty"`
	Direction  string  `json:"direction,omitempty"`     // N, NE, … from the town
	Controlled string  `json:"controlled_by,omitempty"` // party whose controlled area holds it
}

// Weapon is a heavy-weapon sighting assessed against a withdrawal rule.
type Weapon struct {
	Event       string            `json:"event"`
	At          time.Time         `json:"at"`
	Class       vocab.WeaponClass `json:"class"`
	CalibreMM   float64           `json:"calibre_mm,omitempty"`
	Count       int               `json:"count"`
	Party       string            `json:"party,omitempty"`      // whose weapon: controlled area, else attribution
	Commitment  string            `json:"commitment,omitempty"` // the withdrawal commitment it was assessed against
	Line        string            `json:"line,omitempty"`
	DistanceKm  float64           `json:"distance_km"` // from the party's line, rounded to 0.5 km
	LimitKm     float64           `json:"limit_km,omitempty"`
	HoldingArea string            `json:"holding_area,omitempty"` // the storage site it was inside, if any
	Place       Place             `json:"place"`
}

// Missing is a weapon reported missing from a holding area.
type Missing struct {
	Event       string            `json:"event"`
	At          time.Time         `json:"at"`
	HoldingArea string            `json:"holding_area,omitempty"` // zone id; "" when the report lies in none
	Name        string            `json:"name,omitempty"`
	Party       string            `json:"party,omitempty"`
	Class       vocab.WeaponClass `json:"class,omitempty"`
	Count       int               `json:"count"`
	Declared    int               `json:"declared,omitempty"` // the holding area's declared inventory of the class
}

// WeaponsSection holds the two lists missions published (in violation of
// withdrawal lines; beyond them but outside designated storage sites), the
// sightings whose position or owner could not decide, and weapons missing
// from holding areas. Source is where InViolation and Missing come from
// (the events, or FromViolations); the other two lists always come from
// the events (Report.Source).
type WeaponsSection struct {
	Source        string    `json:"source"`
	InViolation   []Weapon  `json:"in_violation"`
	OutsideSites  []Weapon  `json:"outside_storage_sites"`
	Indeterminate []Weapon  `json:"indeterminate"`
	Missing       []Missing `json:"missing"`
}

// Item is a dated, placed event of a listed kind (a restriction, a
// casualty report).
type Item struct {
	Event    string         `json:"event"`
	At       time.Time      `json:"at"`
	Category vocab.Category `json:"category"`
	Count    int            `json:"count"`
	Place    Place          `json:"place"`
}

// RestrictionsSection lists restrictions of the mission's freedom of
// movement and interference with its equipment (UAV jamming, shoot-downs).
type RestrictionsSection struct {
	Source       string `json:"source"`
	Restrictions []Item `json:"restrictions"`
	Interference []Item `json:"interference"`
}

// CasualtiesSection counts civilian casualties reported (persons).
type CasualtiesSection struct {
	Source string `json:"source"`
	Total  int    `json:"total"`
	Items  []Item `json:"items"`
}

// CasesSection lists cases opened and closed during the day.
type CasesSection struct {
	Source    string `json:"source"` // FromCases or NoData
	Opened    []Case `json:"opened"`
	Closed    []Case `json:"closed"`
	OpenAtEnd int    `json:"open_at_end"` // cases open at the end of the day
}

// StepsSection lists response steps due, done and missed during the day.
// A step is missed when its deadline fell in the day and it was not done
// by then (done late or not at all); Overdue counts every step past its
// deadline and not done at the end of the day, whenever it fell due.
type StepsSection struct {
	Source  string `json:"source"` // FromSteps or NoData
	Due     []Step `json:"due"`
	Done    []Step `json:"done"`
	Missed  []Step `json:"missed"`
	Overdue int    `json:"overdue_at_end"`
}

// Event is one of the day's events as the exports list it. Positions are
// the public projection's (observations snapped to observation.PublicGridDeg),
// so an export reveals no more than the public map.
type Event struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"` // "observation" or "incident"
	Status      string            `json:"status,omitempty"`
	At          time.Time         `json:"at"`
	Category    vocab.Category    `json:"category"`
	Count       int               `json:"count"`
	WeaponClass vocab.WeaponClass `json:"weapon_class,omitempty"`
	CalibreMM   float64           `json:"calibre_mm,omitempty"`
	FireDir     string            `json:"fire_direction,omitempty"` // as reported, e.g. "W to E" for projectiles in flight
	SourceType  vocab.SourceType  `json:"source_type,omitempty"`
	Grade       vocab.Grade       `json:"grade,omitempty"`
	Lat         *float64          `json:"lat,omitempty"`
	Lon         *float64          `json:"lon,omitempty"`
	Place       Place             `json:"place"`
}

// event is the common form of an observation or an incident inside Daily.
type event struct {
	id, source, status string
	at                 time.Time
	pos                *observation.Position // precise, for assessment
	public             *observation.Position // what exports show
	counts             map[vocab.Category]int
	weapons            map[vocab.WeaponClass]int
	calibre            float64
	fireDir            string
	party              string
	sourceType         vocab.SourceType
	grade              vocab.Grade
	placed             *Place // memo of placer.place
}

func (e *event) point() (orb.Point, bool) {
	if e.pos == nil {
		return orb.Point{}, false
	}
	return orb.Point{e.pos.Lon, e.pos.Lat}, true
}

// Daily computes the report for day (YYYY-MM-DD in the agreement's time
// zone). It reads nothing but its input.
func Daily(in Input, day string) (*Report, error) {
	a := in.Agreement
	if a == nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "agreement", "a daily report needs the agreement")
	}
	loc := a.Location()
	from, to, err := Bounds(day, loc)
	if err != nil {
		return nil, err
	}
	prevFrom, _, _ := Bounds(from.AddDate(0, 0, -1).Format(time.DateOnly), loc)
	asOf := in.AsOf
	if asOf.IsZero() {
		asOf = to
	}
	if asOf.Before(from) {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "as_of", "as of %s is before the report day starts (%s)", asOf.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	g := in.Gazetteer
	if g == nil {
		g = DefaultGazetteer()
	}
	r := &Report{
		Schema: Schema, ID: RecordID(day), Number: Number(from), Date: day, TimeZone: loc.String(),
		From: from, To: to, AsOf: asOf.In(loc), Complete: !asOf.Before(to),
		Mission: a.Mission.Name,
	}
	r.Agreement.Title, r.Agreement.Hash = a.Title, a.Hash()
	r.Names = map[string]string{agreement.ActorMission: a.ActorName(agreement.ActorMission),
		agreement.ActorAllGuarantors: a.ActorName(agreement.ActorAllGuarantors)}
	for _, p := range a.Parties {
		r.Names[p.ID] = p.Name
	}
	for _, gu := range a.Guarantors {
		r.Names[gu.ID] = gu.Name
	}
	r.Commitments = map[string]string{}
	for _, c := range a.Commitments {
		r.Commitments[c.ID] = c.Title
	}
	r.AgreementDay = agreementDay(a, from)

	events := observationEvents(in.Observations, asOf)
	r.Source, r.Caveat = FromObservations, CaveatObservations
	if in.Incidents != nil {
		events = incidentEvents(in.Incidents)
		r.Source, r.Caveat = FromIncidents, ""
	}
	var today, previous []*event
	for _, e := range events {
		switch {
		case !e.at.Before(from) && e.at.Before(to) && !e.at.After(asOf):
			today = append(today, e)
		case !e.at.Before(prevFrom) && e.at.Before(from):
			previous = append(previous, e)
		}
	}
	if r.Source == FromIncidents {
		for _, e := range today {
			r.Incidents++
			if e.status != "verified" {
				r.Unverified++
			}
		}
		if r.Unverified > 0 {
			r.Caveat = fmt.Sprintf(CaveatIncidents, r.Unverified, r.Incidents)
		}
	}
	slices.SortStableFunc(today, func(x, y *event) int {
		return cmp.Or(x.at.Compare(y.at), cmp.Compare(x.id, y.id))
	}) // deterministic order whatever the store returned

	pl := placer{a: a, g: g, t: from}
	r.Ceasefire = ceasefire(today, previous, pl, g)
	r.Ceasefire.Source = r.Source
	r.Weapons = weapons(today, a, pl)
	r.Weapons.Source = r.Source
	if in.Violations != nil {
		fromViolations(&r.Weapons, in.Violations, a, pl, from, to)
	}
	r.Restrictions.Source, r.Casualties.Source = r.Source, r.Source
	r.Restrictions.Restrictions, r.Restrictions.Interference = []Item{}, []Item{}
	r.Casualties.Items = []Item{}
	r.Events = []Event{}
	for _, e := range today {
		p := pl.place(e)
		for _, c := range sortedCategories(e.counts) {
			n := e.counts[c]
			it := Item{Event: e.id, At: e.at.In(loc), Category: c, Count: n, Place: p}
			switch c {
			case vocab.MovementRestriction:
				r.Restrictions.Restrictions = append(r.Restrictions.Restrictions, it)
			case vocab.EquipmentInterference:
				r.Restrictions.Interference = append(r.Restrictions.Interference, it)
			case vocab.CivilianCasualty:
				r.Casualties.Items = append(r.Casualties.Items, it)
				r.Casualties.Total += n
			}
			r.Events = append(r.Events, exportEvent(e, c, n, p, loc))
		}
	}
	r.Cases = cases(in.Cases, from, to, loc)
	r.Steps = steps(in.Steps, from, to, loc)
	return r, nil
}

// agreementDay numbers days from the agreement's effective day (day 1).
func agreementDay(a *agreement.Agreement, from time.Time) int {
	if a.Effective == "" {
		return 0
	}
	eff, err := a.Effective.In(a.Location())
	if err != nil || from.Before(eff) {
		return 0
	}
	// Calendar days, not 24 h periods: DST days are 23 or 25 h long.
	y1, m1, d1 := eff.Date()
	y2, m2, d2 := from.Date()
	days := time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour)
	return int(days) + 1
}

func observationEvents(recs []observation.Record, asOf time.Time) []*event {
	out := make([]*event, 0, len(recs))
	for i := range recs {
		o := &recs[i]
		if o.ReceivedAt.After(asOf) {
			continue // not known as of the report's time
		}
		pub := observation.Public(*o)
		e := &event{id: o.ID, source: "observation", at: o.ObservedAt,
			counts: map[vocab.Category]int{o.Category: max(o.Count, 1)}, calibre: o.CalibreMM,
			sourceType: o.SourceType, grade: o.Grade, fireDir: pub.FireDirection}
		e.pos, e.public = cmp.Or(o.Target, o.Origin, o.Observer), cmp.Or(pub.Target, pub.Origin, pub.Observer)
		if o.WeaponClass != "" {
			e.weapons = map[vocab.WeaponClass]int{o.WeaponClass: max(o.Count, 1)}
		}
		if o.Attribution != nil {
			e.party = o.Attribution.Party
		}
		out = append(out, e)
	}
	return out
}

func incidentEvents(incs []Incident) []*event {
	out := make([]*event, 0, len(incs))
	for i := range incs {
		inc := &incs[i]
		if inc.Status == "rejected" {
			continue
		}
		// Incidents are published at the public grid too.
		pos, pub := inc.Position, (*observation.Position)(nil)
		switch {
		case inc.Position != nil:
			pub = observation.Public(observation.Record{Observation: observation.Observation{Target: inc.Position}}).Target
		case inc.Observer != nil:
			pos = inc.Observer
			pub = observation.Public(observation.Record{Observation: observation.Observation{Observer: inc.Observer}}).Observer
		}
		out = append(out, &event{id: inc.ID, source: "incident", status: inc.Status, at: inc.At,
			pos: pos, public: pub, counts: inc.Counts, weapons: inc.Weapons,
			calibre: inc.CalibreMM, party: inc.Party})
	}
	return out
}

func exportEvent(e *event, c vocab.Category, n int, p Place, loc *time.Location) Event {
	ev := Event{ID: e.id, Source: e.source, Status: e.status, At: e.at.In(loc), Category: c, Count: n,
		CalibreMM: e.calibre, FireDir: e.fireDir, SourceType: e.sourceType, Grade: e.grade, Place: p}
	if len(e.weapons) == 1 {
		for wc := range e.weapons {
			ev.WeaponClass = wc
		}
	}
	if e.public != nil {
		lat, lon := e.public.Lat, e.public.Lon
		ev.Lat, ev.Lon = &lat, &lon
	}
	return ev
}

func ceasefire(today, previous []*event, pl placer, g *Gazetteer) CeasefireSection {
	day, prev := map[string]*Breakdown{}, map[string]*Breakdown{}
	tally := func(evs []*event, into map[string]*Breakdown) {
		for _, e := range evs {
			var b *Breakdown
			for _, c := range sortedCategories(e.counts) {
				if !c.IsCeasefireViolation() {
					continue
				}
				if b == nil {
					area := pl.area(e)
					if into[area] == nil {
						into[area] = &Breakdown{}
					}
					b = into[area]
				}
				b.add(c, e.counts[c])
			}
		}
	}
	tally(today, day)
	tally(previous, prev)
	s := CeasefireSection{Areas: []AreaViolations{}, Total: AreaViolations{Area: "total", Name: "Total"}}
	for _, ar := range g.AreaList() {
		d, p := day[ar.ID], prev[ar.ID]
		if d == nil && p == nil {
			continue
		}
		av := AreaViolations{Area: ar.ID, Name: ar.Name}
		if d != nil {
			av.Day = *d
		}
		if p != nil {
			av.Previous = *p
		}
		av.Change = av.Day.minus(av.Previous)
		s.Areas = append(s.Areas, av)
		s.Total.Day = sum(s.Total.Day, av.Day)
		s.Total.Previous = sum(s.Total.Previous, av.Previous)
	}
	s.Total.Change = s.Total.Day.minus(s.Total.Previous)
	return s
}

func sum(a, b Breakdown) Breakdown {
	return Breakdown{a.Total + b.Total, a.Explosions + b.Explosions, a.Projectiles + b.Projectiles,
		a.MuzzleFlashes + b.MuzzleFlashes, a.Flares + b.Flares, a.BurstsAndShots + b.BurstsAndShots}
}

// weapons assesses each heavy-weapon sighting against the withdrawal
// commitments (weapon_distance rules) in force, the way compliance does:
// the weapon belongs to the party whose controlled area holds it (else the
// reported attribution); it is in violation when its whole uncertainty disc
// lies within the rule's distance of the party's line.
func weapons(today []*event, a *agreement.Agreement, pl placer) WeaponsSection {
	s := WeaponsSection{InViolation: []Weapon{}, OutsideSites: []Weapon{}, Indeterminate: []Weapon{}, Missing: []Missing{}}
	loc := a.Location()
	for _, e := range today {
		pt, ok := e.point()
		if e.counts[vocab.WeaponMissing] > 0 {
			m := Missing{Event: e.id, At: e.at.In(loc), Count: e.counts[vocab.WeaponMissing]}
			if cl := sortedClasses(e.weapons); len(cl) > 0 {
				m.Class = cl[0]
			}
			if ok {
				if z := holdingArea(a, pt, e.at); z != nil {
					m.HoldingArea, m.Name, m.Party = z.ID, z.Name, z.Party
					m.Declared = z.Inventory[string(m.Class)]
				}
			}
			s.Missing = append(s.Missing, m)
		}
		if e.counts[vocab.HeavyWeaponSighted] == 0 || len(e.weapons) == 0 {
			continue
		}
		p := pl.place(e)
		party := cmp.Or(p.Controlled, e.party)
		for _, wc := range sortedClasses(e.weapons) {
			w := Weapon{Event: e.id, At: e.at.In(loc), Class: wc, CalibreMM: e.calibre, Count: e.weapons[wc],
				Party: party, Place: p}
			if !ok {
				s.Indeterminate = append(s.Indeterminate, w)
				continue
			}
			c := withdrawalRule(a, party, wc, e.at)
			if c == nil {
				if party == "" && anyWithdrawalRule(a, wc, e.at) {
					s.Indeterminate = append(s.Indeterminate, w) // whose weapon is unknown
				}
				continue
			}
			lz := a.Zone(c.Rule.Line)
			limit := c.Rule.Distances[wc]
			d := lz.Line().DistanceKm(pt)
			rad := e.pos.UncertaintyM / 1000
			w.Commitment, w.Line, w.LimitKm, w.DistanceKm = c.ID, lz.ID, limit, math.Round(d*2)/2
			switch {
			case d+rad < limit:
				s.InViolation = append(s.InViolation, w)
			case d-rad < limit:
				s.Indeterminate = append(s.Indeterminate, w)
			default:
				if z := holdingArea(a, pt, e.at); z != nil {
					continue // where it belongs
				}
				s.OutsideSites = append(s.OutsideSites, w)
			}
		}
	}
	return s
}

// fromViolations replaces the weapons in violation and the missing
// weapons with the compliance engine's findings for the day.
func fromViolations(s *WeaponsSection, vs []Violation, a *agreement.Agreement, pl placer, from, to time.Time) {
	s.Source = FromViolations
	s.InViolation, s.Missing = []Weapon{}, []Missing{}
	loc := a.Location()
	sorted := slices.Clone(vs)
	slices.SortStableFunc(sorted, func(x, y Violation) int { return cmp.Or(x.At.Compare(y.At), cmp.Compare(x.ID, y.ID)) })
	for _, v := range sorted {
		if v.At.Before(from) || !v.At.Before(to) {
			continue
		}
		switch v.Rule {
		case agreement.RuleWeaponDistance:
			e := &event{id: v.ID, pos: v.Position}
			w := Weapon{Event: v.ID, At: v.At.In(loc), Class: v.WeaponClass, Count: v.Count, Party: v.Party,
				Commitment: v.Commitment, DistanceKm: math.Round(v.DistanceKm*2) / 2, LimitKm: v.LimitKm, Place: pl.place(e)}
			if c := a.Commitment(v.Commitment); c != nil {
				w.Line = c.Rule.Line
			}
			s.InViolation = append(s.InViolation, w)
		case agreement.RuleHoldingInventory:
			m := Missing{Event: v.ID, At: v.At.In(loc), HoldingArea: v.Zone, Party: v.Party, Class: v.WeaponClass, Count: v.Count}
			if z := a.Zone(v.Zone); z != nil {
				m.Name, m.Declared = z.Name, z.Inventory[string(v.WeaponClass)]
				m.Party = cmp.Or(m.Party, z.Party)
			}
			s.Missing = append(s.Missing, m)
		}
	}
}

// withdrawalRule returns the weapon_distance commitment binding party for
// weapon class wc at t, or nil.
func withdrawalRule(a *agreement.Agreement, party string, wc vocab.WeaponClass, t time.Time) *agreement.Commitment {
	if party == "" {
		return nil
	}
	for _, c := range a.Commitments {
		if c.Rule.Kind != agreement.RuleWeaponDistance || !c.ActiveAt(t) {
			continue
		}
		if _, ok := c.Rule.Distances[wc]; !ok {
			continue
		}
		lz := a.Zone(c.Rule.Line)
		if lz == nil || lz.Line() == nil {
			continue
		}
		owner := cmp.Or(c.Rule.Party, lz.Party)
		if owner == "" && len(c.Obligors) == 1 {
			owner = c.Obligors[0]
		}
		if owner == party {
			return c
		}
	}
	return nil
}

func anyWithdrawalRule(a *agreement.Agreement, wc vocab.WeaponClass, t time.Time) bool {
	for _, c := range a.Commitments {
		if _, ok := c.Rule.Distances[wc]; ok && c.Rule.Kind == agreement.RuleWeaponDistance && c.ActiveAt(t) {
			return true
		}
	}
	return false
}

// holdingAreaKm is how near a holding area given as a point a report must
// be to count as at it.
const holdingAreaKm = 3

func holdingArea(a *agreement.Agreement, p orb.Point, t time.Time) *agreement.Zone {
	for _, z := range a.Zones {
		if z.Kind != agreement.HoldingArea {
			continue
		}
		switch g := z.GeometryAt(t).(type) {
		case orb.Point:
			if geo.DistanceKm(g, p) <= holdingAreaKm {
				return z
			}
		case nil:
		default:
			if geo.Contains(g, p) {
				return z
			}
		}
	}
	return nil
}

func cases(cs []Case, from, to time.Time, loc *time.Location) CasesSection {
	if cs == nil {
		return CasesSection{Source: NoData, Opened: []Case{}, Closed: []Case{}}
	}
	s := CasesSection{Source: FromCases, Opened: []Case{}, Closed: []Case{}}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	for _, c := range cs {
		c.Opened = c.Opened.In(loc)
		if !c.Closed.IsZero() {
			c.Closed = c.Closed.In(loc)
		}
		if in(c.Opened) {
			s.Opened = append(s.Opened, c)
		}
		if in(c.Closed) {
			s.Closed = append(s.Closed, c)
		}
		if c.Opened.Before(to) && (c.Closed.IsZero() || !c.Closed.Before(to)) {
			s.OpenAtEnd++
		}
	}
	byOpened := func(x, y Case) int { return cmp.Or(x.Opened.Compare(y.Opened), cmp.Compare(x.ID, y.ID)) }
	slices.SortFunc(s.Opened, byOpened)
	slices.SortFunc(s.Closed, func(x, y Case) int { return cmp.Or(x.Closed.Compare(y.Closed), cmp.Compare(x.ID, y.ID)) })
	return s
}

func steps(ss []Step, from, to time.Time, loc *time.Location) StepsSection {
	if ss == nil {
		return StepsSection{Source: NoData, Due: []Step{}, Done: []Step{}, Missed: []Step{}}
	}
	s := StepsSection{Source: FromSteps, Due: []Step{}, Done: []Step{}, Missed: []Step{}}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	for _, st := range ss {
		st.Due = st.Due.In(loc)
		if !st.Done.IsZero() {
			st.Done = st.Done.In(loc)
		}
		if in(st.Due) {
			s.Due = append(s.Due, st)
			if st.Done.IsZero() || st.Done.After(st.Due) {
				s.Missed = append(s.Missed, st)
			}
		}
		if in(st.Done) {
			s.Done = append(s.Done, st)
		}
		if st.Due.Before(to) && (st.Done.IsZero() || !st.Done.Before(to)) {
			s.Overdue++
		}
	}
	byDue := func(x, y Step) int {
		return cmp.Or(x.Due.Compare(y.Due), cmp.Compare(x.Case, y.Case), cmp.Compare(x.Step, y.Step))
	}
	slices.SortFunc(s.Due, byDue)
	slices.SortFunc(s.Missed, byDue)
	slices.SortFunc(s.Done, func(x, y Step) int {
		return cmp.Or(x.Done.Compare(y.Done), cmp.Compare(x.Case, y.Case), cmp.Compare(x.Step, y.Step))
	})
	return s
}

func sortedCategories(m map[vocab.Category]int) []vocab.Category {
	out := make([]vocab.Category, 0, len(m))
	for c, n := range m {
		if n > 0 {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func sortedClasses(m map[vocab.WeaponClass]int) []vocab.WeaponClass {
	out := make([]vocab.WeaponClass, 0, len(m))
	for c, n := range m {
		if n > 0 {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// RecordID is the ledger record id of the daily report for day.
func RecordID(day string) string { return fmt.Sprintf("report:daily:%s", day) }
