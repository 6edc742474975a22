package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

func exampleAgreement(t testing.TB) *agreement.Agreement {
	t.Helper()
	a, err := agreement.Default()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Places of the fixture, [lat, lon]: checked against the example
// agreement's lines (TestFixturePlaces).
var (
	horlivka = [2]float64{48.334, 38.093} // Russian-controlled
	nearHorl = [2]float64{48.300, 38.140} // 5 km SE of Horlivka, 21 km from Russia's line
	orikhiv  = [2]float64{47.568, 35.785}
	kreminna = [2]float64{49.050, 38.217}
	svatove  = [2]float64{49.410, 38.150}
	kherson  = [2]float64{46.636, 32.617}
	tokmak   = [2]float64{47.255, 35.712} // Russian-controlled, 23.1 km from Russia's line
	dnipro   = [2]float64{48.465, 35.046} // Ukrainian-controlled, 92 km from Ukraine's line
	luhansk  = [2]float64{48.630, 39.300} // inside the holding area near Luhansk
)

type obs struct {
	id       string
	at       string
	received string // default: at + 10 min
	cat      vocab.Category
	n        int
	where    [2]float64
	radiusM  float64
	weapon   vocab.WeaponClass
	calibre  float64
	fire     string // direction of fire, e.g. "W to E"
}

func (o obs) record() observation.Record {
	at := utc(o.at)
	rec := at.Add(10 * time.Minute)
	if o.received != "" {
		rec = utc(o.received)
	}
	r := observation.Record{Observation: observation.Observation{
		ID: o.id, ObservedAt: at, TimePrecision: "minute", SignedAt: at, Category: o.cat, Count: o.n,
		Target:      &observation.Position{Lat: o.where[0], Lon: o.where[1], UncertaintyM: o.radiusM},
		Observer:    &observation.Position{Lat: o.where[0] + 0.03, Lon: o.where[1], UncertaintyM: 10},
		WeaponClass: o.weapon, CalibreMM: o.calibre, SourceType: vocab.Patrol, Grade: "B2", Reporter: "monitor-patrol-1",
	}, ReceivedAt: rec, PrincipalID: "monitor-patrol-1"}
	if o.fire != "" {
		r.Fire = &observation.Fire{BearingDeg: 270, Direction: o.fire}
	}
	return r
}

// fixture is a synthetic report day, 20 November 2026 in Europe/Kyiv
// (UTC+2: the day is 2026-11-19T22:00Z to 2026-11-20T22:00Z), whose figures
// are worked out by hand in TestDailyKnownFigures.
func fixture(t testing.TB) Input {
	list := []obs{
		{id: "o01", at: "2026-11-20T05:00:00Z", cat: vocab.Explosion, n: 12, where: horlivka, radiusM: 500},
		{id: "o02", at: "2026-11-20T06:00:00Z", cat: vocab.BurstOfFire, n: 30, where: horlivka, radiusM: 500},
		{id: "o03", at: "2026-11-20T10:00:00Z", cat: vocab.ProjectileInFlight, n: 3, where: orikhiv, radiusM: 1000, fire: "W to E"},
		{id: "o04", at: "2026-11-20T20:00:00Z", cat: vocab.MuzzleFlash, n: 2, where: kreminna, radiusM: 1000},
		{id: "o05", at: "2026-11-20T21:59:00Z", cat: vocab.IlluminationFlare, n: 1, where: kreminna, radiusM: 1000}, // 23:59 local
		{id: "o06", at: "2026-11-20T22:00:00Z", cat: vocab.Explosion, n: 5, where: horlivka, radiusM: 500},          // 00:00 on the 21st
		{id: "o07", at: "2026-11-19T21:59:00Z", cat: vocab.Explosion, n: 7, where: horlivka, radiusM: 500},          // 23:59 on the 19th
		{id: "o08", at: "2026-11-19T12:00:00Z", cat: vocab.BurstOfFire, n: 10, where: horlivka, radiusM: 500},
		{id: "o09", at: "2026-11-20T15:00:00Z", received: "2026-11-20T23:00:00Z", cat: vocab.Explosion, n: 4, where: horlivka, radiusM: 500}, // after as-of
		{id: "o10", at: "2026-11-20T09:15:00Z", cat: vocab.HeavyWeaponSighted, n: 2, where: nearHorl, radiusM: 500, weapon: vocab.Artillery, calibre: 122},
		{id: "o11", at: "2026-11-20T11:30:00Z", cat: vocab.HeavyWeaponSighted, n: 1, where: dnipro, radiusM: 200, weapon: vocab.Tank},
		{id: "o12", at: "2026-11-20T12:45:00Z", cat: vocab.HeavyWeaponSighted, n: 4, where: tokmak, radiusM: 5000, weapon: vocab.Artillery, calibre: 152},
		{id: "o13", at: "2026-11-20T13:00:00Z", cat: vocab.HeavyWeaponSighted, n: 6, where: luhansk, radiusM: 100, weapon: vocab.Artillery},
		{id: "o14", at: "2026-11-20T08:20:00Z", cat: vocab.WeaponMissing, n: 3, where: luhansk, radiusM: 100, weapon: vocab.MLRS},
		{id: "o15", at: "2026-11-20T07:40:00Z", cat: vocab.MovementRestriction, n: 1, where: svatove, radiusM: 100},
		{id: "o16", at: "2026-11-20T14:10:00Z", cat: vocab.CivilianCasualty, n: 2, where: kherson, radiusM: 300},
		{id: "o17", at: "2026-11-20T16:05:00Z", cat: vocab.EquipmentInterference, n: 1, where: kreminna, radiusM: 2000},
	}
	in := Input{Agreement: exampleAgreement(t), AsOf: utc("2026-11-20T22:30:00Z")}
	for _, o := range list {
		in.Observations = append(in.Observations, o.record())
	}
	in.Cases = []Case{
		{ID: "c1", Commitment: "ceasefire", Party: "russia", Status: "confirmed", Opened: utc("2026-11-20T08:00:00Z")},
		{ID: "c2", Commitment: "ceasefire", Party: "ukraine", Status: "closed", Opened: utc("2026-11-10T08:00:00Z"), Closed: utc("2026-11-20T12:00:00Z")},
		{ID: "c3", Commitment: "withdrawal-russia", Party: "russia", Status: "open", Opened: utc("2026-11-21T01:00:00Z")},
		{ID: "c4", Commitment: "withdrawal-russia", Party: "russia", Status: "confirmed", Opened: utc("2026-11-01T08:00:00Z")},
	}
	in.Steps = []Step{
		{Case: "c1", Step: "notify", Actor: "mission", Action: vocab.ActionNotify, Due: utc("2026-11-20T10:00:00Z"), Done: utc("2026-11-20T09:00:00Z")},
		{Case: "c1", Step: "consult", Actor: "all_guarantors", Action: vocab.ActionConsult, Due: utc("2026-11-20T15:00:00Z")},
		{Case: "c4", Step: "statement", Actor: "uk", Action: vocab.ActionStatement, Due: utc("2026-11-20T18:00:00Z"), Done: utc("2026-11-21T01:00:00Z")},
		{Case: "c4", Step: "consult", Actor: "all_guarantors", Action: vocab.ActionConsult, Due: utc("2026-11-18T08:00:00Z"), Done: utc("2026-11-20T07:00:00Z")},
		{Case: "c4", Step: "sanctions", Actor: "us", Action: vocab.ActionSanctions, Due: utc("2026-11-17T08:00:00Z")},
	}
	return in
}

func ids[T any](xs []T, id func(T) string) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ","
		}
		s += id(x)
	}
	return s
}

