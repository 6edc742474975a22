package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// TestScorecardFromStore stores a protocol run's records in a SQLite data
// folder as the server will (generic records of type action, each with its
// ledger leaf), and reads the scorecard back through the CLI.
func TestScorecardFromStore(t *testing.T) {
	ctx := context.Background()
	const agreementFile = "../../response/testdata/agreement.yaml"
	a, err := agreement.Load(agreementFile)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	e := response.New(a, func() time.Time { return now })
	var ts []response.Transition
	keep := func(more []response.Transition, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, more...)
	}
	liaison := func(of string) response.Recorder {
		return response.Recorder{Principal: of + "-liaison", Role: vocab.RoleGuarantorLiaison, Of: of}
	}
	keep(e.Confirm(response.Case{ID: "case-1", Commitment: "ceasefire", Party: "north", Confirmed: t0}))
	now = t0.Add(time.Hour)
	keep(e.Record(response.Recorder{Principal: "ana", Role: vocab.RoleAnalyst}, "case-1/respond", "notify/mission", response.Action{Statement: "notified"}))
	now = t0.Add(20 * time.Hour)
	keep(e.Record(liaison("a"), "case-1/respond", "consult/a", response.Action{Statement: "consulted"}))
	now = t0.Add(30 * time.Hour)
	keep(e.Record(liaison("b"), "case-1/respond", "consult/b", response.Action{Statement: "consulted late"}))
	due := e.Due(t0.Add(8 * 24 * time.Hour))
	if err := e.Apply(due...); err != nil {
		t.Fatal(err)
	}
	ts = append(ts, due...)

	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, dataDBName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var recs []store.GenericRecord
	for _, tr := range ts {
		body, err := tr.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		salt := bytes.Repeat([]byte{7}, 32)
		entry, err := tr.LedgerEntry(salt)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, store.GenericRecord{Type: ledger.TypeAction, ID: tr.ID, Time: tr.At, Body: body, Leaf: store.Leaf{Entry: entry, Salt: salt}})
	}
	if _, err := st.AppendRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out, errb bytes.Buffer
	args := []string{"scorecard", "--data", dir, "--agreement", agreementFile, "--as-of", "2026-12-09T00:00:00Z", "--every", "7d"}
	if err := run(ctx, append(args, "--json"), &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var sc response.Scorecard
	if err := json.Unmarshal(out.Bytes(), &sc); err != nil {
		t.Fatal(err)
	}
	want := map[string][4]int{"mission": {1, 1, 0, 0}, "a": {1, 1, 0, 0}, "b": {1, 0, 1, 0}, "c": {1, 0, 0, 1}} // due, on time, late, missed
	for _, as := range sc.Actors {
		o := as.Overall
		if got := [4]int{o.Due, o.OnTime, o.Late, o.Missed}; got != want[as.Actor] {
			t.Errorf("%s: %v, want %v", as.Actor, got, want[as.Actor])
		}
	}
	if len(sc.Actors) != 4 || len(sc.Windows) != 2 {
		t.Errorf("%d actors, %d windows", len(sc.Actors), len(sc.Windows))
	}
	out.Reset()
	if err := run(ctx, args, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	t.Log("\n" + out.String())
	for _, s := range []string{"Guarantor C", "20.0", "Confirmed cases per commitment", "ceasefire"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("text output lacks %q:\n%s", s, out.String())
		}
	}
	for _, bad := range [][]string{{"scorecard"}, {"scorecard", "--data", t.TempDir()}, {"scorecard", "--data", dir, "--every", "soon"}} {
		errb.Reset()
		if err := run(ctx, bad, &out, &errb); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
