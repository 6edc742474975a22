// Package vocab holds the closed vocabularies every part of pactwatch shares:
// what monitors can report (categories), what they can see (weapon classes),
// where a report comes from (source types), how reliable it is (Admiralty
// grades), what guarantors can owe (action kinds) and who may do what
// (roles). Values are stable lowercase snake_case strings: they appear in
// agreement files, signed observations and the ledger, so renaming one is a
// breaking change.
package vocab

import (
	"fmt"
	"slices"
)

// Category is what an observation reports.
type Category string

const (
	Explosion             Category = "explosion"              // an explosion heard or seen
	ProjectileInFlight    Category = "projectile_in_flight"   // a projectile seen or heard in flight
	MuzzleFlash           Category = "muzzle_flash"           // a muzzle flash seen
	IlluminationFlare     Category = "illumination_flare"     // an illumination flare
	BurstOfFire           Category = "burst_of_fire"          // bursts and shots of small arms / heavy machine guns
	Airstrike             Category = "airstrike"              // a strike by manned aircraft
	DroneStrike           Category = "drone_strike"           // a strike by an attack drone or loitering munition
	MissileStrike         Category = "missile_strike"         // a ballistic or cruise missile strike
	HeavyWeaponSighted    Category = "heavy_weapon_sighted"   // a heavy weapon seen at a position
	WeaponMissing         Category = "weapon_missing"         // a declared weapon absent from its holding area
	TroopMovement         Category = "troop_movement"         // movement of personnel or vehicles
	MineUXO               Category = "mine_uxo"               // mines, unexploded ordnance, IEDs
	CivilianCasualty      Category = "civilian_casualty"      // civilians killed or injured
	InfrastructureDamage  Category = "infrastructure_damage"  // damage to civilian infrastructure
	MovementRestriction   Category = "movement_restriction"   // the mission's freedom of movement restricted
	EquipmentInterference Category = "equipment_interference" // UAV jamming or shoot-down, camera damage
	CyberAttack           Category = "cyber_attack"           // a cyber attack
	Other                 Category = "other"                  // anything else, described in the narrative
)

// Family groups categories that describe the same kind of event: reports in
// the same family may be grouped into one incident.
type Family string

const (
	FamilyFire         Family = "ceasefire_violation" // explosions, projectiles, flashes, flares, bursts
	FamilyStrike       Family = "strike"              // air, drone and missile strikes
	FamilyWeapons      Family = "weapons"             // heavy weapons sighted or missing
	FamilyMovement     Family = "movement"            // troop movement
	FamilyHazard       Family = "hazard"              // mines and UXO
	FamilyHumanitarian Family = "humanitarian"        // casualties and damage
	FamilyMission      Family = "mission"             // restrictions of and interference with the mission
	FamilyCyber        Family = "cyber"
	FamilyOther        Family = "other"
)

type categoryInfo struct {
	family Family
	label  string
}

var categories = map[Category]categoryInfo{
	Explosion:             {FamilyFire, "Explosion"},
	ProjectileInFlight:    {FamilyFire, "Projectile in flight"},
	MuzzleFlash:           {FamilyFire, "Muzzle flash"},
	IlluminationFlare:     {FamilyFire, "Illumination flare"},
	BurstOfFire:           {FamilyFire, "Bursts and shots"},
	Airstrike:             {FamilyStrike, "Airstrike"},
	DroneStrike:           {FamilyStrike, "Drone strike"},
	MissileStrike:         {FamilyStrike, "Missile strike"},
	HeavyWeaponSighted:    {FamilyWeapons, "Heavy weapon sighted"},
	WeaponMissing:         {FamilyWeapons, "Weapon missing from holding area"},
	TroopMovement:         {FamilyMovement, "Troop movement"},
	MineUXO:               {FamilyHazard, "Mine / UXO"},
	CivilianCasualty:      {FamilyHumanitarian, "Civilian casualty"},
	InfrastructureDamage:  {FamilyHumanitarian, "Damage to civilian infrastructure"},
	MovementRestriction:   {FamilyMission, "Restriction of the mission's movement"},
	EquipmentInterference: {FamilyMission, "Interference with mission equipment"},
	CyberAttack:           {FamilyCyber, "Cyber attack"},
	Other:                 {FamilyOther, "Other"},
}

