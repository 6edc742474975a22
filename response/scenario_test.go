package response

import (
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestScenario is the scripted scenario: a case is confirmed;
// guarantor a consults within 24 h (on time), b acts at 30 h (overdue and
// escalated at 24 h, then late), c never acts (overdue, escalated once,
// missed at the cutoff); a second and a third confirmed case within the
// period start the heavier protocol; the server restarts in the middle.
func TestScenario(t *testing.T) {
	a := load(t)
	clk := (&clock{}).at(0)
	j := &journal{t: t, e: New(a, clk.Now)}
	h := time.Hour
	run1 := "case-1/respond"

	ts := j.keep(j.e.Confirm(Case{ID: "case-1", Commitment: "ceasefire", Party: "north", Confirmed: t0}))
	if got := kinds(ts); !reflect.DeepEqual(got, []string{"case_confirmed case-1/confirmed", "run_started case-1/respond/started"}) {
		t.Fatalf("confirm: %v", got)
	}
	if got := len(ts[1].Started.Steps); got != 4 { // mission + a, b, c
		t.Fatalf("%d steps, want 4", got)
	}

	clk.at(1 * h)
	j.keep(j.e.Record(analyst, run1, "notify/mission", act("notified all")))
	clk.at(20 * h)
	j.keep(j.e.Record(liaison("a"), run1, "consult/a", Action{Statement: "consulted", Reference: "note 12/2026"}))

	// The deadline passes: b and c become overdue at 24 h, escalated to all.
	due := j.tick(t0.Add(24*h + time.Minute))
	if got := kinds(due); !reflect.DeepEqual(got, []string{
		"step_overdue case-1/respond/consult/b/overdue", "step_overdue case-1/respond/consult/c/overdue"}) {
		t.Fatalf("due at 24h: %v", got)
	}
	for _, d := range due {
		// The actor is told its step is overdue; the mission, the two other
		// states, the pair and both parties are told of the escalation.
		if !d.At.Equal(t0.Add(24*h)) || len(d.Notify) != 7 || d.Notify[0] != (Intent{To: d.Actor, Event: EventOverdue}) {
			t.Errorf("%s: at %v, %d intents %v", d.ID, d.At, len(d.Notify), d.Notify)
		}
	}
	// Escalation fires once: later ticks, and a restart, find nothing new.
	if again := j.tick(t0.Add(25 * h)); len(again) != 0 {
		t.Fatalf("second tick: %v", kinds(again))
	}
	j.restart(a, clk.Now)
	if again := j.tick(t0.Add(26 * h)); len(again) != 0 {
		t.Fatalf("tick after restart: %v", kinds(again))
	}

	clk.at(30 * h)
	ts = j.keep(j.e.Record(liaison("b"), run1, "consult/b", act("consulted late")))
	if got := kinds(ts); !reflect.DeepEqual(got, []string{"step_done_late case-1/respond/consult/b/done"}) {
		t.Fatalf("b at 30h: %v", got)
	}

	// Cases 2 and 3 within 30 days: the third starts the heavier protocol.
	clk.at(48 * h)
	ts = j.keep(j.e.Confirm(Case{ID: "case-2", Commitment: "ceasefire", Party: "north", Confirmed: t0.Add(48 * h)}))
	if len(ts) != 2 {
		t.Fatalf("case 2: %v", kinds(ts))
	}
	j.restart(a, clk.Now) // a restart between cases keeps the count
	clk.at(72 * h)
	ts = j.keep(j.e.Confirm(Case{ID: "case-3", Commitment: "ceasefire", Party: "north", Confirmed: t0.Add(72 * h)}))
	if got := kinds(ts); !reflect.DeepEqual(got, []string{"case_confirmed case-3/confirmed", "run_started case-3/respond/started",
		"run_started case-3/systematic/started"}) {
		t.Fatalf("case 3: %v", got)
	}
	if sys := ts[2].Started; sys.Trigger != TriggerRepeated || !slices.Equal(sys.Cases, []string{"case-1", "case-2", "case-3"}) || len(sys.Steps) != 5 {
		t.Fatalf("systematic run: %+v", sys)
	}
	// A fourth case does not start it again: the three are consumed.
	ts = j.keep(j.e.Confirm(Case{ID: "case-4", Commitment: "ceasefire", Party: "south", Confirmed: t0.Add(73 * h)}))
	if len(ts) != 2 {
		t.Fatalf("case 4: %v", kinds(ts))
	}

	// Past case 1's cutoff (7 days): c's step is missed, once.
	due = j.tick(t0.Add(7*24*h + time.Minute))
	var missed []string
	for _, d := range due {
		if d.Run == run1 {
			missed = append(missed, d.Kind+" "+d.Step)
		}
	}
	if !reflect.DeepEqual(missed, []string{"step_missed consult/c"}) {
		t.Fatalf("case 1 at the cutoff: %v", missed)
	}
	j.restart(a, clk.Now)
	if again := j.tick(t0.Add(7*24*h + 2*time.Minute)); len(again) != 0 {
		t.Fatalf("after the cutoff: %v", kinds(again))
	}

	want := map[string]State{"notify/mission": Done, "consult/a": Done, "consult/b": DoneLate, "consult/c": Missed}
	for k, st := range want {
		if s := stepOf(t, j.e, run1, k); s.State != st {
			t.Errorf("%s is %s, want %s", k, s.State, st)
		}
	}

	// The scorecard: the first window holds case 1's deadlines only.
	asOf := t0.Add(8 * 24 * h)
	sc := Score(a, j.e.Runs(), j.e.Cases(), asOf, Windows(t0, t0.Add(48*h), "2d"))
	first := map[string]Tally{}
	for _, as := range sc.Actors {
		first[as.Actor] = as.Windows[0]
	}
	wantTally := map[string]Tally{
		"mission": {Due: 1, OnTime: 1, MedianToAct: h, MedianHours: 1},
		"a":       {Due: 1, OnTime: 1, MedianToAct: 20 * h, MedianHours: 20},
		"b":       {Due: 1, Late: 1, MedianToAct: 30 * h, MedianHours: 30},
		"c":       {Due: 1, Missed: 1},
	}
	if !reflect.DeepEqual(first, wantTally) {
		t.Errorf("scorecard, case 1:\n got %+v\nwant %+v", first, wantTally)
	}
	if got := sc.Commitments; len(got) != 1 || got[0].ID != "ceasefire" || got[0].Total != 4 {
		t.Errorf("cases per commitment: %+v", got)
	}
	if got := sc.Parties; len(got) != 2 || got[0].Total != 3 || got[1].Total != 1 {
		t.Errorf("cases per party: %+v", got)
	}

	// Every transition is a ledger record with a unique id, and tells each
	// recipient once (the idempotency key is the id and the recipient).
	ids := map[string]bool{}
	for _, tr := range j.ts {
		to := map[string]bool{}
		for _, in := range tr.Notify {
			if to[in.To] {
				t.Errorf("%s notifies %s twice", tr.ID, in.To)
			}
			to[in.To] = true
		}
		if ids[tr.ID] {
			t.Errorf("id %s twice", tr.ID)
		}
		ids[tr.ID] = true
		if _, err := tr.LedgerEntry(make([]byte, 32)); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "testdata/scenario.golden.json", struct {
		Transitions []string  `json:"transitions"`
		Scorecard   Scorecard `json:"scorecard"`
	}{kinds(j.ts), sc})
}

// golden compares v's indented JSON with the file (-update rewrites it).
// The file is reviewed by hand: it is the scenario's full record.
func golden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs; run go test -update and review the diff", path)
	}
}
