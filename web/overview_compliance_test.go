package web

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/vocab"
)

// ovResponses is a Responses holding fixed runs per case; err, when set,
// is what Runs answers.
type ovResponses struct {
	runs  map[string][]*response.Run
	asked []string // case ids Runs was asked for
	err   error
}

func (f *ovResponses) Runs(ctx context.Context, caseID string) ([]*response.Run, error) {
	f.asked = append(f.asked, caseID)
	return f.runs[caseID], f.err
}

func (f *ovResponses) Record(ctx context.Context, by response.Recorder, run, step string, act response.Action) ([]response.Transition, error) {
	return nil, pactwatch.Errorf(pactwatch.EFORBIDDEN, "read-only fake")
}

func (f *ovResponses) Scorecard(ctx context.Context, asOf time.Time, every agreement.Duration) (response.Scorecard, error) {
	return response.Scorecard{}, nil
}

// ovDonetsk is near Horlivka (Donetsk region in the report's gazetteer).
var ovDonetsk = &incident.Disc{Point: orb.Point{38.05, 48.3}, RadiusKm: 1}

// ovSources are violations at known times before testNow, four open or
// closed cases of two parties, and the protocol runs of the confirmed ones.
func ovSources() (*mapIncidents, *ovResponses) {
	at := func(d time.Duration) time.Time { return testNow.Add(-d) }
	src := &mapIncidents{result: compliance.Result{Violations: []compliance.Violation{
		{ID: "v1", At: at(2 * time.Hour), Where: ovDonetsk, Categories: []vocab.Category{vocab.BurstOfFire, vocab.Explosion}, Count: 40},
		{ID: "v2", At: at(30 * time.Hour), Where: ovDonetsk, Categories: []vocab.Category{vocab.Explosion}},
		{ID: "v3", At: at(3 * 24 * time.Hour), Where: &incident.Disc{Point: orb.Point{0, 0}}, Categories: []vocab.Category{vocab.HeavyWeaponSighted}},
		{ID: "v4", At: at(3 * time.Hour), Categories: []vocab.Category{vocab.DroneStrike}}, // no position: other areas
		{ID: "v-old", At: at(8 * 24 * time.Hour), Where: ovDonetsk, Categories: []vocab.Category{vocab.Explosion}},
	}}, cases: []*compliance.Case{
		{ID: "case-candidate-ru", Status: compliance.Candidate, Group: compliance.Group{Commitment: "ceasefire", Party: "ru"}, Opened: at(time.Hour), Severity: compliance.Serious},
		{ID: "case-confirmed-ru", Status: compliance.Confirmed, Group: compliance.Group{Commitment: "ceasefire", Party: "ru"}, Opened: at(50 * time.Hour), Confirmed: at(48 * time.Hour), Severity: compliance.Grave},
		{ID: "case-confirmed-joint", Status: compliance.Confirmed, Group: compliance.Group{Commitment: "withdrawal", Party: "joint"}, Opened: at(10 * time.Hour), Confirmed: at(9 * time.Hour), Severity: compliance.Serious},
		{ID: "case-closed", Status: compliance.Closed, Group: compliance.Group{Commitment: "ceasefire", Party: "ua"}, Confirmed: at(90 * time.Hour), Severity: compliance.Serious},
	}}
	step := func(id, actor string, st response.State, deadline time.Duration) *response.Step {
		return &response.Step{Key: id + "/" + actor, ID: id, Actor: actor, Action: vocab.ActionNotify, State: st, Deadline: testNow.Add(deadline)}
	}
	resp := &ovResponses{runs: map[string][]*response.Run{
		"case-confirmed-ru": {{ID: "case-confirmed-ru/p", Case: "case-confirmed-ru", Steps: []*response.Step{
			step("notify", "uk", response.Pending, 2*time.Hour),     // due
			step("consult", "uk", response.Pending, 48*time.Hour),   // later
			step("statement", "fr", response.Overdue, -5*time.Hour), // overdue
			step("late", "fr", response.Pending, -time.Minute),      // overdue before the scheduler's tick
			step("done", "uk", response.Done, time.Hour),            // done
			step("missed", "uk", response.Missed, -10*24*time.Hour), // final
		}}},
		"case-confirmed-joint": {{ID: "case-confirmed-joint/p", Case: "case-confirmed-joint", Steps: []*response.Step{
			step("notify", "uk", response.Pending, 20*time.Hour), // due
		}}},
		"case-closed": {{ID: "case-closed/p", Case: "case-closed", Steps: []*response.Step{
			step("notify", "uk", response.Overdue, -time.Hour), // closed case: not listed
		}}},
	}}
	return src, resp
}