// Categories returns every category in a stable order.
func Categories() []Category { return sortedKeys(categories) }

// Valid reports whether c is a known category.
func (c Category) Valid() bool { _, ok := categories[c]; return ok }

// Family returns the category's family ("" for unknown categories).
func (c Category) Family() Family { return categories[c].family }

// Label returns an English label for reports and the UI.
func (c Category) Label() string { return categories[c].label }

// IsCeasefireViolation reports whether c counts in a daily report's
// "ceasefire violations" total, as monitoring missions counted them.
func (c Category) IsCeasefireViolation() bool { return c.Family() == FamilyFire }

// WeaponClass is a class of weapon as withdrawal commitments name them.
type WeaponClass string

const (
	Mortar            WeaponClass = "mortar"           // mortars up to 120 mm
	ArtilleryUnder100 WeaponClass = "artillery_lt100"  // guns and howitzers under 100 mm
	Artillery         WeaponClass = "artillery"        // guns and howitzers of 100 mm and more
	Tank              WeaponClass = "tank"             // main battle tanks
	ArmouredVehicle   WeaponClass = "armoured_vehicle" // IFVs, APCs
	AntiTank          WeaponClass = "anti_tank"        // anti-tank guns and guided missiles
	MLRS              WeaponClass = "mlrs"             // multiple rocket launchers under 220 mm (e.g. Grad)
	HeavyMLRS         WeaponClass = "heavy_mlrs"       // Tornado-S, Uragan, Smerch (220–300 mm)
	TacticalMissile   WeaponClass = "tactical_missile" // Tochka-class tactical missile systems
	AirDefence        WeaponClass = "air_defence"      // surface-to-air systems
	CombatAircraft    WeaponClass = "combat_aircraft"  // fixed-wing combat aircraft
	AttackHelicopter  WeaponClass = "attack_helicopter"
	AttackDrone       WeaponClass = "attack_drone" // attack drones and loitering munitions
	SmallArms         WeaponClass = "small_arms"   // rifles, machine guns, grenade launchers
	UnknownWeapon     WeaponClass = "unknown"
)

// WeaponInfo describes a weapon class: its calibre band in millimetres
// (0 where calibre does not define the class) and examples of systems.
type WeaponInfo struct {
	Class      WeaponClass
	Label      string
	MinCalibre float64 // inclusive, mm; 0 = no lower bound
	MaxCalibre float64 // inclusive, mm; 0 = no upper bound
	Examples   []string
}

