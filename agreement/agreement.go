// Package agreement holds the agreement format: the machine-readable form of
// a peace settlement's security guarantees — parties and guarantors, the
// monitoring mission and its keys, zones, commitments with typed rules, and
// response protocols — and its validation and canonical hash.
//
// An agreement is never edited in place: an amendment is a new version that
// names the hash of the one it supersedes, so the ledger's first entry pins
// exactly what the mission enforces. The hash covers the content of every
// referenced zone file, and not the YAML's formatting.
package agreement

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
	_ "time/tzdata" // report days need the mission's zone on any machine

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/vocab"
)

// Agreement is a parsed, valid agreement. Its fields mirror the file; the
// methods answer the questions other packages ask (lookups by id, zone
// geometry at a time, the canonical hash).
type Agreement struct {
	Title       string       `json:"title"`
	Version     int          `json:"version"`
	Supersedes  string       `json:"supersedes,omitempty"`
	Effective   Date         `json:"effective,omitempty"`
	Duration    Duration     `json:"duration,omitempty"`
	ReviewEvery Duration     `json:"review_every,omitempty"`
	Notes       string       `json:"notes,omitempty"`
	Parties     []*Party     `json:"parties"`
	Guarantors  []*Guarantor `json:"guarantors"`
	Mission     Mission      `json:"mission"`
	Keys        []*Key       `json:"keys,omitempty"`
	Reporting   Reporting    `json:"reporting"`
	// Verification and Cases are optional: nil fields take pactwatch's
	// defaults (package pipeline applies them).
	Verification Verification  `json:"verification,omitzero"`
	Cases        CasePolicy    `json:"cases,omitzero"`
	Zones        []*Zone       `json:"zones"`
	Commitments  []*Commitment `json:"commitments"`
	Protocols    []*Protocol   `json:"protocols"`

	canonical []byte
	hash      string
	loc       *time.Location
}

// Party is a side of the conflict bound by the agreement.
type Party struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Guarantor is a state, or a group of states (a coalition) whose members
// are guarantor states listed in the same agreement.
type Guarantor struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"` // "state" or "group"
	Members []string `json:"members,omitempty"`
}

// Mission is the monitoring mission and the keys of its tamper-evident log.
type Mission struct {
	Name          string    `json:"name"`
	Log           LogKey    `json:"log"`
	Witnesses     []Witness `json:"witnesses,omitempty"`
	WitnessQuorum int       `json:"witness_quorum,omitempty"`
}

// LogKey pins the log: its checkpoint origin line and its signed-note
// verifier key (name+hash+base64(0x01‖Ed25519 public key), as
// golang.org/x/mod/sumdb/note writes it; the name is the origin).
type LogKey struct {
	Origin    string `json:"origin"`
	PublicKey string `json:"public_key"`
}

// Witness is an independent cosigner of checkpoints; PublicKey is a
// tlog-cosignature/v1 verifier key (name+hash+base64(0x04‖public key)).
type Witness struct {
	Name      string `json:"name"`
	PublicKey string `json:"public_key"`
	URL       string `json:"url,omitempty"`
}

// Key says which Ed25519 public key may act in which role, and when.
type Key struct {
	ID         string     `json:"id"`
	Role       vocab.Role `json:"role"`
	Of         string     `json:"of,omitempty"` // the guarantor or party a liaison acts for
	PublicKey  string     `json:"public_key"`   // base64 of the raw 32-byte key
	ValidFrom  Date       `json:"valid_from"`
	ValidUntil Date       `json:"valid_until,omitempty"` // exclusive; empty: no end

	from, until time.Time
}

// ValidAt reports whether the key may act at t: from the start of
// ValidFrom until the start of ValidUntil, in the reporting time zone.
func (k *Key) ValidAt(t time.Time) bool {
	return !t.Before(k.from) && (k.until.IsZero() || t.Before(k.until))
}

// Reporting holds how the mission reports.
type Reporting struct {
	TimeZone string `json:"time_zone"` // IANA name; report days are days in this zone
}

// Verification says how reports become incidents (Clustering) and when
// independent sources agree (Corroboration).
type Verification struct {
	Corroboration Corroboration `json:"corroboration,omitzero"`
	Clustering    Clustering    `json:"clustering,omitzero"`
}

// Corroboration: an incident is corroborated by MinIndependent reports from
// pairwise different reporters and source types, or by one direct
// observation by a source whose reliability letter is in DirectReliability
// (and credibility digit at most DirectMaxCredibility, when set).
type Corroboration struct {
	MinIndependent       *int    `json:"min_independent,omitempty"`
	DirectReliability    *string `json:"direct_reliability,omitempty"`
	DirectMaxCredibility *int    `json:"direct_max_credibility,omitempty"`
}

