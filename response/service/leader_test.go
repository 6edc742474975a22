package service_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response/journalstore"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

// leaderStore is one server's store: it counts what the server stores,
// tells whether the server leads now, can refuse the lock (another server
// won it) and can end the leadership it granted as a lost session would.
type leaderStore struct {
	store.Store
	appends atomic.Int64
	mu      sync.Mutex
	refuse  bool
	lead    context.Context
	drop    func()
}

func (s *leaderStore) AppendRecordsWithMessages(ctx context.Context, recs []store.GenericRecord, msgs [][]notify.Message, excl ...store.Exclusion) ([]store.AppendResult, error) {
	s.appends.Add(1)
	return s.Store.AppendRecordsWithMessages(ctx, recs, msgs, excl...)
}

func (s *leaderStore) TryLead(ctx context.Context, name string) (context.Context, func(), bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse {
		return nil, nil, false, nil
	}
	lead, release, ok, err := s.Store.TryLead(ctx, name)
	if ok {
		s.lead, s.drop = lead, release
	}
	return lead, release, ok, err
}

func (s *leaderStore) leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lead != nil && s.lead.Err() == nil
}

func (s *leaderStore) setRefuse() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = true
}

// lose ends the leadership behind the holder's back (SQLite has no
// session to kill).
func (s *leaderStore) lose() {
	s.mu.Lock()
	drop := s.drop
	s.mu.Unlock()
	drop()
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

// leaderLost runs the scheduler loop of two servers on one database; lose
// ends the first's leadership behind its back. The first must stop
// acting, the second take over: the protocol of a case confirmed
// afterwards is started by the second.
func leaderLost(t *testing.T, dsn string, opts store.Options, lose func(first *leaderStore)) {
	clk := &clock{now: t0}
	opts.Now = clk.Now
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	server := func() (*leaderStore, *service.Service) {
		st, err := store.Open(context.Background(), dsn, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		ls := &leaderStore{Store: st}
		svc := service.New(ls, a, clk.Now, nil)
		wg.Go(func() { svc.Loop(ctx, 10*time.Millisecond) })
		return ls, svc
	}
	started := func(svc *service.Service, caseID string) func() bool {
		return func() bool {
			runs, err := svc.Runs(ctx, caseID)
			return err == nil && len(runs) > 0
		}
	}
	sa, first := server()
	waitFor(t, "the first server to lead", sa.leading)
	e := &env{t: t, st: sa}
	e.confirm("case-1", 0)
	waitFor(t, "the first server to start case-1's protocol", started(first, "case-1"))
	sb, second := server()
	if sb.leading() {
		t.Fatal("two servers lead the scheduler")
	}

	sa.setRefuse() // the second server wins the freed lock
	lose(sa)
	waitFor(t, "the first server to learn it lost the leadership", func() bool { return !sa.leading() })
	appended := sa.appends.Load()
	waitFor(t, "the second server to lead", sb.leading)
	e.confirm("case-2", time.Hour)
	waitFor(t, "the second server to start case-2's protocol", started(second, "case-2"))
	if n := sa.appends.Load(); n != appended {
		t.Errorf("the old leader stored %d batches after it lost the leadership", n-appended)
	}
	if sb.appends.Load() == 0 {
		t.Error("the new leader stored nothing")
	}
}

func TestLeaderLost(t *testing.T) {
	leaderLost(t, filepath.Join(t.TempDir(), "pactwatch.db"), store.Options{}, (*leaderStore).lose)
}

// TestLeaderLostPostgres: the leader's session is terminated
// (pg_terminate_backend), which frees its advisory lock at once.
func TestLeaderLostPostgres(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	leaderLost(t, dsn, store.Options{LeaderCheck: 50 * time.Millisecond}, func(*leaderStore) {
		storetest.TerminateLeaderAt(t, dsn, journalstore.LeaderLock)
	})
}
