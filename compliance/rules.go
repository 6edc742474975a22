package compliance

import (
	"fmt"
	"math"
	"slices"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/vocab"
)

// heavyWeapons are the classes whose fire makes a ceasefire violation
// serious whatever the count: the weapons the withdrawal commitments name.
var heavyWeapons = map[vocab.WeaponClass]bool{
	vocab.Artillery: true, vocab.ArtilleryUnder100: true, vocab.Mortar: true, vocab.Tank: true,
	vocab.MLRS: true, vocab.HeavyMLRS: true, vocab.TacticalMissile: true,
}

// matching returns the incident's categories the commitment covers and the
// combined count of their events.
func matching(c *commitment, inc *incident.Incident, all []vocab.Category) (cats []vocab.Category, count int) {
	for _, cat := range all {
		if c.categories[cat] {
			cats = append(cats, cat)
			count += inc.Counts[cat]
		}
	}
	return cats, count
}

// fireSeverity: strikes are grave; fire from heavy weapons, or at least
// SeriousCount events, is serious; anything else (a few bursts of small
// arms) is minor.
func (e *Evaluator) fireSeverity(inc *incident.Incident, cats []vocab.Category, count int) Severity {
	for _, cat := range cats {
		if cat.Family() == vocab.FamilyStrike {
			return Grave
		}
	}
	for i := range inc.Reports {
		if heavyWeapons[inc.Reports[i].WeaponClass] {
			return Serious
		}
	}
	if count >= e.policy.SeriousCount {
		return Serious
	}
	return Minor
}

// where classifies the incident against an area by its origin of fire and
// its location (impact): inside if either is wholly inside.
func where(a area, inc *incident.Incident) (Outcome, *incident.Disc) {
	out, at := Outside, (*incident.Disc)(nil)
	for _, d := range []*incident.Disc{inc.Origin, inc.Location} {
		if d == nil {
			continue
		}
		switch a.classify(d.Point, d.RadiusKm) {
		case Inside:
			return Inside, d
		case Indeterminate:
			out, at = Indeterminate, d
		}
	}
	return out, at
}

// fireInZone: fire of a covered category whose origin or impact lies in the
// zone (as in force at the time) breaks the commitment.
func (e *Evaluator) fireInZone(c *commitment, inc *incident.Incident, all []vocab.Category, vs *[]Violation, cs *[]Check) {
	cats, count := matching(c, inc, all)
	if len(cats) == 0 {
		return
	}
	za := e.zones[c.Rule.Zone]
	if za == nil {
		return
	}
	a := za.at(inc.First)
	if a == nil {
		return
	}
	o, d := where(a, inc)
	switch o {
	case Outside:
		return
	case Indeterminate:
		*cs = append(*cs, Check{Commitment: c.ID, Incident: inc.ID, Outcome: o, UncertaintyKm: round3(d.RadiusKm),
			Detail: fmt.Sprintf("the position's uncertainty of %.1f km crosses the boundary of %s", d.RadiusKm, c.Rule.Zone)})
		return
	}
	v := newViolation(c, inc, "")
	v.Attribution = attributeTo(c, e.fireAttribution(inc))
	v.Severity = e.fireSeverity(inc, cats, count)
	v.Where, v.Categories, v.Count = d, cats, count
	v.Detail = fmt.Sprintf("%d %s in %s", count, catList(cats), c.Rule.Zone)
	*vs = append(*vs, v)
}

func catList(cats []vocab.Category) string {
	s := ""
	for i, c := range cats {
		if i > 0 {
			s += ", "
		}
		s += string(c)
	}
	return s
}

// weaponDistance: a weapon of the line's party closer to the party's own
// line than the class's withdrawal distance. The geodesic distance is
// compared with the whole uncertainty disc: inside only when all of it is
// within the distance (less the computation tolerance); indeterminate
// cases are reported as checks, never as violations.
func (e *Evaluator) weaponDistance(c *commitment, inc *incident.Incident, vs *[]Violation, cs *[]Check) {
	if len(inc.Weapons) == 0 || inc.Location == nil || inc.Counts[vocab.HeavyWeaponSighted] == 0 {
		return
	}
	l := e.lines[c.Rule.Line]
	if l == nil {
		return
	}
	party := c.Rule.Party
	if party == "" {
		party = l.party
	}
	var owner Attribution
	ownerKnown := false
	for _, wc := range sortedClasses(inc.Weapons) {
		limit, ok := c.Rule.Distances[wc]
		if !ok {
			continue
		}
		if !ownerKnown {
			owner, ownerKnown = e.presenceAttribution(inc), true
		}
		loc := inc.Location
		o, d := l.ix.within(loc.Point, loc.RadiusKm, limit, e.policy.DistanceTolerance*limit)
		if math.IsNaN(d) {
			d = l.ix.distanceKm(loc.Point)
		}
		if o == Outside {
			continue
		}
		if owner.Party != party {
			if owner.Party == "" {
				*cs = append(*cs, Check{Commitment: c.ID, Incident: inc.ID, Outcome: Indeterminate, WeaponClass: wc,
					DistanceKm: round3(d), LimitKm: limit, UncertaintyKm: round3(loc.RadiusKm),
					Detail: fmt.Sprintf("%s %.1f km from %s, whose side is unknown: %s", wc, d, c.Rule.Line, owner.Note)})
			}
			continue
		}
		if o == Indeterminate {
			*cs = append(*cs, Check{Commitment: c.ID, Incident: inc.ID, Outcome: o, WeaponClass: wc,
				DistanceKm: round3(d), LimitKm: limit, UncertaintyKm: round3(loc.RadiusKm),
				Detail: fmt.Sprintf("%s %.1f km ± %.1f km from %s: cannot tell whether within %g km", wc, d, loc.RadiusKm, c.Rule.Line, limit)})
			continue
		}
		v := newViolation(c, inc, string(wc))
		v.Attribution = attributeTo(c, owner)
		v.Severity = Serious
		v.Where, v.WeaponClass, v.Count = loc, wc, inc.Weapons[wc]
		v.Categories = []vocab.Category{vocab.HeavyWeaponSighted}
		v.DistanceKm, v.LimitKm = round3(d), limit
		v.Detail = fmt.Sprintf("%d %s %.1f km ± %.1f km from %s, within %g km", v.Count, wc, d, loc.RadiusKm, c.Rule.Line, limit)
		*vs = append(*vs, v)
	}
}

