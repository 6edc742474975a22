package intake

import (
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// ACLED exports carry many columns (admin levels, ISO codes, tags…); these
// are the ones an import cannot do without. Other columns are read when
// present and otherwise ignored, since ACLED adds columns over time.
var acledRequired = []string{"event_id_cnty", "event_date", "event_type", "sub_event_type", "latitude", "longitude"}

// acledCategories maps ACLED's sub_event_type to a category. Sub-event
// types a ceasefire mission does not monitor (protests, riots, arrests,
// agreements…) are absent: their rows are rejected with that reason.
var acledCategories = map[string]vocab.Category{
	// Battles
	"armed clash":                         vocab.BurstOfFire,
	"government regains territory":        vocab.TroopMovement,
	"non-state actor overtakes territory": vocab.TroopMovement,
	// Explosions/Remote violence
	"shelling/artillery/missile attack": vocab.Explosion, // missile_strike when the notes name a missile
	"air/drone strike":                  vocab.Airstrike, // drone_strike when the notes name a drone
	"remote explosive/landmine/ied":     vocab.MineUXO,
	"grenade":                           vocab.Explosion,
	"suicide bomb":                      vocab.Explosion,
	"chemical weapon":                   vocab.Other,
	// Violence against civilians
	"attack":                         vocab.CivilianCasualty,
	"abduction/forced disappearance": vocab.Other,
	"sexual violence":                vocab.Other,
	// Strategic developments
	"disrupted weapons use":             vocab.MineUXO, // defused or intercepted explosives
	"looting/property destruction":      vocab.InfrastructureDamage,
	"headquarters or base established":  vocab.TroopMovement,
	"non-violent transfer of territory": vocab.TroopMovement,
}

// acledUncertaintyM maps geo_precision to an uncertainty radius: 1 the
// named town, 2 near a town or part of a region, 3 a larger region.
var acledUncertaintyM = map[string]float64{"1": 2_000, "2": 15_000, "3": 50_000}

// acledPrecision maps time_precision (1 the day, 2 the week, 3 the month).
var acledPrecision = map[string]string{
	"1": observation.PrecisionDay, "2": observation.PrecisionWeek, "3": observation.PrecisionMonth,
}

// weaponKeywords guess a weapon class from ACLED's notes. A guess is better
// than nothing for withdrawal-zone rules and is marked as coming from an
// open source; analysts see the notes in the narrative. Words match whole
// (a plural "s" allowed): "grad" is not "gradually", "tank" not "tanker"
// nor "anti-tank".
var weaponKeywords = []struct {
	words []string
	class vocab.WeaponClass
}{
	{[]string{"tornado-s", "uragan", "smerch"}, vocab.HeavyMLRS},
	{[]string{"tochka"}, vocab.TacticalMissile},
	{[]string{"mlrs", "grad", "multiple rocket", "himars"}, vocab.MLRS},
	{[]string{"mortar"}, vocab.Mortar},
	{[]string{"anti-tank", "atgm"}, vocab.AntiTank},
	{[]string{"tank"}, vocab.Tank},
	{[]string{"artillery", "howitzer"}, vocab.Artillery},
	{[]string{"shahed", "geran", "lancet", "loitering", "drone", "uav"}, vocab.AttackDrone},
	{[]string{"helicopter"}, vocab.AttackHelicopter},
	{[]string{"guided aerial bomb", "kab", "aircraft", "jet", "su-34", "su-25"}, vocab.CombatAircraft},
}

// withdrawalKm ranks the classes a withdrawal commitment pulls back from a
// contact line by the distances of the Minsk package (2015), the pattern
// later agreements follow: heavy MLRS and Tochka 140 km, MLRS 70 km,
// artillery of 100 mm and more 50 km; mortars, tanks, lighter artillery and
// anti-tank guns 15 km (the September 2015 addendum). It only orders the
// guess; the mission's agreement sets the real distances.
var withdrawalKm = map[vocab.WeaponClass]int{
	vocab.HeavyMLRS: 140, vocab.TacticalMissile: 140, vocab.MLRS: 70, vocab.Artillery: 50,
	vocab.Mortar: 15, vocab.Tank: 15, vocab.ArtilleryUnder100: 15, vocab.AntiTank: 15,
}

var missileWords = []string{"missile", "iskander", "kalibr", "kh-101", "kinzhal"}
var droneWords = []string{"drone", "uav", "shahed", "geran", "lancet", "loitering"}

func (im *importer) acled(data []byte) error {
	t, err := openTable(data, nil, acledRequired)
	if err != nil {
		return err
	}
	for {
		row, line, rowErr, ok, err := t.next()
		if err != nil || !ok {
			return err
		}
		if err := im.countRow(); err != nil {
			return err
		}
		if rowErr != nil {
			im.reject(line, "%v", rowErr)
			continue
		}
		im.acledRow(row, line)
	}
}

func (im *importer) acledRow(row map[string]string, line int) {
	eventID := row["event_id_cnty"]
	if eventID == "" {
		im.reject(line, "event_id_cnty: required")
		return
	}
	sub := strings.ToLower(row["sub_event_type"])
	cat, ok := acledCategories[sub]
	if !ok {
		im.reject(line, "sub_event_type: %q (%s) is not an event a ceasefire mission monitors", row["sub_event_type"], row["event_type"])
		return
	}
	at, err := parseACLEDDate(row["event_date"])
	if err != nil {
		im.reject(line, "event_date: %v", err)
		return
	}
	prec := observation.PrecisionDay
	if v, ok := row["time_precision"]; ok {
		if prec, ok = acledPrecision[v]; !ok {
			im.reject(line, "time_precision: want 1, 2 or 3, got %q", v)
			return
		}
	}
	for _, c := range []string{"latitude", "longitude"} {
		if row[c] == "" {
			im.reject(line, "%s: required", c)
			return
		}
	}
	p := &fieldParser{row: row}
	lat, lon := p.float("latitude", 0), p.float("longitude", 0)
	uncertainty := acledUncertaintyM["1"]
	if v, ok := row["geo_precision"]; ok {
		if uncertainty, ok = acledUncertaintyM[v]; !ok {
			p.fail("geo_precision", "want 1, 2 or 3, got "+strconv.Quote(v))
		}
	}
	fatalities := p.int("fatalities", 0)
	if fatalities < 0 {
		p.fail("fatalities", "negative")
	}
	if p.err != nil {
		im.rejectErr(line, p.err)
		return
	}
	notes := strings.ToLower(row["notes"])
	switch {
	case cat == vocab.Explosion && sub == "shelling/artillery/missile attack" && containsAny(notes, missileWords):
		cat = vocab.MissileStrike
	case cat == vocab.Airstrike && containsAny(notes, droneWords):
		cat = vocab.DroneStrike
	}
	grade := im.opt.Grade
	if grade == "" {
		grade = acledGrade(row["source_scale"])
	}
	o := observation.Observation{
		ID:            im.id("acled:" + eventID),
		ObservedAt:    at,
		TimePrecision: prec,
		Target:        &observation.Position{Lat: lat, Lon: lon, UncertaintyM: uncertainty},
		Category:      cat,
		Count:         1,
		WeaponClass:   guessWeapon(notes),
		SourceType:    vocab.OpenSource,
		Grade:         grade,
		Narrative:     acledNarrative(row),
		Language:      "en",
	}
	if cat == vocab.CivilianCasualty {
		if fatalities == 0 {
			o.Category = vocab.Other // an attack on civilians without reported deaths
		} else {
			o.Count = fatalities
		}
	}
	im.add(line, eventID, o)
	// An event that killed civilians is also a casualty report, counted in
	// the mission's humanitarian section, not only a ceasefire violation.
	if o.Category != vocab.CivilianCasualty && fatalities > 0 && row["civilian_targeting"] != "" {
		c := o
		c.ID = im.id("acled:" + eventID + ":civilian_casualty")
		c.Category = vocab.CivilianCasualty
		c.Count = fatalities
		c.WeaponClass = ""
		im.add(line, eventID, c)
	}
}

// parseACLEDDate reads event_date as the API writes it (2026-11-18) or as
// older exports did (18 November 2026).
func parseACLEDDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2 January 2006", "02 January 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, pactwatch.Errorf(pactwatch.EINVALID, "want a date such as 2026-11-18 or 18 November 2026, got %q", s)
}

