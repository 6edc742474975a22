package pipeline_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

// leaderStore is one server's store: it counts the records the server
// appends, and can refuse or lose the lock (storetest.LeaderStore).
type leaderStore struct {
	*storetest.LeaderStore
	appends atomic.Int64
}

func (s *leaderStore) AppendRecords(ctx context.Context, recs []store.GenericRecord) ([]store.AppendResult, error) {
	s.appends.Add(1)
	return s.LeaderStore.AppendRecords(ctx, recs)
}

// reports is how many reports the one incident the pipeline holds has (0
// while it is not ready or holds another number of incidents).
func reports(pl *pipeline.Pipeline) int {
	var n, incs int
	for _, st := range []incident.Status{incident.Reported, incident.Corroborated, incident.Verified} {
		list, err := pl.Incidents(pipeline.Filter{Status: st})
		if err != nil {
			return 0
		}
		for _, inc := range list {
			incs++
			n = len(inc.Reports)
		}
	}
	if incs != 1 {
		return 0
	}
	return n
}

// leaderLost runs a pipeline on each of two stores of one database; lose
// ends the first's leadership behind its back. The first must stop
// storing and answering, the second take over and go on from the state
// the first stored.
func leaderLost(t *testing.T, dsn string, opts store.Options, lose func(first *leaderStore)) {
	clk := &clock{t: time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)}
	opts.Now = clk.now
	agr, err := agreement.Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	server := func() (*leaderStore, *pipeline.Pipeline) {
		st, err := store.Open(context.Background(), dsn, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		ls := &leaderStore{LeaderStore: &storetest.LeaderStore{Store: st}}
		cfg := pipeline.FromAgreement(agr)
		cfg.Store, cfg.Now, cfg.Poll = ls, clk.now, 10*time.Millisecond
		pl, err := pipeline.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if err := pl.Run(ctx); err != nil {
				t.Errorf("pipeline: %v", err)
			}
		})
		return ls, pl
	}
	a, first := server()
	storetest.WaitFor(t, "the first pipeline to lead", first.Ready)
	seed(t, a, 0, 2, clk.now().Add(-3*time.Hour))
	storetest.WaitFor(t, "the first pipeline to cluster 2 reports", func() bool { return reports(first) == 2 })
	b, second := server()
	if second.Ready() {
		t.Fatal("two pipelines lead one database")
	}

	a.Refuse() // the second server wins the freed lock
	lose(a)
	storetest.WaitFor(t, "the first pipeline to learn it lost the leadership", func() bool { return !first.Ready() })
	appended := a.appends.Load()
	if _, err := first.Incidents(pipeline.Filter{}); pactwatch.ErrorCode(err) != pactwatch.EUNAVAILABLE {
		t.Fatalf("the old leader still answers: %v", err)
	}
	storetest.WaitFor(t, "the second pipeline to take over", second.Ready)
	seed(t, b, 2, 2, clk.now().Add(-3*time.Hour))
	storetest.WaitFor(t, "the second pipeline to add 2 reports to the stored incident", func() bool { return reports(second) == 4 })
	if n := a.appends.Load(); n != appended {
		t.Errorf("the old leader stored %d batches after it lost the leadership", n-appended)
	}
	if first.Ready() {
		t.Error("the old leader is ready again while the second leads")
	}
}

func TestLeaderLost(t *testing.T) {
	leaderLost(t, filepath.Join(t.TempDir(), "p.db"), store.Options{}, (*leaderStore).Lose)
}

// TestLeaderLostPostgres: the leader's session is terminated
// (pg_terminate_backend), which frees its advisory lock at once.
func TestLeaderLostPostgres(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	leaderLost(t, dsn, store.Options{LeaderCheck: 50 * time.Millisecond}, func(*leaderStore) {
		storetest.TerminateLeaderAt(t, dsn, pipeline.LeaderLock)
	})
}
