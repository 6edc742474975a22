package compliance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/vocab"
)

var caseDay = time.Date(2027, 2, 3, 9, 0, 0, 0, time.UTC)

// violations returns n violations of the ceasefire in one group.
func violations(n int, sev compliance.Severity, party string) []compliance.Violation {
	var vs []compliance.Violation
	for i := range n {
		vs = append(vs, compliance.Violation{ID: fmt.Sprintf("ceasefire/inc-%d", i), Commitment: "ceasefire",
			Rule: agreement.RuleFireInZone, Attribution: compliance.Attribution{Party: party}, Severity: sev,
			At: caseDay.Add(time.Duration(i) * time.Minute), Count: 1,
			Where: &incident.Disc{Point: orb.Point{37.6, 48.4}, RadiusKm: 0.5}})
	}
	return vs
}

func TestCaseGrouping(t *testing.T) {
	a, _ := example(t)
	tests := []struct {
		name   string
		policy func(*compliance.Policy)
		vs     []compliance.Violation
		cases  int
	}{
		{"300 minor violations open no case", nil, violations(300, compliance.Minor, ""), 0},
		{"300 minor violations escalate once", func(p *compliance.Policy) { p.EscalateMinorAt = 100 }, violations(300, compliance.Minor, ""), 1},
		{"serious violations of one group: one case", nil, violations(5, compliance.Serious, "russia"), 1},
		{"two parties: two cases", nil, append(violations(2, compliance.Serious, "russia"), violations(2, compliance.Serious, "ukraine")[1:]...), 2},
		{"threshold grave: serious ones are tallied", func(p *compliance.Policy) { p.CaseThreshold = compliance.Grave }, violations(5, compliance.Serious, "russia"), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := compliance.DefaultPolicy()
			if tc.policy != nil {
				tc.policy(&p)
			}
			// Distinct ids across the concatenated groups.
			for i := range tc.vs {
				tc.vs[i].ID = fmt.Sprintf("%s/%d", tc.vs[i].ID, i)
			}
			b := compliance.NewBook(a, p, func() time.Time { return caseDay })
			b.Ingest(tc.vs)
			if n := len(b.Cases()); n != tc.cases {
				t.Fatalf("%d cases, want %d", n, tc.cases)
			}
			counted := 0
			for _, c := range b.Cases() {
				counted += len(c.Violations)
			}
			for _, tl := range p.Tallies(a, tc.vs) {
				counted += tl.Count
			}
			if p.EscalateMinorAt == 0 && counted != len(tc.vs) {
				t.Fatalf("%d of %d violations accounted for", counted, len(tc.vs))
			}
		})
	}
}