func newComplianceOverviewHandler(t *testing.T, src Incidents, resp Responses) *Handler {
	t.Helper()
	o := Options{Map: newFakeMap(0), Now: func() time.Time { return testNow }, Sessions: fakeSessions{
		"analyst-token": {ID: "analyst-1", Name: "A. Analyst", Role: vocab.RoleAnalyst},
		"ru-token":      {ID: "ru-liaison", Name: "RU liaison", Role: vocab.RolePartyLiaison, Of: "ru"},
		"ua-token":      {ID: "ua-liaison", Name: "UA liaison", Role: vocab.RolePartyLiaison, Of: "ua"},
	}}
	if src != nil {
		o.Incidents = src
	}
	if resp != nil {
		o.Responses = resp
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h
}

var ovRowKey = regexp.MustCompile(`<tr data-key="([^"]+)"`)

// ovTable returns the table with the id, from its start to </table>.
func ovTable(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	table := body[i:]
	return table[:strings.Index(table, "</table>")]
}

// ovKeys returns the data-key of each row of the table with the id.
func ovKeys(body, id string) []string {
	var out []string
	for _, m := range ovRowKey.FindAllStringSubmatch(ovTable(body, id), -1) {
		out = append(out, m[1])
	}
	return out
}

// ovRows counts the body rows of the table with the id.
func ovRows(body, id string) int {
	table := ovTable(body, id)
	if i := strings.Index(table, "<tbody>"); i >= 0 {
		return strings.Count(table[i:], "<tr>")
	}
	return 0
}

func ovTile(body, id string) string {
	m := regexp.MustCompile(`id="` + id + `">([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestOverviewFromCompliance(t *testing.T) {
	tests := []struct {
		name, token string
		cases       []string
	}{
		// Most recent first (confirmed, else opened): the candidate 1 h
		// ago, the joint case 9 h, the Russian one 48 h.
		{"public: confirmed cases", "", []string{"case-confirmed-joint", "case-confirmed-ru"}},
		{"analyst: every open case", "analyst-token", []string{"case-candidate-ru", "case-confirmed-joint", "case-confirmed-ru"}},
		{"party liaison: own candidate too", "ru-token", []string{"case-candidate-ru", "case-confirmed-joint", "case-confirmed-ru"}},
		{"other party's liaison: confirmed only", "ua-token", []string{"case-confirmed-joint", "case-confirmed-ru"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, resp := ovSources()
			h := newComplianceOverviewHandler(t, src, resp)
			var hdr []string
			if tt.token != "" {
				hdr = []string{"Cookie", sessionCookie + "=" + tt.token}
			}
			rec := get(t, h, "/?lang=en", hdr...)
			body := rec.Body.String()
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, body)
			}
			// v1 (2 h ago) and v4 (3 h) in 24 h; v2, v3 too in 7 days; v-old never.
			if d, w := ovTile(body, "total-24h"), ovTile(body, "total-7d"); d != "2" || w != "4" {
				t.Errorf("violations 24 h %s, 7 d %s; want 2, 4", d, w)
			}
			// One violation counts once, under its first category in
			// the report's order (v1: explosion before bursts).
			if got, want := ovKeys(body, "by-category"), []string{"explosion", "drone_strike", "heavy_weapon_sighted"}; !slices.Equal(got, want) {
				t.Errorf("categories %v, want %v", got, want)
			}
			if got, want := ovKeys(body, "by-area-table"), []string{"donetsk", "other"}; !slices.Equal(got, want) {
				t.Errorf("areas %v, want %v", got, want)
			}
			if got := ovKeys(body, "open-cases-table"); !slices.Equal(got, tt.cases) {
				t.Errorf("cases %v, want %v", got, tt.cases)
			}
			if got := ovTile(body, "open-cases"); got != strconv.Itoa(len(tt.cases)) {
				t.Errorf("open cases tile %q, want %d", got, len(tt.cases))
			}
			// Due: notify (2 h) and the joint case's notify (20 h);
			// overdue: statement and late (its deadline just passed).
			if got := ovRows(body, "steps-due-table"); got != 2 {
				t.Errorf("%d steps due, want 2", got)
			}
			if got := ovRows(body, "steps-overdue-table"); got != 2 {
				t.Errorf("%d steps overdue, want 2", got)
			}
			if strings.Contains(body, "case-closed") {
				t.Error("a closed case is listed")
			}
			// Runs are asked for per confirmed open case, never for a
			// candidate (no runs) or a closed one.
			if want := []string{"case-confirmed-ru", "case-confirmed-joint"}; !slices.Equal(resp.asked, want) {
				t.Errorf("runs asked for %v, want %v", resp.asked, want)
			}
			if !strings.Contains(body, "joint obligation") {
				t.Error(`the joint party is not named "joint obligation"`)
			}
		})
	}
}

// TestOverviewPipelineElsewhere: a server that does not lead the
// pipeline shows the events from the map's markers and says why; any
// other failure is the page's error.
func TestOverviewPipelineElsewhere(t *testing.T) {
	src, resp := ovSources()
	src.err = pactwatch.Errorf(pactwatch.EUNAVAILABLE, "the pipeline runs on another server")
	h := newComplianceOverviewHandler(t, src, resp)
	rec := get(t, h, "/?lang=uk")
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, body)
	}
	if !strings.Contains(body, `id="pipeline-unavailable"`) || strings.Contains(body, `id="open-cases-table"`) {
		t.Error("no note that the pipeline runs elsewhere, or cases shown anyway")
	}
	src.err = pactwatch.Errorf(pactwatch.EINTERNAL, "boom")
	if rec := get(t, h, "/?lang=en"); rec.Code != 500 {
		t.Errorf("pipeline failure: status %d, want 500", rec.Code)
	}
	src.err = nil
	resp.err = pactwatch.Errorf(pactwatch.EINTERNAL, "boom")
	if rec := get(t, h, "/?lang=en"); rec.Code != 500 {
		t.Errorf("response service failure: status %d, want 500", rec.Code)
	}
}

// TestOverviewWithoutResponses lists cases but no steps section.
func TestOverviewWithoutResponses(t *testing.T) {
	src, _ := ovSources()
	body := get(t, newComplianceOverviewHandler(t, src, nil), "/?lang=ru").Body.String()
	if !strings.Contains(body, `id="open-cases-table"`) || strings.Contains(body, `id="ov-steps"`) {
		t.Error("want cases and no steps without a response service")
	}
}

// TestOverviewListsAreShort: the overview lists the ten most recent open
// cases and the first ten steps of each kind, counts all of them, and
// links the case board for the rest.
func TestOverviewListsAreShort(t *testing.T) {
	src, resp := ovSources()
	src.cases = nil
	resp.runs = map[string][]*response.Run{}
	for i := range 25 {
		id := "case-" + strconv.Itoa(100+i)
		src.cases = append(src.cases, &compliance.Case{ID: id, Status: compliance.Confirmed, Severity: compliance.Serious, Confirmed: testNow.Add(-time.Duration(i) * time.Hour)})
		resp.runs[id] = []*response.Run{{ID: id + "/p", Case: id, Steps: []*response.Step{
			{Key: "a/uk", ID: "a", Actor: "uk", Action: vocab.ActionConsult, State: response.Overdue, Deadline: testNow.Add(-time.Duration(i) * time.Minute)},
		}}}
	}
	body := get(t, newComplianceOverviewHandler(t, src, resp), "/?lang=en").Body.String()
	if got := ovKeys(body, "open-cases-table"); len(got) != 10 || got[0] != "case-100" {
		t.Errorf("cases listed %v, want the 10 most recent", got)
	}
	if ovTile(body, "open-cases") != "25" || ovTile(body, "steps-overdue") != "25" {
		t.Errorf("tiles: %s open cases, %s overdue; want 25, 25", ovTile(body, "open-cases"), ovTile(body, "steps-overdue"))
	}
	if got := ovRows(body, "steps-overdue-table"); got != 10 {
		t.Errorf("%d overdue steps listed, want 10", got)
	}
	if n := strings.Count(body, "and 15 more."); n != 2 {
		t.Errorf(`"and 15 more." %d times, want 2 (cases, overdue steps)`, n)
	}
}

func TestDueSteps(t *testing.T) {
	_, resp := ovSources()
	due, overdue := dueSteps("case-confirmed-ru", resp.runs["case-confirmed-ru"], testNow)
	var d, o []string
	for _, s := range due {
		d = append(d, s.Step)
	}
	for _, s := range overdue {
		o = append(o, s.Step)
	}
	if !slices.Equal(d, []string{"notify"}) || !slices.Equal(o, []string{"statement", "late"}) {
		t.Errorf("due %v, overdue %v", d, o)
	}
}
