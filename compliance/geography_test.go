package compliance_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

var sightingTime = time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)

// sighting evaluates one verified UAV sighting of a weapon and returns the
// violations and indeterminate checks of commitment.
func sighting(t *testing.T, ev *compliance.Evaluator, commitment string, wc vocab.WeaponClass, at orb.Point, uncertaintyKm float64, att *observation.Attribution) ([]compliance.Violation, []compliance.Check) {
	t.Helper()
	r := rec("w-"+fmt.Sprint(at), "monitor-uav-1", vocab.UAV, "A1", vocab.HeavyWeaponSighted, 1, sightingTime)
	r.WeaponClass, r.Target, r.Attribution = wc, pos(at, uncertaintyKm), att
	inc := verifyOne(t, r)
	res, err := ev.Evaluate(context.Background(), compliance.Inputs{Incidents: []*incident.Incident{inc}}, sightingTime)
	if err != nil {
		t.Fatal(err)
	}
	var vs []compliance.Violation
	var cs []compliance.Check
	for _, v := range res.Violations {
		if v.Commitment == commitment {
			vs = append(vs, v)
		}
	}
	for _, c := range res.Indeterminate {
		if c.Commitment == commitment {
			cs = append(cs, c)
		}
	}
	return vs, cs
}

// TestWithdrawalDistances places weapons just inside and just outside each
// withdrawal distance of the example, on each party's side of its own line
// (1% either side of the limit, so the 0.5% accuracy the issue asks for
// must decide them), with and without position uncertainty. Points are
// placed with Vincenty's direct formula and checked against a brute-force
// Vincenty distance to the drawn line, not with package geo.
func TestWithdrawalDistances(t *testing.T) {
	if testing.Short() {
		t.Skip("reference geodesics take a few seconds")
	}
	a, ev := example(t)
	sides := []struct {
		commitment, line, party string
		left                    bool // the party's side of its line, as the line runs SW→NE
		segments                []int
	}{
		{"withdrawal-ukraine", "ukraine-line", "ukraine", true, []int{3, 11, 19}},
		{"withdrawal-russia", "russia-line", "russia", false, []int{6, 12, 19}},
	}
	classes := []struct {
		wc    vocab.WeaponClass
		limit float64
	}{{vocab.Tank, 15}, {vocab.Artillery, 25}, {vocab.MLRS, 35}, {vocab.HeavyMLRS, 70}}
	for _, s := range sides {
		line := lineOf(t, a, s.line)
		for _, seg := range s.segments {
			for _, c := range classes {
				type probe struct {
					km, uncertainty float64
					want            compliance.Outcome
				}
				probes := []probe{
					{c.limit * 0.99, 0, compliance.Inside},
					{c.limit * 1.01, 0, compliance.Outside},
					{c.limit - 3, 2, compliance.Inside},
					{c.limit - 1, 2, compliance.Indeterminate},
					{c.limit + 1, 2, compliance.Indeterminate},
					{c.limit + 3, 2, compliance.Outside},
				}
				for _, p := range probes {
					name := fmt.Sprintf("%s/seg%d/%s/%.2fkm±%g", s.line, seg, c.wc, p.km, p.uncertainty)
					t.Run(name, func(t *testing.T) {
						at := offsetPoint(line, seg, s.left, p.km)
						vs, cs := sighting(t, ev, s.commitment, c.wc, at, p.uncertainty, nil)
						got := compliance.Outside
						switch {
						case len(vs) == 1 && len(cs) == 0:
							got = compliance.Inside
							v := vs[0]
							if v.Attribution.Party != s.party || v.WeaponClass != c.wc || v.LimitKm != c.limit {
								t.Fatalf("violation %+v", v)
							}
							if d := v.DistanceKm; d < p.km*0.995 || d > p.km*1.005 {
								t.Fatalf("distance %.3f km, reference %.3f km: off by more than 0.5%%", d, p.km)
							}
						case len(vs) == 0 && len(cs) == 1:
							got = compliance.Indeterminate
						case len(vs) == 0 && len(cs) == 0:
						default:
							t.Fatalf("%d violations and %d checks", len(vs), len(cs))
						}
						if got != p.want {
							t.Fatalf("%s, want %s (at %v)", got, p.want, at)
						}
					})
				}
			}
		}
	}
}

