package response

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/notify"
)

// Two servers tick the same journal (as if both believed they held the
// leader lock), one restarts midway, a liaison records through a third:
// every deadline transition is stored exactly once, and both servers end
// in the same state.
func TestTwoSchedulersOneJournal(t *testing.T) {
	a := load(t)
	clk := (&clock{}).at(0)
	j := &MemJournal{}
	ctx := context.Background()
	api := New(a, clk.Now) // the API node's engine
	ts, err := api.Confirm(Case{ID: "case-1", Commitment: "ceasefire", Party: "north", Confirmed: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(ctx, ts); err != nil {
		t.Fatal(err)
	}
	s1 := &Scheduler{Engine: New(a, clk.Now), Journal: j}
	s2 := &Scheduler{Engine: New(a, clk.Now), Journal: j}
	for _, at := range []time.Duration{5 * h, 7 * h, 7 * h, 23 * h} {
		clk.at(at)
		for _, s := range []*Scheduler{s1, s2} {
			if _, err := s.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A liaison acts through the API node: sync, record, store.
	clk.at(23*h + 30*time.Minute)
	apiSched := &Scheduler{Engine: api, Journal: j}
	if err := apiSched.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	ts, err = api.Record(liaison("a"), "case-1/respond", "consult/a", act("consulted"))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(ctx, ts); err != nil {
		t.Fatal(err)
	}
	// The store fails once: nothing applied, the next tick stores it all.
	clk.at(25 * h)
	j.Fail = errors.New("database restarting")
	if _, err := s1.Tick(ctx); err == nil {
		t.Fatal("no error")
	}
	// s2 restarts: a fresh engine, synced from the journal.
	s2 = &Scheduler{Engine: New(a, clk.Now), Journal: j}
	for _, at := range []time.Duration{25 * h, 26 * h, 8 * 24 * h} {
		clk.at(at)
		for _, s := range []*Scheduler{s2, s1} {
			if _, err := s.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	all, _, err := j.Since(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, tr := range all {
		count[tr.Kind]++
	}
	// mission overdue at 6 h; b and c overdue at 24 h; at the cutoff the
	// three undone steps are missed.
	want := map[string]int{KindCaseConfirmed: 1, KindRunStarted: 1, KindStepDone: 1, KindStepOverdue: 3, KindStepMissed: 3}
	if len(count) != len(want) {
		t.Errorf("kinds %v, want %v", count, want)
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d, want %d (all: %v)", k, count[k], n, kinds(all))
		}
	}
	r1, _ := s1.Engine.Run("case-1/respond")
	r2, _ := s2.Engine.Run("case-1/respond")
	if s := stepOf(t, s1.Engine, "case-1/respond", "consult/a"); s.State != Done {
		t.Errorf("consult/a is %s", s.State)
	}
	if len(r1.Steps) != len(r2.Steps) {
		t.Fatal("runs differ")
	}
	for i := range r1.Steps {
		if r1.Steps[i].State != r2.Steps[i].State {
			t.Errorf("%s: %s vs %s", r1.Steps[i].Key, r1.Steps[i].State, r2.Steps[i].State)
		}
	}
}

// From transition to webhook: the scenario's notifications go through the
// outbox to a receiver that fails its first two attempts; it gets every
// event exactly once by idempotency key.
func TestNotificationsDelivered(t *testing.T) {
	a := load(t)
	clk := (&clock{}).at(0)
	e := New(a, clk.Now)
	var ts []Transition
	add := func(more []Transition, err error) {
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, more...)
	}
	add(e.Confirm(Case{ID: "case-1", Commitment: "ceasefire", Party: "north", Confirmed: t0}))
	due := e.Due(t0.Add(25 * h))
	if err := e.Apply(due...); err != nil {
		t.Fatal(err)
	}
	ts = append(ts, due...)

	var mu sync.Mutex
	attempts, got := map[string]int{}, map[string]int{}
	key := notify.Signer{KeyID: "n1", Key: ed25519.NewKeyFromSeed(make([]byte, 32))}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		k := r.Header.Get(notify.HeaderKey)
		if err := notify.Verify(key.PublicKey(), r.Header.Get(notify.HeaderTimestamp), k, r.Header.Get(notify.HeaderSignature), body, clk.Now(), time.Minute); err != nil {
			t.Error(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if attempts[k]++; attempts[k] <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		got[k]++
	}))
	defer srv.Close()
	allow, _ := notify.ParseAllow([]string{"127.0.0.1"})
	g := &notify.Guard{Allow: allow}
	subs := []notify.Subscription{{ID: "s-b", Actor: "b", URL: srv.URL}, {ID: "s-north", Actor: "north", URL: srv.URL}}
	ob := notify.NewMemOutbox()
	want := map[string]bool{}
	for _, tr := range ts {
		ns, err := tr.Notifications()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			ms, err := notify.Fanout(notify.Event{Key: n.Key, Type: n.Type, Recipient: n.Recipient, At: tr.At, Data: n.Data}, subs, clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				want[m.Key] = true
			}
			if err := ob.Enqueue(context.Background(), ms...); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Nobody acted by 25 h. b: assigned, its own step overdue, and three
	// escalations (mission, a, c); north: confirmed and four escalations.
	if len(want) != 10 {
		t.Fatalf("%d events for b and north, want 10: %v", len(want), want)
	}
	w := &notify.Worker{Outbox: ob, Client: g.Client(5 * time.Second), Signer: key, Now: clk.Now,
		Policy: notify.Policy{MaxAttempts: 5, Base: time.Second, Max: time.Minute, Lease: time.Minute, Batch: 10}}
	for range 10 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.now = clk.now.Add(time.Minute)
	}
	for k := range want {
		if got[k] != 1 || attempts[k] != 3 {
			t.Errorf("%s: accepted %d times after %d attempts", k, got[k], attempts[k])
		}
	}
	if len(got) != len(want) {
		t.Errorf("received %d events, want %d", len(got), len(want))
	}
}