func TestDailyKnownFigures(t *testing.T) {
	r, err := Daily(fixture(t), "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	if r.Number != "324/2026" || r.ID != "report:daily:2026-11-20" || r.AgreementDay != 51 || !r.Complete || r.Source != FromObservations {
		t.Errorf("header: number %q id %q agreement day %d complete %v source %q", r.Number, r.ID, r.AgreementDay, r.Complete, r.Source)
	}
	if got, want := r.From.Format(time.RFC3339), "2026-11-20T00:00:00+02:00"; got != want {
		t.Errorf("from %s, want %s", got, want)
	}
	area := map[string]AreaViolations{}
	for _, a := range r.Ceasefire.Areas {
		area[a.Area] = a
	}
	tests := []struct {
		name      string
		got, want Breakdown
	}{
		{"donetsk day", area["donetsk"].Day, Breakdown{Total: 42, Explosions: 12, BurstsAndShots: 30}},
		{"donetsk previous", area["donetsk"].Previous, Breakdown{Total: 17, Explosions: 7, BurstsAndShots: 10}},
		{"donetsk change", area["donetsk"].Change, Breakdown{Total: 25, Explosions: 5, BurstsAndShots: 20}},
		{"zaporizhzhia day", area["zaporizhzhia"].Day, Breakdown{Total: 3, Projectiles: 3}},
		{"luhansk day", area["luhansk"].Day, Breakdown{Total: 3, MuzzleFlashes: 2, Flares: 1}},
		{"total day", r.Ceasefire.Total.Day, Breakdown{Total: 48, Explosions: 12, Projectiles: 3, MuzzleFlashes: 2, Flares: 1, BurstsAndShots: 30}},
		{"total previous", r.Ceasefire.Total.Previous, Breakdown{Total: 17, Explosions: 7, BurstsAndShots: 10}},
		{"total change", r.Ceasefire.Total.Change, Breakdown{Total: 31, Explosions: 5, Projectiles: 3, MuzzleFlashes: 2, Flares: 1, BurstsAndShots: 20}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, tt.got, tt.want)
		}
	}
	if got := ids(r.Ceasefire.Areas, func(a AreaViolations) string { return a.Area }); got != "luhansk,donetsk,zaporizhzhia" {
		t.Errorf("areas %s, want the gazetteer's order luhansk,donetsk,zaporizhzhia", got)
	}

	w := r.Weapons
	if len(w.InViolation) != 1 || w.InViolation[0].Event != "o10" || w.InViolation[0].Party != "russia" ||
		w.InViolation[0].DistanceKm != 21 || w.InViolation[0].Place.Direction != "SE" || w.InViolation[0].Place.TownKm != 5 || w.InViolation[0].LimitKm != 25 || w.InViolation[0].Count != 2 ||
		w.InViolation[0].Place.Town != "horlivka" || w.InViolation[0].Commitment != "withdrawal-russia" {
		t.Errorf("in violation: %+v", w.InViolation)
	}
	if got := ids(w.OutsideSites, func(x Weapon) string { return x.Event }); got != "o11" {
		t.Errorf("outside storage sites: %s, want o11 (the tank near Dnipro; o13 is inside its holding area)", got)
	}
	if got := ids(w.Indeterminate, func(x Weapon) string { return x.Event }); got != "o12" {
		t.Errorf("indeterminate: %s, want o12 (23 km ± 5 km of a 25 km limit)", got)
	}
	if len(w.Missing) != 1 || w.Missing[0].HoldingArea != "ha-ru-luhansk" || w.Missing[0].Count != 3 || w.Missing[0].Declared != 24 || w.Missing[0].Class != vocab.MLRS {
		t.Errorf("missing: %+v", w.Missing)
	}
	if got := ids(r.Restrictions.Restrictions, func(x Item) string { return x.Event + "@" + x.Place.Town }); got != "o15@svatove" {
		t.Errorf("restrictions: %s", got)
	}
	if got := ids(r.Restrictions.Interference, func(x Item) string { return x.Event }); got != "o17" {
		t.Errorf("interference: %s", got)
	}
	if r.Casualties.Total != 2 || len(r.Casualties.Items) != 1 {
		t.Errorf("casualties: %+v", r.Casualties)
	}
	c := r.Cases
	if got := ids(c.Opened, func(x Case) string { return x.ID }) + "|" + ids(c.Closed, func(x Case) string { return x.ID }); got != "c1|c2" || c.OpenAtEnd != 2 {
		t.Errorf("cases opened|closed %s, open at end %d; want c1|c2, 2", got, c.OpenAtEnd)
	}
	s := r.Steps
	step := func(x Step) string { return x.Case + "/" + x.Step }
	if got := ids(s.Due, step); got != "c1/notify,c1/consult,c4/statement" {
		t.Errorf("due: %s", got)
	}
	if got := ids(s.Done, step); got != "c4/consult,c1/notify" {
		t.Errorf("done: %s", got)
	}
	if got := ids(s.Missed, step); got != "c1/consult,c4/statement" {
		t.Errorf("missed: %s", got)
	}
	if s.Overdue != 3 {
		t.Errorf("overdue at end: %d, want 3 (c1/consult, c4/statement, c4/sanctions)", s.Overdue)
	}
	// 16 of the 17 observations fall in the day and were received by the
	// as-of time: o06 is the next day, o07 and o08 the previous one, o09
	// arrived too late.
	if len(r.Events) != 13 {
		t.Errorf("%d events, want 13", len(r.Events))
	}
}