func sortedClasses(m map[vocab.WeaponClass]int) []vocab.WeaponClass {
	out := make([]vocab.WeaponClass, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// holdingReport: a verified report of weapons missing from a declared
// holding area of the rule, of a class the area declares.
func (e *Evaluator) holdingReport(c *commitment, inc *incident.Incident, vs *[]Violation) {
	if inc.Counts[vocab.WeaponMissing] == 0 || inc.Location == nil {
		return
	}
	for _, zid := range c.Rule.Zones {
		za := e.zones[zid]
		if za == nil || za.zone.Inventory == nil {
			continue
		}
		a := za.at(inc.First)
		if a == nil || a.classify(inc.Location.Point, inc.Location.RadiusKm) == Outside {
			continue
		}
		missing := map[vocab.WeaponClass]int{}
		for i := range inc.Reports {
			r := &inc.Reports[i]
			if r.Category == vocab.WeaponMissing && r.WeaponClass != "" {
				missing[r.WeaponClass] = max(missing[r.WeaponClass], r.Count)
			}
		}
		for _, wc := range sortedClasses(missing) {
			declared, ok := za.zone.Inventory[string(wc)]
			if !ok {
				continue
			}
			n := min(missing[wc], declared)
			v := newViolation(c, inc, zid+"/"+string(wc))
			v.Attribution = attributeTo(c, Attribution{Party: za.zone.Party, Basis: BasisSite})
			v.Severity = Serious
			v.Where, v.WeaponClass, v.Count = inc.Location, wc, n
			v.Categories = []vocab.Category{vocab.WeaponMissing}
			v.Detail = fmt.Sprintf("%d of %d declared %s missing from %s", n, declared, wc, zid)
			*vs = append(*vs, v)
		}
		return
	}
}

// missionRestriction: a verified restriction of the mission's movement or
// equipment, attributed to the party that reportedly imposed it or, failing
// a confident report, the party controlling where it happened.
func (e *Evaluator) missionRestriction(c *commitment, inc *incident.Incident, all []vocab.Category, vs *[]Violation) {
	cats, count := matching(c, inc, all)
	if len(cats) == 0 {
		return
	}
	v := newViolation(c, inc, "")
	v.Attribution = attributeTo(c, e.presenceAttribution(inc))
	v.Severity = Serious
	v.Where, v.Categories, v.Count = inc.Location, cats, count
	v.Detail = "restriction of the mission: " + catList(cats)
	*vs = append(*vs, v)
}

// incursionCategories are what shows a party's forces in a zone.
var incursionCategories = []vocab.Category{vocab.TroopMovement, vocab.HeavyWeaponSighted}

// zoneIncursion: forces of the rule's party (by confident report, else by
// who controls where they stand) wholly inside the zone as in force then.
func (e *Evaluator) zoneIncursion(c *commitment, inc *incident.Incident, vs *[]Violation, cs *[]Check) {
	var cats []vocab.Category
	count := 0
	for _, cat := range incursionCategories {
		if n := inc.Counts[cat]; n > 0 {
			cats = append(cats, cat)
			count += n
		}
	}
	if len(cats) == 0 || inc.Location == nil {
		return
	}
	za := e.zones[c.Rule.Zone]
	if za == nil {
		return
	}
	a := za.at(inc.First)
	if a == nil {
		return
	}
	o := a.classify(inc.Location.Point, inc.Location.RadiusKm)
	if o == Outside {
		return
	}
	party := c.Rule.Party
	att := e.presenceAttribution(inc)
	if party == "" && len(c.Obligors) == 1 {
		party = c.Obligors[0]
	}
	switch {
	case party != "" && att.Party != party:
		return
	case party == "" && !isObligor(c, att.Party):
		return // a rule naming no party binds every obligor, and only them
	}
	party = att.Party
	if o == Indeterminate {
		*cs = append(*cs, Check{Commitment: c.ID, Incident: inc.ID, Outcome: o, UncertaintyKm: round3(inc.Location.RadiusKm),
			Detail: fmt.Sprintf("forces of %s whose position's uncertainty crosses the boundary of %s", party, c.Rule.Zone)})
		return
	}
	if za.zone.Kind == agreement.ControlledArea && att.Basis == BasisPosition {
		return // standing in one's own controlled area is no incursion
	}
	v := newViolation(c, inc, "")
	v.Attribution = attributeTo(c, att)
	v.Severity = Serious
	v.Where, v.Categories, v.Count = inc.Location, cats, count
	v.Detail = fmt.Sprintf("forces of %s in %s", party, c.Rule.Zone)
	*vs = append(*vs, v)
}