// Clustering bounds the reports of one event in space and time, and how
// long an analyst's claim lasts.
type Clustering struct {
	MaxDistanceKm  *float64 `json:"max_distance_km,omitempty"`
	WindowMinutes  *int     `json:"window_minutes,omitempty"`
	MaxSpanMinutes *int     `json:"max_span_minutes,omitempty"`
	MaxRangeKm     *float64 `json:"max_range_km,omitempty"`
	ClaimMinutes   *int     `json:"claim_minutes,omitempty"`
}

// CasePolicy says which violations open cases, how they are grouped and
// how cases are decided.
type CasePolicy struct {
	OpenAt                   string   `json:"open_at,omitempty"` // minor, serious or grave
	EscalateMinorAt          *int     `json:"escalate_minor_at,omitempty"`
	AreaCellDeg              *float64 `json:"area_cell_deg,omitempty"`
	SeriousCount             *int     `json:"serious_count,omitempty"`
	MinAttributionConfidence string   `json:"min_attribution_confidence,omitempty"`
	TwoPersonRule            bool     `json:"two_person_rule,omitempty"`
	DisputePausesDeadlines   bool     `json:"dispute_pauses_deadlines,omitempty"`
}

// Hash returns the agreement's canonical hash: 64 lowercase hex digits of
// the SHA-256 of CanonicalJSON.
func (a *Agreement) Hash() string { return a.hash }

// CanonicalJSON returns the RFC 8785 form of the agreement with every zone
// file's content inlined (each `file` becomes {"path", "content"}): what the
// hash covers and what the ledger logs. The caller must not modify it.
func (a *Agreement) CanonicalJSON() []byte { return a.canonical }

func (a *Agreement) setCanonical(b []byte) {
	a.canonical = b
	sum := sha256.Sum256(b)
	a.hash = hex.EncodeToString(sum[:])
}

// Location returns the mission's reporting time zone.
func (a *Agreement) Location() *time.Location { return a.loc }

// Party returns the party with the id, or nil.
func (a *Agreement) Party(id string) *Party {
	return find(a.Parties, id, func(p *Party) string { return p.ID })
}

// Guarantor returns the guarantor (state or group) with the id, or nil.
func (a *Agreement) Guarantor(id string) *Guarantor {
	return find(a.Guarantors, id, func(g *Guarantor) string { return g.ID })
}

// Zone returns the zone with the id, or nil.
func (a *Agreement) Zone(id string) *Zone {
	return find(a.Zones, id, func(z *Zone) string { return z.ID })
}

// Commitment returns the commitment with the id, or nil.
func (a *Agreement) Commitment(id string) *Commitment {
	return find(a.Commitments, id, func(c *Commitment) string { return c.ID })
}

// Protocol returns the protocol with the id, or nil.
func (a *Agreement) Protocol(id string) *Protocol {
	return find(a.Protocols, id, func(p *Protocol) string { return p.ID })
}

// Key returns the key with the id, or nil.
func (a *Agreement) Key(id string) *Key { return find(a.Keys, id, func(k *Key) string { return k.ID }) }

// ActorName returns a human name for a protocol actor or obligor id.
func (a *Agreement) ActorName(id string) string {
	switch id {
	case ActorMission:
		return a.Mission.Name
	case ActorAllGuarantors:
		return "all guarantors"
	}
	if p := a.Party(id); p != nil {
		return p.Name
	}
	if g := a.Guarantor(id); g != nil {
		return g.Name
	}
	return id
}

// find is a linear lookup: agreements hold tens of items, and a slice keeps
// the file's order for display.
func find[T any](items []*T, id string, key func(*T) string) *T {
	for _, it := range items {
		if key(it) == id {
			return it
		}
	}
	return nil
}

// Protocol actors that are not parties or guarantors.
const (
	ActorMission       = "mission"
	ActorAllGuarantors = "all_guarantors"
	// NotifyAll as escalation.on_overdue notifies every guarantor and party.
	NotifyAll = "notify_all"
)

// ZoneKind is what a zone is for.
type ZoneKind string

const (
	ContactLine    ZoneKind = "contact_line"    // the line of contact (LineString)
	PartyLine      ZoneKind = "party_line"      // one party's own line, distances are measured from it
	ControlledArea ZoneKind = "controlled_area" // the area a party controls (illustrative, not a border)
	Territory      ZoneKind = "territory"       // a party's internationally recognised territory
	HoldingArea    ZoneKind = "holding_area"    // a storage site for withdrawn weapons, with a declared inventory
	Demilitarised  ZoneKind = "demilitarised"   // an area with no forces or heavy weapons
	Buffer         ZoneKind = "buffer"          // derived: within distance_km of a line, on one or both sides
	Withdrawal     ZoneKind = "withdrawal"      // an area to be vacated, usually in phases
)