func TestDailyAsOfLeavesOutLaterReports(t *testing.T) {
	in := fixture(t)
	in.AsOf = utc("2026-11-20T23:30:00Z") // o09 arrived at 23:00
	r, err := Daily(in, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Ceasefire.Total.Day.Explosions; got != 16 {
		t.Errorf("explosions as of 23:30Z: %d, want 16 (o09's 4 arrived at 23:00Z)", got)
	}
	in.AsOf = utc("2026-11-20T12:00:00Z") // noon UTC: a provisional report
	r, err = Daily(in, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	if r.Complete {
		t.Error("a report as of 14:00 local is complete")
	}
	if got := r.Ceasefire.Total.Day; got != (Breakdown{Total: 45, Explosions: 12, Projectiles: 3, BurstsAndShots: 30}) {
		t.Errorf("day as of noon: %+v", got)
	}
}

func TestDailyFromIncidents(t *testing.T) {
	in := fixture(t)
	in.Incidents = []Incident{
		{ID: "i1", Status: "verified", At: utc("2026-11-20T05:00:00Z"), Position: &observation.Position{Lat: horlivka[0], Lon: horlivka[1]},
			Counts: map[vocab.Category]int{vocab.Explosion: 9, vocab.BurstOfFire: 4}, Observations: 3},
		{ID: "i2", Status: "rejected", At: utc("2026-11-20T06:00:00Z"), Position: &observation.Position{Lat: horlivka[0], Lon: horlivka[1]},
			Counts: map[vocab.Category]int{vocab.Explosion: 100}},
		{ID: "i3", Status: "reported", At: utc("2026-11-19T06:00:00Z"), Counts: map[vocab.Category]int{vocab.Explosion: 2}},
	}
	r, err := Daily(in, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != FromIncidents || r.Caveat != "" || r.Ceasefire.Source != FromIncidents {
		t.Errorf("source %q caveat %q", r.Source, r.Caveat)
	}
	want := AreaViolations{Area: "total", Name: "Total",
		Day:      Breakdown{Total: 13, Explosions: 9, BurstsAndShots: 4},
		Previous: Breakdown{Total: 2, Explosions: 2},
		Change:   Breakdown{Total: 11, Explosions: 7, BurstsAndShots: 4}}
	if r.Ceasefire.Total != want {
		t.Errorf("total %+v, want %+v", r.Ceasefire.Total, want)
	}
	if got := ids(r.Ceasefire.Areas, func(a AreaViolations) string { return a.Area }); got != "donetsk,other" {
		t.Errorf("areas %s: want donetsk, and other for the incident without a position", got)
	}
}

// An incident known only from where it was seen or heard (a sound, a lone
// bearing) is placed at its observer: counted in the observer's area, and
// exported at the coarse observer grid, never at the post's position.
func TestDailyIncidentSeenFrom(t *testing.T) {
	in := fixture(t)
	post := &observation.Position{Lat: horlivka[0] + 0.0123, Lon: horlivka[1] + 0.0456, UncertaintyM: 20}
	in.Incidents = []Incident{{ID: "i1", Status: "verified", At: utc("2026-11-20T05:00:00Z"), Observer: post,
		Counts: map[vocab.Category]int{vocab.Explosion: 5}, Observations: 2}}
	r, err := Daily(in, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(r.Ceasefire.Areas, func(a AreaViolations) string { return a.Area }); got != "donetsk" {
		t.Errorf("areas %s: want donetsk, the observer's", got)
	}
	pub := observation.Public(observation.Record{Observation: observation.Observation{Observer: post}}).Observer
	if len(r.Events) != 1 || r.Events[0].Lat == nil || *r.Events[0].Lat != pub.Lat || *r.Events[0].Lon != pub.Lon {
		t.Fatalf("events %+v: want one at the public observer grid %v", r.Events, pub)
	}
	if *r.Events[0].Lat == post.Lat || *r.Events[0].Lon == post.Lon {
		t.Errorf("the observer's exact position is exported")
	}
}

func TestDailyWithoutCasesOrSteps(t *testing.T) {
	in := fixture(t)
	in.Cases, in.Steps = nil, nil
	r, err := Daily(in, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	if r.Cases.Source != NoData || r.Steps.Source != NoData {
		t.Errorf("sources %q %q, want %q", r.Cases.Source, r.Steps.Source, NoData)
	}
}

func TestDailyErrors(t *testing.T) {
	in := fixture(t)
	tests := []struct {
		name, day, field string
		in               Input
	}{
		{"no agreement", "2026-11-20", "agreement", Input{}},
		{"bad day", "2026-11-31", "date", in},
		{"not a day", "20/11/2026", "date", in},
		{"as of before the day", "2026-11-22", "as_of", in},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Daily(tt.in, tt.day)
			if err == nil {
				t.Fatal("no error")
			}
			if f := fieldOf(err); f != tt.field {
				t.Errorf("error %v names field %q, want %q", err, f, tt.field)
			}
		})
	}
}

func fieldOf(err error) string {
	var pe *pactwatch.Error
	if errors.As(err, &pe) {
		return pe.Field
	}
	return "not a *pactwatch.Error: " + err.Error()
}

func TestDailyUnverifiedIncidentsCaveat(t *testing.T) {
	in := fixture(t)
	at := utc("2026-11-20T05:00:00Z")
	in.Incidents = []Incident{
		{ID: "i1", Status: "verified", At: at, Counts: map[vocab.Category]int{vocab.Explosion: 1}},
		{ID: "i2", Status: "corroborated", At: at, Counts: map[vocab.Category]int{vocab.Explosion: 1}},
		{ID: "i3", Status: "reported", At: at.Add(-48 * time.Hour), Counts: map[vocab.Category]int{vocab.Explosion: 1}}, // not this day
	}
	r, err := Daily(in, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	if r.Incidents != 2 || r.Unverified != 1 || !strings.Contains(r.Caveat, "1 of the day's 2 incidents") {
		t.Errorf("incidents %d unverified %d caveat %q", r.Incidents, r.Unverified, r.Caveat)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r, HTMLOptions{Lang: "uk"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Інцидентів, ще не перевірених аналітиками: 1 із 2.") {
		t.Errorf("the Ukrainian caveat is missing:\n%s", b.String())
	}
}

func TestDailyFromViolations(t *testing.T) {
	in := fixture(t)
	in.Violations = []Violation{
		{ID: "v2", Commitment: "withdrawal-russia", Rule: "weapon_distance", Party: "russia", At: utc("2026-11-20T10:00:00Z"),
			Position: &observation.Position{Lat: nearHorl[0], Lon: nearHorl[1]}, WeaponClass: vocab.Tank, Count: 3, DistanceKm: 7.26, LimitKm: 15},
		{ID: "v1", Commitment: "holding-russia", Rule: "holding_inventory", At: utc("2026-11-20T09:00:00Z"), Zone: "ha-ru-luhansk", WeaponClass: vocab.Tank, Count: 5},
		{ID: "v0", Commitment: "ceasefire", Rule: "fire_in_zone", At: utc("2026-11-20T09:00:00Z")},
		{ID: "v3", Commitment: "withdrawal-russia", Rule: "weapon_distance", At: utc("2026-11-21T10:00:00Z"), WeaponClass: vocab.Tank, Count: 1}, // next day
	}
	r, err := Daily(in, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	w := r.Weapons
	if w.Source != FromViolations || len(w.InViolation) != 1 || len(w.Missing) != 1 {
		t.Fatalf("weapons: %+v", w)
	}
	if v := w.InViolation[0]; v.Event != "v2" || v.DistanceKm != 7.5 || v.Line != "russia-line" || v.Place.Town != "horlivka" || v.Count != 3 {
		t.Errorf("in violation: %+v", v)
	}
	if m := w.Missing[0]; m.HoldingArea != "ha-ru-luhansk" || m.Declared != 40 || m.Party != "russia" || m.Name == "" {
		t.Errorf("missing: %+v", m)
	}
	// The lists compliance does not produce stay the report's own.
	if len(w.OutsideSites) != 1 || len(w.Indeterminate) != 1 {
		t.Errorf("outside %d, indeterminate %d: want the report's own 1 and 1", len(w.OutsideSites), len(w.Indeterminate))
	}
}