// TestCaseStateMachine walks a case through the two-person rule, a
// dispute and closure, and checks each bad request's error changes
// nothing.
func TestCaseStateMachine(t *testing.T) {
	a, _ := example(t)
	p := compliance.DefaultPolicy()
	p.TwoPersonRule, p.DisputePausesDeadlines = true, true
	clk := &clock{caseDay}
	b := compliance.NewBook(a, p, clk.now)
	b.Ingest(violations(3, compliance.Serious, "russia"))
	c := b.Cases()[0]

	same := func(name string, code string, sentinel error, err error) {
		t.Helper()
		if pactwatch.ErrorCode(err) != code || (sentinel != nil && !errors.Is(err, sentinel)) {
			t.Fatalf("%s: %v, want %s %v", name, err, code, sentinel)
		}
	}
	snapshot := func() []byte { j, _ := json.Marshal(b.Cases()); return j }

	before := snapshot()
	_, err := b.Dispute(c.ID, "russia", "liaison-russia", "no", nil)
	same("dispute a candidate", pactwatch.EINVALID, compliance.ErrCaseTransition, err)
	_, err = b.Close(c.ID, "analyst-1", compliance.Remedied, "fixed")
	same("remedy a candidate", pactwatch.EINVALID, compliance.ErrCaseTransition, err)
	_, err = b.Confirm("case-nope", "analyst-1")
	same("unknown case", pactwatch.ENOTFOUND, nil, err)
	if !bytes.Equal(before, snapshot()) {
		t.Fatal("failed requests changed the case")
	}

	tr, err := b.Confirm(c.ID, "analyst-1")
	if err != nil || tr.Action != compliance.ActApproved || c.Status != compliance.Candidate {
		t.Fatalf("first approval: %v %s %s", err, tr.Action, c.Status)
	}
	before = snapshot()
	_, err = b.Confirm(c.ID, "analyst-1")
	same("same analyst twice", pactwatch.ECONFLICT, compliance.ErrSamePerson, err)
	if !bytes.Equal(before, snapshot()) {
		t.Fatal("a refused confirmation changed the case")
	}
	clk.advance(time.Hour)
	if tr, err = b.Confirm(c.ID, "analyst-2"); err != nil || c.Status != compliance.Confirmed || !c.Confirmed.Equal(clk.t) {
		t.Fatalf("second approval: %v %s", err, c.Status)
	}
	_, err = b.Dispute(c.ID, "ukraine", "liaison-ukraine", "not ours either", nil)
	same("the other party disputes", pactwatch.EFORBIDDEN, compliance.ErrNotParty, err)
	if _, err = b.Dispute(c.ID, "russia", "liaison-russia", "our guns were withdrawn", []string{"cafe"}); err != nil || !c.Paused {
		t.Fatalf("dispute: %v, paused %v", err, c.Paused)
	}
	_, err = b.Dispute(c.ID, "russia", "liaison-russia", "again", nil)
	same("second open dispute", pactwatch.EINVALID, compliance.ErrCaseTransition, err)
	_, err = b.Close(c.ID, "analyst-1", compliance.Remedied, "fixed")
	same("close with an open dispute", pactwatch.EINVALID, compliance.ErrCaseTransition, err)
	if _, err = b.ResolveDispute(c.ID, "analyst-3", compliance.Overturned, "the camera footage shows the guns leaving on the 2nd"); err != nil {
		t.Fatal(err)
	}
	d := c.Disputes[0]
	if c.Status != compliance.Closed || c.Closure != compliance.Withdrawn || d.Position == "" || d.Answer == "" || c.Paused {
		t.Fatalf("after an overturning resolution: %+v / %+v", c, d)
	}
	_, err = b.Confirm(c.ID, "analyst-1")
	same("confirm a closed case", pactwatch.ECONFLICT, compliance.ErrCaseClosed, err)
	// A new serious violation in the same group after closure opens a new case.
	more := violations(4, compliance.Serious, "russia")[3:]
	b.Ingest(more)
	if len(b.Cases()) != 2 {
		t.Fatalf("%d cases after a violation in a closed case's group", len(b.Cases()))
	}
}

func TestManualCase(t *testing.T) {
	a, _ := example(t)
	b := compliance.NewBook(a, compliance.DefaultPolicy(), func() time.Time { return caseDay })
	if _, _, err := b.Open("analyst-1", "non-interference", "ukraine", "…", nil); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("a case against a non-obligor: %v", err)
	}
	if _, _, err := b.Open("analyst-1", "nope", "russia", "…", nil); pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		t.Fatalf("unknown commitment: %v", err)
	}
	c, tr, err := b.Open("analyst-1", "non-interference", "russia", "coordinated influence operation", []string{"non-interference/finding/f1"})
	if err != nil || !c.Manual || c.Status != compliance.Candidate || tr.By != "analyst-1" {
		t.Fatalf("manual case: %v %+v", err, c)
	}
	if _, err := b.Confirm(c.ID, "analyst-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Close(c.ID, "analyst-2", compliance.Remedied, "the operation stopped"); err != nil || c.Closure != compliance.Remedied {
		t.Fatalf("remedied: %v", err)
	}
}

