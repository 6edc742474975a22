package service_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

// countingStore is one server's store handle: it notes every record its
// own appends stored (not the ones the store found stored already), and
// how often it was granted the leadership.
type countingStore struct {
	store.Store
	mu     sync.Mutex
	stored map[string]int
	leads  int
}

func (s *countingStore) TryLead(ctx context.Context, name string) (context.Context, func(), bool, error) {
	lead, release, ok, err := s.Store.TryLead(ctx, name)
	if ok {
		s.mu.Lock()
		s.leads++
		s.mu.Unlock()
	}
	return lead, release, ok, err
}

func (s *countingStore) leadership() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leads
}

func newCountingStore(t *testing.T, dsn string, now func() time.Time) *countingStore {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &countingStore{Store: st, stored: map[string]int{}}
}

func (s *countingStore) AppendRecordsWithMessages(ctx context.Context, recs []store.GenericRecord, msgs [][]notify.Message, excl ...store.Exclusion) ([]store.AppendResult, error) {
	res, err := s.Store.AppendRecordsWithMessages(ctx, recs, msgs, excl...)
	if err == nil {
		s.mu.Lock()
		for i, r := range res {
			if !r.Existed {
				s.stored[recs[i].ID]++
			}
		}
		s.mu.Unlock()
	}
	return res, err
}

func (s *countingStore) count() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for id, n := range s.stored {
		out[id] = n
	}
	return out
}

// storedActions returns the stored action records, id → body, failing on
// an id stored twice.
func storedActions(t *testing.T, st store.Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for from := int64(0); ; {
		recs, err := st.Records(t.Context(), ledger.TypeAction, from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if out[r.ID] != nil {
				t.Errorf("%s stored twice", r.ID)
			}
			out[r.ID] = r.Body
			from = r.Index + 1
		}
		if len(recs) < 1000 {
			return out
		}
	}
}

// contentionCase is one case of the contention schedule.
type contentionCase struct {
	id, commitment string
	at             time.Duration
}