// IsLine reports whether zones of the kind are lines.
func (k ZoneKind) IsLine() bool { return k == ContactLine || k == PartyLine }

// Zone is an area or line the commitments refer to. Its geometry comes from
// the file (inline or a GeoJSON file) or, for a buffer, is derived from the
// line it surrounds (Of, DistanceKm, Side or Towards).
type Zone struct {
	ID           string         `json:"id"`
	Name         string         `json:"name,omitempty"`
	Kind         ZoneKind       `json:"kind"`
	Description  string         `json:"description,omitempty"`
	Illustrative bool           `json:"illustrative,omitempty"`
	Party        string         `json:"party,omitempty"`
	File         string         `json:"file,omitempty"`
	Phases       []*Phase       `json:"phases,omitempty"`
	Of           string         `json:"of,omitempty"`
	DistanceKm   float64        `json:"distance_km,omitempty"`
	Side         string         `json:"side,omitempty"`    // both (default), left or right of Of's direction
	Towards      string         `json:"towards,omitempty"` // only the side of this party's controlled area
	Inventory    map[string]int `json:"inventory,omitempty"`

	// Geometry is the zone's own geometry (nil for buffers, and for zones
	// defined only by phases).
	Geometry orb.Geometry `json:"-"`

	line *geo.Line // Geometry prepared for distance queries, for line kinds
}

// ZoneKinds lists every zone kind, in the order the format documents them.
func ZoneKinds() []ZoneKind {
	return []ZoneKind{ContactLine, PartyLine, ControlledArea, Territory, HoldingArea, Demilitarised, Buffer, Withdrawal}
}

// Line returns a line zone's geometry prepared for distance and side
// queries (nil for other kinds).
func (z *Zone) Line() *geo.Line { return z.line }

// Phase is the zone's geometry for a period: [From, Until) in the
// agreement's time zone; an empty Until means "from then on".
type Phase struct {
	ID       string       `json:"id"`
	From     Date         `json:"from"`
	Until    Date         `json:"until,omitempty"`
	File     string       `json:"file,omitempty"`
	Geometry orb.Geometry `json:"-"`

	from, until time.Time
}

// GeometryAt returns the zone's geometry in force at t: the phase whose
// period contains t, else the zone's own geometry (nil before the first
// phase of a zone defined only by phases, and for buffers).
func (z *Zone) GeometryAt(t time.Time) orb.Geometry {
	for _, ph := range z.Phases {
		if !t.Before(ph.from) && (ph.until.IsZero() || t.Before(ph.until)) {
			return ph.Geometry
		}
	}
	return z.Geometry
}

// Commitment is one obligation: who owes it (Obligors: parties or
// guarantors), for how long, what breaks it (Rule) and what response a
// confirmed violation triggers (Protocol).
type Commitment struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Obligors []string `json:"obligors"`
	Kind     string   `json:"kind"`
	Start    Date     `json:"start,omitempty"`
	Duration Duration `json:"duration,omitempty"`
	End      Date     `json:"end,omitempty"`
	Protocol string   `json:"protocol,omitempty"`
	Rule     Rule     `json:"rule"`

	from, until time.Time
}

// ClaimsGuarantee reports whether the agreement calls this commitment a
// guarantee by its kind ("guarantee" or "response"): an obligation to act,
// not to consult. `agreement check` and the agreement page warn where such
// a commitment's wording reads as something weaker — the Budapest
// Memorandum's failure, a guarantee in name and an assurance in law.
func (c Commitment) ClaimsGuarantee() bool {
	return c.Kind == "guarantee" || c.Kind == "response"
}

// Period returns when the commitment binds: from its start (or the
// agreement's effective day) until its end, its start plus its duration,
// or the agreement's end. A zero from or until means unbounded.
func (c *Commitment) Period() (from, until time.Time) { return c.from, c.until }

// ActiveAt reports whether the commitment binds at t.
func (c *Commitment) ActiveAt(t time.Time) bool {
	return !t.Before(c.from) && (c.until.IsZero() || t.Before(c.until))
}

// Rule kinds: the fixed set of machine-checkable rules.
const (
	RuleFireInZone         = "fire_in_zone"        // Zone, Categories, From
	RuleWeaponDistance     = "weapon_distance"     // Line, Party, Distances
	RuleHoldingInventory   = "holding_inventory"   // Zones (holding areas with inventories)
	RuleMissionRestriction = "mission_restriction" // Categories
	RuleZoneIncursion      = "zone_incursion"      // Zone, Party
	RuleLevelBelow         = "level_below"         // Metric, Minimum, Unit, Period
	RuleMilestone          = "milestone"           // Due, Evidence
	RuleManual             = "manual"              // Guidance
)