// TestRecords: levels, milestones, inspections and manual findings.
func TestRecords(t *testing.T) {
	_, ev := example(t)
	now := time.Date(2027, 7, 15, 0, 0, 0, 0, time.UTC)
	in := compliance.Inputs{
		Levels: []compliance.LevelReport{
			{Commitment: "armed-forces", Period: "2027-01-01", Value: 500000, ReportedBy: "us"},
			{Commitment: "armed-forces", Period: "2027-01-01", Value: 320000, ReportedBy: "uk"}, // jointly 820k: met
			{Commitment: "armed-forces", Period: "2027-04-01", Value: 700000, ReportedBy: "mission"},
		},
		Completions: []compliance.Completion{},
		Findings: []compliance.Finding{{ID: "f1", Commitment: "non-interference", Party: "russia", At: now.Add(-48 * time.Hour),
			Analyst: "analyst-1", Summary: "Funding of a party ahead of elections", Evidence: []string{"beef"}}},
		Inspections: []compliance.Inspection{{ID: "i1", Zone: "ha-ru-luhansk", At: now.Add(-24 * time.Hour), Inspector: "monitor-patrol-1",
			Counted: map[vocab.WeaponClass]int{vocab.Artillery: 60, vocab.MLRS: 20, vocab.Tank: 40, vocab.HeavyMLRS: 8}}},
	}
	res, err := ev.Evaluate(context.Background(), in, now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]compliance.Violation{}
	for _, v := range res.Violations {
		got[v.ID] = v
	}
	want := []string{
		"armed-forces/2027-04-01",          // 700k < 800k in Q2 (ended 1 July)
		"european-contingent/due",          // due 1 June 2027, no evidence
		"non-interference/finding/f1",      // the analyst's finding
		"holding-areas/inspection/i1/mlrs", // 4 MLRS missing in Luhansk
	}
	if len(got) != len(want) {
		t.Fatalf("violations:%s", describe(res.Violations))
	}
	for _, id := range want {
		if _, ok := got[id]; !ok {
			t.Fatalf("missing %s in:%s", id, describe(res.Violations))
		}
	}
	if v := got["armed-forces/2027-04-01"]; len(v.Obligors) != 6 || v.Attribution.Party != "" {
		t.Errorf("level violation not held against the guarantors jointly: %+v", v)
	}
	if v := got["holding-areas/inspection/i1/mlrs"]; v.Count != 4 || v.Attribution.Party != "russia" {
		t.Errorf("inspection violation %+v", v)
	}
	// An evidenced completion on time clears the milestone.
	in.Completions = []compliance.Completion{{Commitment: "european-contingent", At: time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC), Evidence: []string{"f00d"}, RecordedBy: "analyst-1"}}
	res, err = ev.Evaluate(context.Background(), in, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Violations {
		if v.Commitment == "european-contingent" {
			t.Fatalf("milestone met on time still violated: %+v", v)
		}
	}
	// Bad inputs name their field and evaluate nothing.
	bad := []struct {
		in    compliance.Inputs
		field string
	}{
		{compliance.Inputs{Levels: []compliance.LevelReport{{Commitment: "ceasefire", Period: "2027-01-01"}}}, "levels[0].commitment"},
		{compliance.Inputs{Levels: []compliance.LevelReport{{Commitment: "armed-forces", Period: "Q1"}}}, "levels[0].period"},
		{compliance.Inputs{Completions: []compliance.Completion{{Commitment: "eu-membership"}}}, "completions[0].evidence"},
		{compliance.Inputs{Findings: []compliance.Finding{{ID: "f", Commitment: "non-interference", Party: "ukraine", At: now, Analyst: "a", Summary: "s", Evidence: []string{"x"}}}}, "findings[0].party"},
		{compliance.Inputs{Findings: []compliance.Finding{{ID: "f", Commitment: "non-interference", Party: "russia", At: now, Analyst: "a", Summary: "s"}}}, "findings[0].evidence"},
		{compliance.Inputs{Inspections: []compliance.Inspection{{ID: "i", Zone: "znpp", At: now}}}, "inspections[0].zone"},
	}
	for _, tc := range bad {
		_, err := ev.Evaluate(context.Background(), tc.in, now)
		var pe *pactwatch.Error
		if !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("%+v: %v, want an error naming %s", tc.in, err, tc.field)
		}
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestTransitionGolden pins a case transition's canonical bytes and its
// ledger entry.
func TestTransitionGolden(t *testing.T) {
	a, _ := example(t)
	b := compliance.NewBook(a, compliance.DefaultPolicy(), func() time.Time { return caseDay })
	trs := b.Ingest(violations(2, compliance.Serious, "russia"))
	tr, err := b.Confirm(trs[0].Case, "analyst-1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := tr.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	e, err := tr.LedgerEntry(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	got := append(append(c, '\n'), e.Marshal()...)
	golden := filepath.Join("testdata", "transition.golden")
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("transition record changed:\n%s\nwant\n%s", got, want)
	}
}

func TestSeverityText(t *testing.T) {
	for _, s := range []compliance.Severity{compliance.Minor, compliance.Serious, compliance.Grave} {
		b, err := s.MarshalText()
		var back compliance.Severity
		if err != nil || back.UnmarshalText(b) != nil || back != s {
			t.Fatalf("%v: %s %v", s, b, err)
		}
	}
	var s compliance.Severity
	if err := s.UnmarshalText([]byte("catastrophic")); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("unknown severity: %v", err)
	}
	if _, err := compliance.Severity(7).MarshalText(); err == nil {
		t.Fatal("severity 7 marshalled")
	}
}

