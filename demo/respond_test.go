package demo

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/store"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// TestRespond runs the demo's liaisons against a server on a fake clock:
// guarantor a (on time) acts at once, b (late) only once overdue, c
// (never) is missed at the cutoff; the scorecard shows the three.
func TestRespond(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clk := &fakeClock{now: t0}
	dir := t.TempDir()
	a, err := agreement.Load("../response/testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, svc, pl, hs, tok := startServer(t, a, dir, clk.Now, t0.Add(-24*time.Hour))
	// A confirmed case, as the pipeline stores it.
	c := compliance.Case{ID: "case-1", Version: 2, Group: compliance.Group{Commitment: "ceasefire", Party: "north", Area: "all", Period: "2026-12-01"},
		Severity: compliance.Serious, Status: compliance.Confirmed, OpenedBy: "ana", Opened: t0, Confirmed: t0, Violations: []string{}}
	tr := compliance.Transition{ID: "case-1/v2", Case: "case-1", Version: 2, Action: "confirm", By: "ana", At: t0, Status: compliance.Confirmed, Snapshot: c}
	body, _ := tr.Canonical()
	salt := make([]byte, 32)
	e, _ := tr.LedgerEntry(salt)
	if _, err := st.AppendRecords(ctx, []store.GenericRecord{{Type: ledger.TypeCase, ID: tr.ID, Time: t0, Body: body, Leaf: store.Leaf{Entry: e, Salt: salt}}}); err != nil {
		t.Fatal(err)
	}
	// The pipeline reads it back as a server restarting does.
	if err := pl.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	tick := func(at time.Duration) {
		clk.set(t0.Add(at))
		if _, err := svc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Client: client.New(hs.URL, tok), Agreement: a, Dir: filepath.Join(dir, "demo"), Now: clk.Now}
	respond := func(at time.Duration) RespondResult {
		clk.set(t0.Add(at))
		res, err := Respond(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	tick(0)
	if res := respond(time.Hour); res.Runs != 1 || res.OnTime != 2 || res.Late != 0 { // the mission and a
		t.Fatalf("first pass: %+v", res)
	}
	if res := respond(2 * time.Hour); res.OnTime+res.Late != 0 {
		t.Fatalf("second pass recorded again: %+v", res)
	}
	tick(25 * time.Hour)
	if res := respond(26 * time.Hour); res.Late != 1 { // b
		t.Fatalf("after the deadline: %+v", res)
	}
	tick(8 * 24 * time.Hour)
	sc, err := client.New(hs.URL, "").Scorecard(ctx, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]response.Tally{}
	for _, as := range sc.Actors {
		got[as.Actor] = as.Overall
	}
	if got["a"].OnTime != 1 || got["b"].Late != 1 || got["c"].Missed != 1 || got["mission"].OnTime != 1 {
		t.Fatalf("scorecard: %+v", got)
	}
}
