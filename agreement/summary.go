package agreement

import (
	"math"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/geo"
)

// Summary is what `pactwatch agreement show` prints: the agreement's
// structure with names resolved and zones measured. It is a view for
// people (and its JSON for scripts), not a second format: the file and
// its hash stay the reference.
type Summary struct {
	Title       string             `json:"title"`
	Version     int                `json:"version"`
	Hash        string             `json:"hash"`
	Supersedes  string             `json:"supersedes,omitempty"`
	Effective   Date               `json:"effective,omitempty"`
	Duration    Duration           `json:"duration,omitempty"`
	ReviewEvery Duration           `json:"review_every,omitempty"`
	TimeZone    string             `json:"time_zone"`
	Parties     []*Party           `json:"parties"`
	Guarantors  []GuarantorSummary `json:"guarantors"`
	Mission     MissionSummary     `json:"mission"`
	Zones       []ZoneSummary      `json:"zones"`
	Commitments []CommitmentView   `json:"commitments"`
	Protocols   []*Protocol        `json:"protocols"`
	// What the agreement says about verification and cases (unset fields
	// take pactwatch's defaults, see docs/agreement.md).
	Verification Verification `json:"verification,omitzero"`
	Cases        CasePolicy   `json:"cases,omitzero"`
}

// GuarantorSummary is a guarantor with its group members' names.
type GuarantorSummary struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Members []string `json:"members,omitempty"`
}

// MissionSummary counts the mission's keys.
type MissionSummary struct {
	Name          string   `json:"name"`
	LogOrigin     string   `json:"log_origin"`
	Witnesses     []string `json:"witnesses,omitempty"`
	WitnessQuorum int      `json:"witness_quorum"`
	KeysByRole    []string `json:"keys,omitempty"` // "monitor: monitor-patrol-1" …
}

// ZoneSummary is a zone with its size: area for areas, length for lines,
// per phase for phased zones. A buffer's area is estimated as its line's
// length times its width (ApproxAreaKm2).
type ZoneSummary struct {
	ID            string         `json:"id"`
	Kind          ZoneKind       `json:"kind"`
	Name          string         `json:"name,omitempty"`
	Party         string         `json:"party,omitempty"`
	AreaKm2       float64        `json:"area_km2,omitempty"`
	LengthKm      float64        `json:"length_km,omitempty"`
	ApproxAreaKm2 float64        `json:"approx_area_km2,omitempty"`
	Derived       string         `json:"derived,omitempty"`
	Inventory     map[string]int `json:"inventory,omitempty"`
	Phases        []PhaseSummary `json:"phases,omitempty"`
}

// PhaseSummary is one phase's period and size.
type PhaseSummary struct {
	ID       string  `json:"id"`
	From     Date    `json:"from"`
	Until    Date    `json:"until,omitempty"`
	AreaKm2  float64 `json:"area_km2,omitempty"`
	LengthKm float64 `json:"length_km,omitempty"`
}

// CommitmentView is a commitment with obligors' names and its term.
type CommitmentView struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Kind      string   `json:"kind"`
	Obligors  []string `json:"obligors"`
	Start     Date     `json:"start,omitempty"`
	Duration  Duration `json:"duration,omitempty"`
	End       Date     `json:"end,omitempty"`
	Rule      string   `json:"rule"`
	Protocol  string   `json:"protocol,omitempty"`
	Guarantee bool     `json:"by_guarantors"` // owed by guarantors rather than parties
}

// Summarize builds the Summary.
func (a *Agreement) Summarize() Summary {
	s := Summary{
		Title: a.Title, Version: a.Version, Hash: a.Hash(), Supersedes: a.Supersedes,
		Effective: a.Effective, Duration: a.Duration, ReviewEvery: a.ReviewEvery,
		TimeZone: a.Reporting.TimeZone, Parties: a.Parties, Protocols: a.Protocols,
		Verification: a.Verification, Cases: a.Cases,
	}
	for _, g := range a.Guarantors {
		gs := GuarantorSummary{ID: g.ID, Name: g.Name, Kind: g.Kind}
		for _, m := range g.Members {
			gs.Members = append(gs.Members, a.ActorName(m))
		}
		s.Guarantors = append(s.Guarantors, gs)
	}
	s.Mission = MissionSummary{Name: a.Mission.Name, LogOrigin: a.Mission.Log.Origin, WitnessQuorum: a.Mission.WitnessQuorum}
	for _, w := range a.Mission.Witnesses {
		s.Mission.Witnesses = append(s.Mission.Witnesses, w.Name)
	}
	for _, k := range a.Keys {
		role := string(k.Role)
		if k.Of != "" {
			role += " of " + k.Of
		}
		s.Mission.KeysByRole = append(s.Mission.KeysByRole, role+": "+k.ID)
	}
	for _, z := range a.Zones {
		zs := ZoneSummary{ID: z.ID, Kind: z.Kind, Name: z.Name, Party: z.Party, Inventory: z.Inventory}
		zs.AreaKm2, zs.LengthKm = measure(z.Geometry)
		if z.Kind == Buffer {
			if line := a.Zone(z.Of); line != nil {
				_, length := measure(line.Geometry)
				sides := 2.0
				side := "both sides"
				switch {
				case z.Towards != "":
					sides, side = 1, "the side of "+a.ActorName(z.Towards)
				case z.Side == "left" || z.Side == "right":
					sides, side = 1, "the "+z.Side+" side"
				}
				zs.ApproxAreaKm2 = math.Round(length * z.DistanceKm * sides)
				zs.Derived = formatKm(z.DistanceKm) + " km on " + side + " of " + z.Of
			}
		}
		for _, ph := range z.Phases {
			ps := PhaseSummary{ID: ph.ID, From: ph.From, Until: ph.Until}
			ps.AreaKm2, ps.LengthKm = measure(ph.Geometry)
			zs.Phases = append(zs.Phases, ps)
		}
		s.Zones = append(s.Zones, zs)
	}
	for _, c := range a.Commitments {
		cv := CommitmentView{ID: c.ID, Title: c.Title, Kind: c.Kind, Start: c.Start, Duration: c.Duration, End: c.End, Rule: c.Rule.Kind, Protocol: c.Protocol}
		for _, o := range c.Obligors {
			cv.Obligors = append(cv.Obligors, a.ActorName(o))
			if a.Guarantor(o) != nil {
				cv.Guarantee = true
			}
		}
		s.Commitments = append(s.Commitments, cv)
	}
	return s
}

// measure returns a geometry's area (km², whole) and length (km, one
// decimal); a polygon reports only its area.
func measure(g orb.Geometry) (areaKm2, lengthKm float64) {
	switch g.(type) {
	case nil, orb.Point, orb.MultiPoint:
		return 0, 0
	case orb.LineString, orb.MultiLineString:
		return 0, math.Round(geo.LengthKm(g)*10) / 10
	}
	return math.Round(geo.AreaKm2(g)), 0
}

func formatKm(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
