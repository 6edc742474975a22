package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

// watchedLeader is a Leader that tells the test whether its holder leads
// now, and can be told to refuse, as when another server won the lock.
type watchedLeader struct {
	ledger.Leader
	mu     sync.Mutex
	refuse bool
	lead   context.Context
}

func (w *watchedLeader) TryLead(ctx context.Context, name string) (context.Context, func(), bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.refuse {
		return nil, nil, false, nil
	}
	lead, release, ok, err := w.Leader.TryLead(ctx, name)
	if ok {
		w.lead = lead
	}
	return lead, release, ok, err
}

func (w *watchedLeader) leading() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lead != nil && w.lead.Err() == nil
}

func (w *watchedLeader) setRefuse() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.refuse = true
}

// countingSigner counts the checkpoints signed with it.
type countingSigner struct {
	note.Signer
	n atomic.Int64
}

func (s *countingSigner) Sign(msg []byte) ([]byte, error) {
	s.n.Add(1)
	return s.Signer.Sign(msg)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a hang, not a speed goal
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// server is one checkpointer's view of the shared log.
type server struct {
	src    ledger.Source
	cps    ledger.CheckpointStore
	leader ledger.Leader
}

// takeover runs a checkpointer on each server; lose ends the first's
// leadership behind its back (its lock is free at once). The first must be
// told and stop signing; the second takes over and signs what follows,
// and the first then follows it. grow appends n entries to the log.
func takeover(t *testing.T, one, two server, grow func(n int), lose func()) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, v := logKey(t)
	w1, w2 := &watchedLeader{Leader: one.leader}, &watchedLeader{Leader: two.leader}
	s1, s2 := &countingSigner{Signer: s}, &countingSigner{Signer: s}
	c1 := &ledger.Checkpointer{Source: one.src, Store: one.cps, Signer: s1, Verifier: v, Interval: 10 * time.Millisecond, Leader: w1}
	c2 := &ledger.Checkpointer{Source: two.src, Store: two.cps, Signer: s2, Verifier: v, Interval: 10 * time.Millisecond, Leader: w2}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { c1.Run(ctx) })
	grow(5)
	if err := c1.Wait(ctx, 5); err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { c2.Run(ctx) })
	grow(5)
	if err := c2.Wait(ctx, 10); err != nil {
		t.Fatalf("the follower: %v", err)
	}
	if !w1.leading() || w2.leading() || s2.n.Load() != 0 {
		t.Fatalf("leading: first %v, second %v (signed %d)", w1.leading(), w2.leading(), s2.n.Load())
	}

	// The second server wins the freed lock: the first may not retake it.
	w1.setRefuse()
	lose()
	waitFor(t, "the first checkpointer to learn it lost the leadership", func() bool { return !w1.leading() })
	signed := s1.n.Load()
	waitFor(t, "the second checkpointer to lead", w2.leading)
	grow(5)
	if err := c2.Wait(ctx, 15); err != nil {
		t.Fatal(err)
	}
	if err := c1.Wait(ctx, 15); err != nil {
		t.Fatalf("the old leader does not follow the new one: %v", err)
	}
	if s2.n.Load() == 0 {
		t.Error("the new leader published a checkpoint it did not sign")
	}
	if n := s1.n.Load(); n != signed {
		t.Errorf("the old leader signed %d checkpoints after it lost the leadership", n-signed)
	}
}

func TestCheckpointerLeadershipLost(t *testing.T) {
	m := ledgertest.New()
	takeover(t, server{m, m, m}, server{m, m, m}, func(n int) { grow(m, n) }, func() {
		if !m.LoseLeader() {
			t.Fatal("nobody led")
		}
	})
}

// TestCheckpointerLeadershipLostPostgres: two servers on one PostgreSQL;
// the signer's session is terminated (pg_terminate_backend), so its
// advisory lock is free at once.
func TestCheckpointerLeadershipLostPostgres(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	ctx := context.Background()
	a, err := store.Open(ctx, dsn, store.Options{LeaderCheck: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(ctx, dsn, store.Options{LeaderCheck: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	next := 0
	grow := func(n int) {
		var recs []store.GenericRecord
		for range n {
			id := fmt.Sprintf("report-%04d", next)
			next++
			body := []byte(`{}`)
			recs = append(recs, store.GenericRecord{Type: ledger.TypeReport, ID: id, Time: at, Body: body, Leaf: storetest.LeafFor(ledger.TypeReport, id, at, body)})
		}
		if _, err := a.AppendRecords(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	takeover(t, server{a, a, a}, server{b, b, b}, grow, func() { storetest.TerminateLeaderAt(t, dsn, ledger.LeaderLock) })
}

// A Publish whose context ended (the leadership was lost) signs and
// stores nothing.
func TestPublishAfterLeadershipEnded(t *testing.T) {
	m := ledgertest.New()
	s, v := logKey(t)
	cs := &countingSigner{Signer: s}
	c := &ledger.Checkpointer{Source: m, Store: m, Signer: cs, Verifier: v}
	grow(m, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, err := c.Publish(ctx); ok || err == nil {
		t.Fatalf("Publish under an ended leadership: %v, %v", ok, err)
	}
	if _, _, err := m.LatestCheckpoint(context.Background()); err == nil || cs.n.Load() != 0 {
		t.Fatalf("stored a checkpoint (%v) or signed (%d)", err, cs.n.Load())
	}
}
