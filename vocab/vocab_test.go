package vocab

import (
	"regexp"
	"testing"
)

// Values are wire and ledger vocabulary: they must stay lowercase
// snake_case, and every value must carry its description.
func TestValuesAreStableIdentifiers(t *testing.T) {
	ident := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	check := func(kind, v, label string) {
		t.Helper()
		if !ident.MatchString(v) {
			t.Errorf("%s %q is not a snake_case identifier", kind, v)
		}
		if label == "" {
			t.Errorf("%s %q has no label", kind, v)
		}
	}
	for _, c := range Categories() {
		check("category", string(c), c.Label())
		if c.Family() == "" {
			t.Errorf("category %q has no family", c)
		}
	}
	for _, w := range WeaponClasses() {
		i, _ := w.Info()
		check("weapon class", string(w), i.Label)
	}
	for _, s := range SourceTypes() {
		check("source type", string(s), s.Label())
	}
	for _, a := range ActionKinds() {
		check("action kind", string(a), a.Label())
	}
	for _, r := range Roles() {
		check("role", string(r), string(r))
	}
}

func TestIssueVocabularyIsCovered(t *testing.T) {
	// The categories the Foundation issue names, one each.
	want := []Category{Explosion, ProjectileInFlight, MuzzleFlash, IlluminationFlare, BurstOfFire,
		Airstrike, DroneStrike, MissileStrike, HeavyWeaponSighted, WeaponMissing, TroopMovement,
		MineUXO, CivilianCasualty, InfrastructureDamage, MovementRestriction, EquipmentInterference,
		CyberAttack, Other}
	if got := len(Categories()); got != len(want) {
		t.Errorf("%d categories, want %d", got, len(want))
	}
	for _, c := range want {
		if !c.Valid() {
			t.Errorf("category %q missing", c)
		}
	}
	fire := 0
	for _, c := range Categories() {
		if c.IsCeasefireViolation() {
			fire++
		}
	}
	if fire != 5 { // explosions, projectiles, flashes, flares, bursts and shots
		t.Errorf("%d ceasefire-violation categories, want 5", fire)
	}
}

func TestCalibreBands(t *testing.T) {
	tests := []struct {
		class WeaponClass
		mm    float64
		ok    bool
	}{
		{Mortar, 82, true},
		{Mortar, 120, true},
		{Mortar, 160, false},
		{Artillery, 122, true},
		{Artillery, 100, true},
		{Artillery, 85, false},
		{ArtilleryUnder100, 85, true},
		{ArtilleryUnder100, 100, false},
		{MLRS, 122, true},
		{HeavyMLRS, 220, true},
		{HeavyMLRS, 300, true},
		{HeavyMLRS, 122, false},
		{Tank, 125, true}, // no band: any calibre
		{WeaponClass("catapult"), 0, false},
	}
	for _, tt := range tests {
		if got := tt.class.AcceptsCalibre(tt.mm); got != tt.ok {
			t.Errorf("%s accepts %v mm = %v, want %v", tt.class, tt.mm, got, tt.ok)
		}
	}
}

func TestGrades(t *testing.T) {
	for _, s := range []string{"A1", "B2", "F6", "E5"} {
		g, err := ParseGrade(s)
		if err != nil {
			t.Errorf("ParseGrade(%q): %v", s, err)
			continue
		}
		if g.Reliability() != s[0] || g.Credibility() != int(s[1]-'0') {
			t.Errorf("%q parsed as %c%d", s, g.Reliability(), g.Credibility())
		}
	}
	for _, s := range []string{"", "A", "A0", "A7", "G1", "a1", "B22", "1A"} {
		if _, err := ParseGrade(s); err == nil {
			t.Errorf("ParseGrade(%q) accepted", s)
		}
	}
}

func TestRoles(t *testing.T) {
	if !RoleGuarantorLiaison.NeedsOf() || !RolePartyLiaison.NeedsOf() || RoleAnalyst.NeedsOf() {
		t.Error("NeedsOf wrong")
	}
	if !RoleAuditor.ReadsEverything() || !RoleAdmin.ReadsEverything() || RolePublic.ReadsEverything() {
		t.Error("ReadsEverything wrong")
	}
	for _, r := range Roles() {
		want := r == RoleAnalyst || r == RoleAuditor || r == RoleAdmin
		if r.SeesWhole() != want {
			t.Errorf("%s.SeesWhole() = %v, want %v", r, r.SeesWhole(), want)
		}
	}
}