// TestWeaponOwner: a weapon counts against a party's withdrawal only when
// it is that party's; on the far side of its own line (between the lines)
// it still does.
func TestWeaponOwner(t *testing.T) {
	a, ev := example(t)
	ua, ru := lineOf(t, a, "ukraine-line"), lineOf(t, a, "russia-line")
	// A Ukrainian tank 1.5 km on the contact line's side of Ukraine's
	// line: still in the area Ukraine controls, 1.5 km from its line.
	between := offsetPoint(ua, 12, false, 1.5)
	if vs, _ := sighting(t, ev, "withdrawal-ukraine", vocab.Tank, between, 0.1, nil); len(vs) != 1 || vs[0].Attribution.Party != "ukraine" {
		t.Fatalf("Ukrainian tank between the lines: %s", describe(vs))
	}
	// A Russian artillery piece 8 km beyond Russia's line is about 14 km
	// from Ukraine's: a Russian violation, not a Ukrainian one.
	deep := offsetPoint(ru, 12, false, 8)
	if vs, _ := sighting(t, ev, "withdrawal-ukraine", vocab.Artillery, deep, 0.1, nil); len(vs) != 0 {
		t.Fatalf("Russian gun charged to Ukraine: %s", describe(vs))
	}
	if vs, _ := sighting(t, ev, "withdrawal-russia", vocab.Artillery, deep, 0.1, nil); len(vs) != 1 || vs[0].Attribution.Party != "russia" {
		t.Fatalf("Russian gun: %s", describe(vs))
	}
	// A gun whose position's uncertainty straddles the contact line has no
	// known owner: a check, not a violation, for both parties.
	on := offsetPoint(ua, 12, false, 3)
	for _, c := range []string{"withdrawal-ukraine", "withdrawal-russia"} {
		vs, cs := sighting(t, ev, c, vocab.Artillery, on, 2, nil)
		if len(vs) != 0 || len(cs) != 1 || !strings.Contains(cs[0].Detail, "side is unknown") {
			t.Fatalf("%s: straddling gun: %s %+v", c, describe(vs), cs)
		}
	}
	// A confident report that the gun is Russian decides it.
	vs, _ := sighting(t, ev, "withdrawal-russia", vocab.Artillery, on, 2, &observation.Attribution{Party: "russia", Confidence: "high"})
	if len(vs) != 1 || vs[0].Attribution.Basis != compliance.BasisReported {
		t.Fatalf("reported Russian gun: %s", describe(vs))
	}
	// The day before the withdrawal commitment starts nothing is a
	// violation.
	start, err := a.Commitment("withdrawal-ukraine").Start.In(a.Location())
	if err != nil {
		t.Fatal(err)
	}
	r := rec("early", "monitor-uav-1", vocab.UAV, "A1", vocab.HeavyWeaponSighted, 1, start.Add(-time.Hour))
	r.WeaponClass, r.Target = vocab.Tank, pos(between, 0.1)
	res, err := ev.Evaluate(context.Background(), compliance.Inputs{Incidents: []*incident.Incident{verifyOne(t, r)}}, sightingTime)
	if err != nil || len(res.Violations) != 0 {
		t.Fatalf("before the start: %v %s", err, describe(res.Violations))
	}
}

// TestFireAttribution: fire is attributed from the estimated origin when
// its uncertainty lies wholly in one party's area, else from a confident
// reported attribution, else not at all — never from the impact.
func TestFireAttribution(t *testing.T) {
	_, ev := example(t)
	at := time.Date(2027, 2, 2, 9, 0, 0, 0, time.UTC)
	ruSide := orb.Point{38.00, 48.45} // 11 km inside the area Russia controls
	uaSide := orb.Point{37.60, 48.45} // 18 km inside the area Ukraine controls
	onLine := orb.Point{37.85, 48.50} // on the contact line
	high := &observation.Attribution{Party: "ukraine", Confidence: "high"}
	low := &observation.Attribution{Party: "ukraine", Confidence: "low"}
	tests := []struct {
		name      string
		origin    *observation.Position
		target    *observation.Position
		src       vocab.SourceType
		claim     *observation.Attribution
		wantParty string
		wantBasis compliance.Basis
	}{
		{"origin in Russia's area", pos(ruSide, 1), pos(uaSide, 0.1), vocab.AcousticSensor, nil, "russia", compliance.BasisOrigin},
		{"origin in Ukraine's area", pos(uaSide, 1), pos(ruSide, 0.1), vocab.AcousticSensor, nil, "ukraine", compliance.BasisOrigin},
		{"origin beats a contrary claim", pos(ruSide, 1), nil, vocab.StaticCamera, high, "russia", compliance.BasisOrigin},
		{"origin disc crosses the line", pos(onLine, 3), pos(uaSide, 0.1), vocab.AcousticSensor, nil, "", ""},
		{"crossing origin, confident claim", pos(onLine, 3), nil, vocab.StaticCamera, high, "ukraine", compliance.BasisReported},
		{"impact only: never attributed", nil, pos(uaSide, 0.1), vocab.StaticCamera, nil, "", ""},
		{"impact only, low-confidence claim", nil, pos(uaSide, 0.1), vocab.StaticCamera, low, "", ""},
		{"party complaint's claim ignored", nil, pos(uaSide, 0.1), vocab.UAV, nil, "", ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rec(fmt.Sprintf("fire-%d", i), "monitor-uav-1", tc.src, "A1", vocab.Explosion, 12, at)
			r.Origin, r.Target, r.Attribution = tc.origin, tc.target, tc.claim
			incs := []*incident.Incident{verifyOne(t, r)}
			if tc.name == "party complaint's claim ignored" {
				// Corroborated by a UAV, claimed only by a party.
				c := &clock{at.Add(time.Hour)}
				tr := incident.NewTracker(incident.DefaultConfig(), c.now)
				tr.Add(r)
				pc := rec("fire-pc", "liaison-russia", vocab.PartyComplaint, "C3", vocab.Explosion, 12, at)
				pc.Target, pc.Attribution = pos(uaSide, 0.5), &observation.Attribution{Party: "ukraine", Confidence: "high"}
				inc, _ := tr.Add(pc)
				if len(inc.Reports) != 2 {
					t.Fatalf("complaint not clustered with the UAV report")
				}
				if _, err := tr.Decide(inc.ID, "analyst-1", incident.OutcomeVerified, "", ""); err != nil {
					t.Fatal(err)
				}
				incs = []*incident.Incident{inc}
			}
			res, err := ev.Evaluate(context.Background(), compliance.Inputs{Incidents: incs}, at)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Violations) != 1 {
				t.Fatalf("violations:%s", describe(res.Violations))
			}
			got := res.Violations[0].Attribution
			if got.Party != tc.wantParty || got.Basis != tc.wantBasis {
				t.Fatalf("attribution %+v, want %q from %q", got, tc.wantParty, tc.wantBasis)
			}
			if got.Party == "" && got.Note == "" {
				t.Fatal("unattributed without saying why")
			}
		})
	}
}

