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

// leaderStore is one server's store: it counts the records the server
// appends, and can refuse or lose the lock (storetest.LeaderStore).
type leaderStore struct {
	*storetest.LeaderStore
	appends atomic.Int64
}

func (s *leaderStore) AppendRecordsWithMessages(ctx context.Context, recs []store.GenericRecord, msgs [][]notify.Message, excl ...store.Exclusion) ([]store.AppendResult, error) {
	s.appends.Add(1)
	return s.LeaderStore.AppendRecordsWithMessages(ctx, recs, msgs, excl...)
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
		ls := &leaderStore{LeaderStore: &storetest.LeaderStore{Store: st}}
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
	storetest.WaitFor(t, "the first server to lead", sa.Leading)
	e := &env{t: t, st: sa}
	e.confirm("case-1", 0)
	storetest.WaitFor(t, "the first server to start case-1's protocol", started(first, "case-1"))
	sb, second := server()
	if sb.Leading() {
		t.Fatal("two servers lead the scheduler")
	}

	sa.Refuse() // the second server wins the freed lock
	lose(sa)
	storetest.WaitFor(t, "the first server to learn it lost the leadership", func() bool { return !sa.Leading() })
	appended := sa.appends.Load()
	storetest.WaitFor(t, "the second server to lead", sb.Leading)
	e.confirm("case-2", time.Hour)
	storetest.WaitFor(t, "the second server to start case-2's protocol", started(second, "case-2"))
	if n := sa.appends.Load(); n != appended {
		t.Errorf("the old leader stored %d batches after it lost the leadership", n-appended)
	}
	if sb.appends.Load() == 0 {
		t.Error("the new leader stored nothing")
	}
}

func TestLeaderLost(t *testing.T) {
	leaderLost(t, filepath.Join(t.TempDir(), "pactwatch.db"), store.Options{}, (*leaderStore).Lose)
}

// TestLeaderLostPostgres: the leader's session is terminated
// (pg_terminate_backend), which frees its advisory lock at once.
func TestLeaderLostPostgres(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	leaderLost(t, dsn, store.Options{LeaderCheck: 50 * time.Millisecond}, func(*leaderStore) {
		storetest.TerminateLeaderAt(t, dsn, journalstore.LeaderLock)
	})
}
