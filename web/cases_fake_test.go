package web

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/vocab"
)

// casesFake is the pages' Incidents and Responses for the case board's
// tests: fixed compliance cases, and protocol runs in a real
// response.Engine, so that the forms meet exactly the engine's rules
// (whose step, closed cases, steps already done, late or on time).
type casesFake struct {
	a     *agreement.Agreement
	cases []*compliance.Case
	viols map[string][]compliance.Violation
	eng   *response.Engine
	now   time.Time
}

// The board's test cases, against the example agreement:
//
//	case-a  ceasefire, Russia, confirmed 30 h before testNow: notify and
//	        consult overdue, statement due in 18 h
//	case-b  withdrawal-russia, Russia, confirmed 2 h ago
//	case-c  ceasefire, Russia, a candidate (the public never sees it)
//	case-d  ceasefire, Ukraine, confirmed 10 days ago, closed remedied
//	        after the UK consulted on time and the US late
func newCasesFake(t testing.TB) *casesFake {
	t.Helper()
	a := loadExample(t)
	f := &casesFake{a: a, viols: map[string][]compliance.Violation{}, now: testNow}
	f.eng = response.New(a, func() time.Time { return f.now })
	add := func(id, commitment, party string, opened, confirmed time.Time) {
		f.add(t, id, commitment, party, opened, confirmed)
	}
	d0 := testNow.Add(-10 * 24 * time.Hour)
	add("case-d", "ceasefire", "ukraine", d0.Add(-time.Hour), d0)
	f.record(t, "uk-liaison", vocab.RoleGuarantorLiaison, "uk", d0.Add(12*time.Hour), "case-d/guarantor-response", "consult/uk", "Consulted in Brussels.")
	f.record(t, "us-liaison", vocab.RoleGuarantorLiaison, "us", d0.Add(30*time.Hour), "case-d/guarantor-response", "consult/us", "")
	f.now = d0.Add(2 * 24 * time.Hour)
	if _, err := f.eng.Close("case-d", response.Remedied, "the weapons were withdrawn"); err != nil {
		t.Fatal(err)
	}
	f.cases[0].Status, f.cases[0].Closure, f.cases[0].Reason = compliance.Closed, compliance.Remedied, "the weapons were withdrawn"
	add("case-a", "ceasefire", "russia", testNow.Add(-31*time.Hour), testNow.Add(-30*time.Hour))
	add("case-b", "withdrawal-russia", "russia", testNow.Add(-3*time.Hour), testNow.Add(-2*time.Hour))
	add("case-c", "ceasefire", "russia", testNow.Add(-time.Hour), time.Time{})
	f.now = testNow
	return f
}

// add adds a case, opened at opened and, unless confirmed is zero,
// confirmed then (its protocol starts in the engine).
func (f *casesFake) add(t testing.TB, id, commitment, party string, opened, confirmed time.Time) {
	t.Helper()
	c := &compliance.Case{ID: id, Version: 1, Group: compliance.Group{Commitment: commitment, Party: party, Area: "all",
		Period: opened.Format(time.DateOnly)}, Protocol: f.a.Commitment(commitment).Protocol, Severity: compliance.Serious,
		Status: compliance.Candidate, OpenedBy: "system", Opened: opened, Violations: []string{"v-" + id}}
	f.viols[id] = []compliance.Violation{{ID: "v-" + id, Commitment: commitment, Rule: "fire_in_zone", At: opened,
		Incident: "inc-" + id, Detail: "3 explosions near Robotyne", Attribution: compliance.Attribution{Party: party}}}
	if !confirmed.IsZero() {
		c.Status, c.Confirmed, c.Approvals, c.Version = compliance.Confirmed, confirmed, []string{"analyst-1"}, 2
		f.now = confirmed
		if _, err := f.eng.Confirm(response.Case{ID: id, Commitment: commitment, Party: party, Confirmed: confirmed}); err != nil {
			t.Fatal(err)
		}
	}
	f.cases = append(f.cases, c)
}