var weapons = map[WeaponClass]WeaponInfo{
	Mortar:            {Mortar, "Mortar (up to 120 mm)", 0, 120, []string{"2B11 Sani", "M120"}},
	ArtilleryUnder100: {ArtilleryUnder100, "Artillery under 100 mm", 0, 99.9, []string{"MT-12 Rapira", "ZiS-3"}},
	Artillery:         {Artillery, "Artillery of 100 mm and more", 100, 0, []string{"D-30 (122 mm)", "2S1 Gvozdika", "2S3 Akatsiya", "2A65 Msta-B", "M777"}},
	Tank:              {Tank, "Tank", 0, 0, []string{"T-64", "T-72", "T-80", "T-90", "Leopard 2"}},
	ArmouredVehicle:   {ArmouredVehicle, "Armoured combat vehicle", 0, 0, []string{"BMP-2", "BTR-80", "MT-LB"}},
	AntiTank:          {AntiTank, "Anti-tank weapon", 0, 0, []string{"MT-12", "9K111 Fagot"}},
	MLRS:              {MLRS, "Multiple rocket launcher", 0, 219.9, []string{"BM-21 Grad (122 mm)", "HIMARS"}},
	HeavyMLRS:         {HeavyMLRS, "Tornado-S / Uragan / Smerch", 220, 300, []string{"BM-27 Uragan (220 mm)", "BM-30 Smerch (300 mm)", "9K515 Tornado-S (300 mm)"}},
	TacticalMissile:   {TacticalMissile, "Tochka-class tactical missile", 0, 0, []string{"OTR-21 Tochka", "Tochka-U"}},
	AirDefence:        {AirDefence, "Air defence system", 0, 0, []string{"9K33 Osa", "Buk", "S-300"}},
	CombatAircraft:    {CombatAircraft, "Combat aircraft", 0, 0, []string{"Su-25", "Su-34", "F-16"}},
	AttackHelicopter:  {AttackHelicopter, "Attack helicopter", 0, 0, []string{"Mi-24", "Ka-52"}},
	AttackDrone:       {AttackDrone, "Attack drone / loitering munition", 0, 0, []string{"Shahed-136", "Lancet", "Bayraktar TB2"}},
	SmallArms:         {SmallArms, "Small arms and light weapons", 0, 0, []string{"AK-74", "PKM", "AGS-17"}},
	UnknownWeapon:     {UnknownWeapon, "Unknown weapon", 0, 0, nil},
}

// WeaponClasses returns every weapon class in a stable order.
func WeaponClasses() []WeaponClass { return sortedKeys(weapons) }

// Valid reports whether w is a known weapon class.
func (w WeaponClass) Valid() bool { _, ok := weapons[w]; return ok }

// Info returns the class's description; ok is false for unknown classes.
func (w WeaponClass) Info() (WeaponInfo, bool) { i, ok := weapons[w]; return i, ok }

// AcceptsCalibre reports whether a calibre in mm fits the class's band.
// Classes without a band accept any calibre.
func (w WeaponClass) AcceptsCalibre(mm float64) bool {
	i, ok := weapons[w]
	if !ok {
		return false
	}
	return (i.MinCalibre == 0 || mm >= i.MinCalibre) && (i.MaxCalibre == 0 || mm <= i.MaxCalibre)
}

// SourceType is how an observation was made.
type SourceType string

const (
	Patrol         SourceType = "patrol"          // a monitoring patrol on the ground
	StaticCamera   SourceType = "static_camera"   // a fixed camera
	UAV            SourceType = "uav"             // a mission drone
	AcousticSensor SourceType = "acoustic_sensor" // an acoustic or seismic sensor
	Satellite      SourceType = "satellite"       // satellite imagery
	OpenSource     SourceType = "open_source"     // an OSINT desk's finding
	PartyComplaint SourceType = "party_complaint" // a complaint filed by a party
)

var sources = map[SourceType]string{
	Patrol: "Patrol", StaticCamera: "Static camera", UAV: "UAV",
	AcousticSensor: "Acoustic sensor", Satellite: "Satellite",
	OpenSource: "Open source", PartyComplaint: "Party complaint",
}

// SourceTypes returns every source type in a stable order.
func SourceTypes() []SourceType { return sortedKeys(sources) }

// Valid reports whether s is a known source type.
func (s SourceType) Valid() bool { _, ok := sources[s]; return ok }

// Label returns an English label.
func (s SourceType) Label() string { return sources[s] }

// Direct reports whether the source observes the event itself (as opposed
// to relaying someone's claim): corroboration rules weigh direct sources.
func (s SourceType) Direct() bool {
	return s != OpenSource && s != PartyComplaint
}

// Grade is an Admiralty (NATO STANAG 2511) grade: source reliability A–F and
// information credibility 1–6, graded independently, written "B2".
type Grade string

// Valid reports whether g is a well-formed grade.
func (g Grade) Valid() bool {
	return len(g) == 2 && g[0] >= 'A' && g[0] <= 'F' && g[1] >= '1' && g[1] <= '6'
}