// Rule says what breaks a commitment. Kind selects which fields apply (see
// the Rule* constants); the validator rejects the others.
type Rule struct {
	Kind       string                        `json:"kind"`
	Zone       string                        `json:"zone,omitempty"`
	Zones      []string                      `json:"zones,omitempty"`
	Categories []vocab.Category              `json:"categories,omitempty"`
	From       Date                          `json:"from,omitempty"`
	Line       string                        `json:"line,omitempty"`
	Party      string                        `json:"party,omitempty"`
	Distances  map[vocab.WeaponClass]float64 `json:"distances,omitempty"`
	Metric     string                        `json:"metric,omitempty"`
	Minimum    float64                       `json:"minimum,omitempty"`
	Unit       string                        `json:"unit,omitempty"`
	Period     Duration                      `json:"period,omitempty"`
	Due        Date                          `json:"due,omitempty"`
	Evidence   string                        `json:"evidence,omitempty"`
	Guidance   string                        `json:"guidance,omitempty"`
}

// RuleKinds lists every rule kind.
func RuleKinds() []string {
	return []string{RuleFireInZone, RuleWeaponDistance, RuleHoldingInventory, RuleMissionRestriction, RuleZoneIncursion, RuleLevelBelow, RuleMilestone, RuleManual}
}

// CommitmentKinds lists the kinds a commitment may have: its subject, for
// grouping and reports (the rule, not the kind, decides compliance).
func CommitmentKinds() []string {
	return []string{"ceasefire", "withdrawal", "weapons_storage", "mission_access", "non_interference", "territorial_integrity", "force_level", "milestone", "response", "other"}
}

// DefaultMissionCategories are what mission_restriction covers when the
// rule names no categories.
var DefaultMissionCategories = []vocab.Category{vocab.MovementRestriction, vocab.EquipmentInterference}

// Protocol is the ladder of responses a confirmed violation triggers.
type Protocol struct {
	ID         string      `json:"id"`
	Title      string      `json:"title,omitempty"`
	Steps      []*Step     `json:"steps"`
	Cutoff     Duration    `json:"cutoff,omitempty"`
	Escalation *Escalation `json:"escalation,omitempty"`
}

// Step is one actor's obligation, due Deadline after confirmation.
type Step struct {
	ID          string           `json:"id"`
	Actor       string           `json:"actor"`
	Action      vocab.ActionKind `json:"action"`
	Deadline    Duration         `json:"deadline"`
	Description string           `json:"description,omitempty"`
}

// Escalation says what follows an overdue step (OnOverdue: NotifyAll or a
// protocol id) and what follows repeated confirmed cases.
type Escalation struct {
	OnOverdue string    `json:"on_overdue,omitempty"`
	Repeated  *Repeated `json:"repeated,omitempty"`
}

// Repeated starts Protocol when Count cases are confirmed within Within.
type Repeated struct {
	Count    int      `json:"count"`
	Within   Duration `json:"within"`
	Protocol string   `json:"protocol"`
}

// PartySide returns the side of the line zone on which party's controlled
// area lies (geo.On if the agreement cannot tell: no controlled area, or
// one straddling the line). Distances "from its own line" count on this
// side, and a buffer `towards` a party covers it. The area's outer
// vertices vote, each weighted by its distance from the line: an area
// bordering the line (or a line drawn a few km inside it) has most of its
// extent, and so its far vertices, on its own side.
func (a *Agreement) PartySide(line *Zone, party string) geo.Side {
	if line == nil || line.line == nil {
		return geo.On
	}
	var votes, total float64
	for _, z := range a.Zones {
		if z.Kind != ControlledArea || z.Party != party {
			continue
		}
		for _, ring := range outerRings(z.Geometry) {
			if len(ring) == 0 {
				continue
			}
			for _, p := range ring[:len(ring)-1] { // the last point repeats the first
				km, side := line.line.Measure(p)
				votes += km * float64(side)
				total += km
			}
		}
	}
	// An area straddling the line has votes that nearly cancel: undecided.
	switch {
	case votes > 0.1*total:
		return geo.Left
	case votes < -0.1*total:
		return geo.Right
	}
	return geo.On
}

// BufferSide returns the side of its line a buffer covers: geo.On for both
// sides, geo.Left or geo.Right for one.
func (a *Agreement) BufferSide(z *Zone) geo.Side {
	switch {
	case z.Towards != "":
		return a.PartySide(a.Zone(z.Of), z.Towards)
	case z.Side == "left":
		return geo.Left
	case z.Side == "right":
		return geo.Right
	}
	return geo.On
}

func outerRings(g orb.Geometry) []orb.Ring {
	switch g := g.(type) {
	case orb.Polygon:
		if len(g) > 0 {
			return []orb.Ring{g[0]}
		}
	case orb.MultiPolygon:
		var out []orb.Ring
		for _, p := range g {
			if len(p) > 0 {
				out = append(out, p[0])
			}
		}
		return out
	}
	return nil
}