// acledGrade grades by source_scale. ACLED codes events from named,
// reviewed sources, so a known scale makes the source "fairly reliable"
// (C); new media alone is "not usually reliable" (D); credibility stays 6
// (cannot be judged) because one aggregated report confirms nothing.
func acledGrade(scale string) vocab.Grade {
	s := strings.ToLower(strings.TrimSpace(scale))
	switch {
	case s == "":
		return DefaultGrade
	case s == "new media":
		return "D6"
	case containsAny(s, []string{"local", "subnational", "national", "regional", "international", "new media"}):
		return "C6"
	}
	return DefaultGrade
}

// guessWeapon returns the weapon class the notes name. When they name
// several, it returns the one with the largest withdrawal distance, so a
// violation of the stricter commitment is not measured against a laxer
// one ("artillery and mortars" is artillery, 50 km, not mortar, 15 km);
// when none is larger (mortars and tanks) or the classes are not on one
// withdrawal ladder (a drone and artillery), it returns unknown and leaves
// the choice to an analyst reading the narrative.
func guessWeapon(notes string) vocab.WeaponClass {
	var named []vocab.WeaponClass
	for _, k := range weaponKeywords {
		if containsAny(notes, k.words) {
			named = append(named, k.class)
		}
	}
	switch len(named) {
	case 0:
		return ""
	case 1:
		return named[0]
	}
	best, bestKm, tie := vocab.WeaponClass(""), 0, false
	for _, c := range named {
		km, ok := withdrawalKm[c]
		switch {
		case !ok:
			return vocab.UnknownWeapon
		case km > bestKm:
			best, bestKm, tie = c, km, false
		case km == bestKm:
			tie = true
		}
	}
	if tie {
		return vocab.UnknownWeapon
	}
	return best
}