// Reliability returns the letter A–F (A completely reliable … E unreliable,
// F cannot be judged).
func (g Grade) Reliability() byte { return g[0] }

// Credibility returns 1–6 (1 confirmed by other sources … 5 improbable, 6
// cannot be judged).
func (g Grade) Credibility() int { return int(g[1] - '0') }

// ParseGrade validates s as a grade.
func ParseGrade(s string) (Grade, error) {
	g := Grade(s)
	if !g.Valid() {
		return "", fmt.Errorf("grade %q: want reliability A–F then credibility 1–6, e.g. B2", s)
	}
	return g, nil
}

// ActionKind is what a response-protocol step asks of its actor.
type ActionKind string

const (
	ActionNotify        ActionKind = "notify"           // formal notification of the violation
	ActionConsult       ActionKind = "consult"          // consultations among guarantors and parties
	ActionStatement     ActionKind = "public_statement" // a public statement attributing the violation
	ActionSanctions     ActionKind = "sanctions"        // economic or diplomatic sanctions
	ActionAssistance    ActionKind = "assistance"       // military, economic or humanitarian assistance
	ActionDeployment    ActionKind = "deployment"       // deployment of forces or a contingent
	ActionInvestigation ActionKind = "investigation"    // an inquiry by the mission or a third party
	ActionOther         ActionKind = "other"
)

var actions = map[ActionKind]string{
	ActionNotify: "Notify", ActionConsult: "Consult", ActionStatement: "Public statement",
	ActionSanctions: "Sanctions", ActionAssistance: "Assistance", ActionDeployment: "Deployment",
	ActionInvestigation: "Investigation", ActionOther: "Other",
}

// ActionKinds returns every action kind in a stable order.
func ActionKinds() []ActionKind { return sortedKeys(actions) }

// Valid reports whether a is a known action kind.
func (a ActionKind) Valid() bool { _, ok := actions[a]; return ok }

// Label returns an English label.
func (a ActionKind) Label() string { return actions[a] }

// Role is what a principal may do.
type Role string

const (
	RoleMonitor          Role = "monitor"           // submits signed observations and evidence
	RoleAnalyst          Role = "analyst"           // reviews incidents, decides violations and cases
	RoleAuditor          Role = "auditor"           // reads every record and checks it against the ledger
	RoleGuarantorLiaison Role = "guarantor_liaison" // records one guarantor's actions (Of names it)
	RolePartyLiaison     Role = "party_liaison"     // represents one party (Of names it)
	RoleAdmin            Role = "admin"             // manages principals and subscriptions
	RolePublic           Role = "public"            // reads redacted, published data
)

var roles = map[Role]string{
	RoleMonitor: "Monitor", RoleAnalyst: "Analyst", RoleAuditor: "Auditor",
	RoleGuarantorLiaison: "Guarantor liaison", RolePartyLiaison: "Party liaison",
	RoleAdmin: "Administrator", RolePublic: "Public",
}

// Roles returns every role in a stable order.
func Roles() []Role { return sortedKeys(roles) }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roles[r]; return ok }

// NeedsOf reports whether the role acts for one guarantor or party, which
// must then be named.
func (r Role) NeedsOf() bool { return r == RoleGuarantorLiaison || r == RolePartyLiaison }

// ReadsEverything reports whether the role sees unredacted records.
func (r Role) ReadsEverything() bool { return r == RoleAdmin || r == RoleAuditor }

// SeesWhole reports whether the role sees whole observations, incidents
// and cases (reporters, exact positions, narratives, the review queue):
// the mission's analysts, and the roles that read everything. Everyone
// else — and the API and the web interface apply this one rule — sees
// public projections.
func (r Role) SeesWhole() bool { return r.ReadsEverything() || r == RoleAnalyst }

func sortedKeys[K ~string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