// TestZonePhases: the phased withdrawal area is in force only from each
// phase's date, and the commitment only in its window.
func TestZonePhases(t *testing.T) {
	_, ev := example(t)
	// In phase 2's area but not phase 1's (south-west of phase 1).
	at := orb.Point{34.4, 47.05}
	for _, tc := range []struct {
		when time.Time
		want int
	}{
		{time.Date(2027, 4, 1, 9, 0, 0, 0, time.UTC), 0},  // phase 1 in force: outside it
		{time.Date(2027, 10, 1, 9, 0, 0, 0, time.UTC), 1}, // phase 2 in force: inside it
		{time.Date(2028, 4, 1, 9, 0, 0, 0, time.UTC), 0},  // the commitment ended on 1 March 2028
	} {
		r := rec("troops-"+tc.when.Format("2006-01"), "monitor-uav-1", vocab.UAV, "A1", vocab.TroopMovement, 40, tc.when)
		r.Target = pos(at, 0.5)
		res, err := ev.Evaluate(context.Background(), compliance.Inputs{Incidents: []*incident.Incident{verifyOne(t, r)}}, tc.when)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, v := range res.Violations {
			if v.Commitment == "phased-withdrawal" {
				n++
				if v.Attribution.Party != "russia" {
					t.Errorf("%s: attributed %+v", tc.when, v.Attribution)
				}
			}
		}
		if n != tc.want {
			t.Errorf("%s: %d phased-withdrawal violations, want %d", tc.when.Format(time.DateOnly), n, tc.want)
		}
	}
}

// TestZoneIncursion: forces in the area Ukraine controls breach the
// borders commitment only when they are Russia's — by a confident report,
// since where they stand says they are Ukraine's.
func TestZoneIncursion(t *testing.T) {
	_, ev := example(t)
	at := time.Date(2027, 2, 4, 9, 0, 0, 0, time.UTC)
	inside := orb.Point{37.40, 48.55} // 15 km inside the area Ukraine controls
	for _, tc := range []struct {
		name  string
		claim *observation.Attribution
		want  int
	}{
		{"Ukrainian forces at home", nil, 0},
		{"Russian unit, high confidence", &observation.Attribution{Party: "russia", Confidence: "high"}, 1},
		{"Russian unit, low confidence", &observation.Attribution{Party: "russia", Confidence: "low"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rec("incursion-"+tc.name, "monitor-uav-1", vocab.UAV, "A1", vocab.TroopMovement, 60, at)
			r.Target, r.Attribution = pos(inside, 0.5), tc.claim
			res, err := ev.Evaluate(context.Background(), compliance.Inputs{Incidents: []*incident.Incident{verifyOne(t, r)}}, at)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, v := range res.Violations {
				if v.Commitment == "borders" {
					n++
					if v.Attribution.Party != "russia" || v.Attribution.Basis != compliance.BasisReported {
						t.Fatalf("attribution %+v", v.Attribution)
					}
				}
			}
			if n != tc.want {
				t.Fatalf("%d borders violations, want %d:%s", n, tc.want, describe(res.Violations))
			}
		})
	}
}