// acledNarrative keeps what an analyst needs to judge the row: the notes,
// the actors (ACLED implies no direction between them, so they are not an
// attribution), the place and the sources.
func acledNarrative(row map[string]string) string {
	var b strings.Builder
	b.WriteString(row["notes"])
	line := func(label, v string) {
		if v != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(label + ": " + v)
		}
	}
	line("Event", strings.TrimSpace(row["event_type"]+" / "+row["sub_event_type"]))
	line("Actors", joinNonEmpty("; ", row["actor1"], row["actor2"]))
	line("Location", joinNonEmpty(", ", row["location"], row["admin2"], row["admin1"], row["country"]))
	line("Fatalities", row["fatalities"])
	line("Source", joinNonEmpty(" — ", row["source"], row["source_scale"]))
	line("ACLED event", row["event_id_cnty"])
	return b.String()
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if containsWord(s, w) {
			return true
		}
	}
	return false
}

// containsWord reports whether w occurs in s as a whole word, allowing a
// plural "s" or "es": "tank" is in "tanks" but not in "tanker", "antitank"
// or "anti-tank" (a hyphen joins words); "shahed" is in "shahed-136".
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		if j == 0 || !isLetter(s[j-1]) {
			end := j + len(w)
			for _, suffix := range []string{"", "s", "es"} {
				if strings.HasPrefix(s[end:], suffix) && !wordGoesOn(s, end+len(suffix)) {
					return true
				}
			}
		}
		i = j + 1
	}
}

// isLetter reports whether c continues a word backwards: a letter, a
// hyphen, or a byte of a non-ASCII character.
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || c == '-' || c >= 0x80 }

// wordGoesOn reports whether a word goes on at s[i]: a letter or a non-ASCII
// character (a hyphen ends the word, as in "shahed-136").
func wordGoesOn(s string, i int) bool {
	return i < len(s) && ('a' <= s[i] && s[i] <= 'z' || s[i] >= 0x80)
}