// contentionSchedule: nine ceasefire cases 20 h apart (each three within
// 30 days start the systematic protocol: three heavier runs) and three
// access cases whose overdue steps start the respond protocol (on_overdue).
// Nobody acts, so every step goes overdue (escalated to everyone) and then
// missed at its run's cutoff.
func contentionSchedule() []contentionCase {
	var out []contentionCase
	for i := range 9 {
		out = append(out, contentionCase{fmt.Sprintf("cf-%d", i), "ceasefire", time.Duration(i) * 20 * time.Hour})
	}
	for i := range 3 {
		out = append(out, contentionCase{fmt.Sprintf("ac-%d", i), "access", time.Duration(i)*50*time.Hour + 7*time.Hour})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// TestTwoServersOneDatabase: two response services, each on its own store
// handle (two servers), run one database through many deadlines: twelve
// cases, their escalations and heavier runs, 130 clock steps. Every
// transition exists exactly once in the ledger, byte for byte what one
// engine alone computes, was stored by exactly one server, and was
// announced by exactly one outbox message per subscription.
//
// "loop": both run Loop (TryLead): one leads and stores everything.
// "unlocked": both call Tick at once on every step, as two servers would
// while a lost lock is not yet noticed: record-id uniqueness and the
// exclusions alone must keep every deadline single.
func TestTwoServersOneDatabase(t *testing.T) {
	for _, mode := range []string{"loop", "unlocked"} {
		t.Run("sqlite/"+mode, func(t *testing.T) { twoServers(t, filepath.Join(t.TempDir(), "pactwatch.db"), mode) })
		t.Run("postgres/"+mode, func(t *testing.T) { twoServers(t, storetest.PostgresSchema(t), mode) })
	}
}

func twoServers(t *testing.T, dsn, mode string) {
	clk := &clock{now: t0}
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stores := []*countingStore{newCountingStore(t, dsn, clk.Now), newCountingStore(t, dsn, clk.Now)}
	svcs := []*service.Service{service.New(stores[0], a, clk.Now, nil), service.New(stores[1], a, clk.Now, nil)}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	subs := []notify.Subscription{
		{ID: "hook-a", Actor: "a", URL: "http://127.0.0.1:9/a", By: "admin", Created: t0},
		{ID: "hook-mission", Actor: agreement.ActorMission, URL: "http://127.0.0.1:9/m", By: "admin", Created: t0},
	}
	for _, s := range subs {
		if err := stores[0].PutSubscription(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if mode == "loop" {
		for _, svc := range svcs {
			wg.Go(func() { svc.Loop(ctx, 5*time.Millisecond) })
		}
	}

	// The reference: one engine alone, on the same schedule.
	ref := &response.Scheduler{Engine: response.New(a, clk.Now), Journal: &response.MemJournal{}}
	e := &env{t: t, st: stores[0]}
	cases := contentionSchedule()
	var refCount int
	var cursor int64 // loop mode: the stored action records counted so far
	counted := 0
	for step := range 130 {
		clk.at(time.Duration(step) * 4 * time.Hour)
		for len(cases) > 0 && cases[0].at <= time.Duration(step)*4*time.Hour {
			c := cases[0]
			cases = cases[1:]
			e.confirmOf(c.id, c.commitment, c.at)
			ts, err := ref.Engine.Confirm(response.Case{ID: c.id, Commitment: c.commitment, Party: "north", Confirmed: t0.Add(c.at)})
			if err != nil {
				t.Fatal(err)
			}
			if err := ref.Journal.Append(ctx, ts); err != nil {
				t.Fatal(err)
			}
			refCount += len(ts)
		}
		ts, err := ref.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		refCount += len(ts)

		switch mode {
		case "unlocked":
			errs := make([]error, len(svcs))
			var tick sync.WaitGroup
			for i, svc := range svcs {
				tick.Go(func() { _, errs[i] = svc.Tick(ctx) })
			}
			tick.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("step %d: server %d: %v", step, i, err)
				}
			}
		case "loop":
			storetest.WaitFor(t, fmt.Sprintf("the leader to store step %d's %d transitions", step, refCount), func() bool {
				recs, err := stores[1].Records(ctx, ledger.TypeAction, cursor, 1000)
				if err != nil {
					return false
				}
				for _, r := range recs {
					counted, cursor = counted+1, r.Index+1
				}
				return counted == refCount
			})
		}
	}

	// The ledger holds exactly the reference's transitions, byte for byte.
	want, _, err := ref.Journal.Since(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := storedActions(t, stores[1])
	if len(got) != len(want) {
		t.Errorf("%d transitions stored, want %d", len(got), len(want))
	}
	kinds := map[string]int{}
	var wantMessages int
	for _, tr := range want {
		b, err := tr.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[tr.ID], b) {
			t.Errorf("%s: stored %s\nwant %s", tr.ID, got[tr.ID], b)
		}
		kinds[tr.Kind+"/"+tr.Reason]++
		ns, err := tr.Notifications()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			for _, s := range subs {
				if s.Actor == n.Recipient {
					wantMessages++
				}
			}
		}
	}
	// The schedule covers what it claims to: escalations, on_overdue and
	// repeated-cases runs, cutoffs.
	for _, k := range []string{response.KindStepOverdue + "/escalation: notify all", response.KindStepMissed + "/cutoff",
		response.KindRunStarted + "/" + response.TriggerOverdue, response.KindRunStarted + "/" + response.TriggerRepeated} {
		if kinds[k] == 0 {
			t.Errorf("no %s transition: the schedule does not test it (%v)", k, kinds)
		}
	}

	// Each transition was stored by exactly one server.
	by := []map[string]int{stores[0].count(), stores[1].count()}
	for id := range got {
		if n := by[0][id] + by[1][id]; n != 1 {
			t.Errorf("%s stored by %d appends (server 0: %d, server 1: %d)", id, n, by[0][id], by[1][id])
		}
	}
	// With the lock, and the leadership granted once (it may pass to the
	// other server when a slow machine misses a liveness check), one
	// server stored everything.
	if grants := stores[0].leadership() + stores[1].leadership(); mode == "loop" && grants == 1 && len(by[0]) > 0 && len(by[1]) > 0 {
		t.Errorf("both servers stored transitions (%d and %d) while one held the lock throughout", len(by[0]), len(by[1]))
	} else if mode == "loop" && grants != 1 {
		t.Logf("the leadership was granted %d times", grants)
	}
	t.Logf("%s: %d transitions, stored %d by server 0 and %d by server 1", mode, len(got), len(by[0]), len(by[1]))

	// One message per notification and subscription, none twice.
	msgs, err := stores[0].Claim(ctx, t0.Add(10000*time.Hour), 1_000_000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != wantMessages {
		t.Errorf("%d outbox messages, want %d", len(msgs), wantMessages)
	}
}

// TestActionAtDeadline: a liaison records an action through one server at
// the very moment the scheduler on another passes the deadline (the API
// node's clock at the deadline, the scheduler's a millisecond after). For
// every case exactly one story is stored: done on time and never overdue,
// or overdue (escalated) and then done_late — never done next to overdue.
// The liaison's request never fails: refused by the store, it is retried
// against what is stored now and becomes late.
func TestActionAtDeadline(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { actionAtDeadline(t, filepath.Join(t.TempDir(), "pactwatch.db")) })
	t.Run("postgres", func(t *testing.T) { actionAtDeadline(t, storetest.PostgresSchema(t)) })
}

func actionAtDeadline(t *testing.T, dsn string) {
	ctx := t.Context()
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	apiClk, schedClk := &clock{now: t0}, &clock{now: t0}
	apiStore, schedStore := newCountingStore(t, dsn, apiClk.Now), newCountingStore(t, dsn, schedClk.Now)
	api, sched := service.New(apiStore, a, apiClk.Now, nil), service.New(schedStore, a, schedClk.Now, nil)
	e := &env{t: t, st: schedStore}
	const n = 16
	for i := range n {
		e.confirm(fmt.Sprintf("case-%02d", i), time.Duration(i)*time.Hour)
	}
	if _, err := sched.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	lb := response.Recorder{Principal: "lb", Role: vocab.RoleGuarantorLiaison, Of: "b"}
	for i := range n {
		deadline := time.Duration(i)*time.Hour + 24*time.Hour
		apiClk.at(deadline)
		schedClk.at(deadline + time.Millisecond)
		var recErr, tickErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			_, recErr = api.Record(ctx, lb, fmt.Sprintf("case-%02d/respond", i), "consult/b", response.Action{Statement: "consulted"})
		})
		wg.Go(func() {
			<-start
			_, tickErr = sched.Tick(ctx)
		})
		close(start)
		wg.Wait()
		if recErr != nil {
			t.Fatalf("case %d: the liaison's action failed: %v", i, recErr)
		}
		// A tick refused because the action was stored first is retried
		// by the loop's next tick; do it here.
		if tickErr != nil {
			if pactwatch.ErrorCode(tickErr) != pactwatch.ECONFLICT {
				t.Fatalf("case %d: tick: %v", i, tickErr)
			}
			if _, err := sched.Tick(ctx); err != nil {
				t.Fatalf("case %d: tick after a conflict: %v", i, err)
			}
		}
	}
	got := storedActions(t, schedStore)
	var onTime, late int
	for i := range n {
		base := fmt.Sprintf("case-%02d/respond/consult/b", i)
		done, overdue := got[base+"/done"], got[base+"/overdue"]
		if done == nil {
			t.Fatalf("%s: no action stored", base)
		}
		tr, err := response.ParseTransition(done)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tr.Kind == response.KindStepDone && overdue == nil:
			onTime++
		case tr.Kind == response.KindStepDoneLate && overdue != nil:
			late++
		default:
			t.Errorf("%s: %s stored with overdue=%v", base, tr.Kind, overdue != nil)
		}
		// b's co-guarantors, who never act, are overdue exactly once.
		for _, g := range []string{"a", "c"} {
			if got[fmt.Sprintf("case-%02d/respond/consult/%s/overdue", i, g)] == nil {
				t.Errorf("case %d: consult/%s not overdue", i, g)
			}
		}
	}
	for id := range got {
		if n := apiStore.count()[id] + schedStore.count()[id]; n != 1 {
			t.Errorf("%s stored by %d appends", id, n)
		}
	}
	t.Logf("%d on time, %d late (overdue first)", onTime, late)
}