func TestPublicCase(t *testing.T) {
	a, _ := example(t)
	b := compliance.NewBook(a, compliance.DefaultPolicy(), func() time.Time { return caseDay })
	b.Ingest(violations(2, compliance.Serious, "russia"))
	c := b.Cases()
	if c[0].Visible() {
		t.Fatal("a candidate case is public")
	}
	b.Confirm(c[0].ID, "analyst-7")
	b.Dispute(c[0].ID, "russia", "liaison-russia", "secret position", []string{"feed"})
	j, _ := json.Marshal(compliance.PublicOf(c[0]))
	if !c[0].Visible() || bytes.Contains(j, []byte("analyst-7")) || bytes.Contains(j, []byte("secret position")) || !bytes.Contains(j, []byte(`"disputes":["open"]`)) {
		t.Fatalf("public case: %s", j)
	}
}

// TestGuarantorHeldToAccount: a guarantor is an obligor like a party: an
// analyst's finding against it is a violation attributed to it, and a
// case against it can be opened and confirmed.
func TestGuarantorHeldToAccount(t *testing.T) {
	a, ev := example(t)
	now := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	res, err := ev.Evaluate(context.Background(), compliance.Inputs{Findings: []compliance.Finding{{
		ID: "g1", Commitment: "guarantor-response", Party: "us", At: now.Add(-72 * time.Hour), Analyst: "analyst-1",
		Summary: "No consultation within 24 hours of a confirmed violation", Evidence: []string{"ab"}}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	var v *compliance.Violation
	for i := range res.Violations {
		if res.Violations[i].ID == "guarantor-response/finding/g1" {
			v = &res.Violations[i]
		}
	}
	if v == nil || v.Attribution.Party != "us" || v.Attribution.Basis != compliance.BasisAnalyst {
		t.Fatalf("finding against a guarantor:%s", describe(res.Violations))
	}
	b := compliance.NewBook(a, compliance.DefaultPolicy(), func() time.Time { return now })
	b.Ingest(res.Violations)
	var c *compliance.Case
	for _, x := range b.Cases() {
		if x.Group.Party == "us" {
			c = x
		}
	}
	if c == nil {
		t.Fatal("no case against the guarantor")
	}
	if _, err := b.Confirm(c.ID, "analyst-2"); err != nil || c.Status != compliance.Confirmed {
		t.Fatalf("confirming: %v", err)
	}
}

func TestGuarantorDisputes(t *testing.T) {
	a, _ := example(t)
	b := compliance.NewBook(a, compliance.DefaultPolicy(), func() time.Time { return caseDay })
	c, _, err := b.Open("analyst-1", "guarantor-response", "us", "consultation missed", nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Confirm(c.ID, "analyst-1")
	if _, err := b.Dispute(c.ID, "us", "liaison-us", "we consulted by phone within 20 hours", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Dispute(c.ID, "nobody", "x", "y", nil); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("unknown disputant: %v", err)
	}
}