// record records an action at a given time, as the engine would.
func (f *casesFake) record(t testing.TB, who string, role vocab.Role, of string, at time.Time, run, step, statement string) {
	t.Helper()
	f.now = at
	if statement == "" {
		statement = "Done."
	}
	if _, err := f.eng.Record(response.Recorder{Principal: who, Role: role, Of: of}, run, step,
		response.Action{Statement: statement, Reference: "note " + step}); err != nil {
		t.Fatal(err)
	}
}

func (f *casesFake) Agreement() *agreement.Agreement { return f.a }

func (f *casesFake) Incidents(pipeline.Filter) ([]*incident.Incident, error) { return nil, nil }

func (f *casesFake) Incident(id string) (*incident.Incident, []*incident.Decision, error) {
	return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "incident", "no incident %q", id)
}

func (f *casesFake) Claim(id, analyst string) (*incident.Claim, error) {
	return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "incident", "no incident %q", id)
}

func (f *casesFake) Decide(ctx context.Context, id, analyst string, outcome incident.Outcome, reason incident.RejectReason, note string, observations []string) (*incident.Decision, *incident.Incident, error) {
	return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "incident", "no incident %q", id)
}

// Cases returns copies, as the pipeline does.
func (f *casesFake) Cases(status compliance.CaseStatus) ([]*compliance.Case, error) {
	var out []*compliance.Case
	for _, c := range f.cases {
		if status == "" || c.Status == status {
			cp := *c
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (f *casesFake) Case(id string) (*compliance.Case, []compliance.Violation, error) {
	for _, c := range f.cases {
		if c.ID == id {
			cp := *c
			return &cp, slices.Clone(f.viols[id]), nil
		}
	}
	return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "case", "no case %q", id)
}

func (f *casesFake) Violations() (*compliance.Result, error) { return &compliance.Result{}, nil }

func (f *casesFake) Runs(_ context.Context, caseID string) ([]*response.Run, error) {
	var out []*response.Run
	for _, r := range f.eng.Runs() {
		if caseID == "" || r.Case == caseID {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *casesFake) Record(_ context.Context, by response.Recorder, run, step string, act response.Action) ([]response.Transition, error) {
	return f.eng.Record(by, run, step, act)
}

// Scorecard computes as response/service does: windows of every from the
// first confirmation's day in the agreement's zone.
func (f *casesFake) Scorecard(_ context.Context, asOf time.Time, every agreement.Duration) (response.Scorecard, error) {
	cases := f.eng.Cases()
	windows, err := response.CaseWindows(f.a, cases, asOf, every)
	if err != nil {
		return response.Scorecard{}, err
	}
	return response.Score(f.a, f.eng.Runs(), cases, asOf, windows), nil
}

var (
	_ Incidents = (*casesFake)(nil)
	_ Responses = (*casesFake)(nil)
)

// casesSessions are the board's principals.
var casesSessions = fakeSessions{
	"analyst-token":   {ID: "analyst-1", Name: "A. Analyst", Role: vocab.RoleAnalyst},
	"uk-token":        {ID: "uk-liaison", Name: "UK liaison", Role: vocab.RoleGuarantorLiaison, Of: "uk"},
	"us-token":        {ID: "us-liaison", Name: "US liaison", Role: vocab.RoleGuarantorLiaison, Of: "us"},
	"ru-party-token":  {ID: "ru-liaison", Name: "RU party liaison", Role: vocab.RolePartyLiaison, Of: "russia"},
	"ua-party-token":  {ID: "ua-liaison", Name: "UA party liaison", Role: vocab.RolePartyLiaison, Of: "ukraine"},
	"auditor-token":   {ID: "auditor-1", Name: "Auditor", Role: vocab.RoleAuditor},
	"monitor-token":   {ID: "monitor-1", Name: "Monitor", Role: vocab.RoleMonitor},
	"coalition-token": {ID: "coalition-liaison", Name: "Coalition liaison", Role: vocab.RoleGuarantorLiaison, Of: "coalition"},
}

// newCasesHandler serves the board over a fresh casesFake, in Kyiv time.
func newCasesHandler(t testing.TB) (*Handler, *casesFake) {
	t.Helper()
	f := newCasesFake(t)
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Map: newFakeMap(0), Location: kyiv, Now: func() time.Time { return f.now },
		Sessions: casesSessions, Incidents: f, Responses: f})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h, f
}
