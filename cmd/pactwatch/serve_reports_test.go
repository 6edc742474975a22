package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

// reportStore is one server's store: it counts the reports the server
// appends, and can refuse or lose the lock (storetest.LeaderStore).
type reportStore struct {
	*storetest.LeaderStore
	appends atomic.Int64
}

func (s *reportStore) AppendRecords(ctx context.Context, recs []store.GenericRecord) ([]store.AppendResult, error) {
	s.appends.Add(1)
	return s.LeaderStore.AppendRecords(ctx, recs)
}

// reportsLeaderLost runs the report publisher of two servers on one
// database; lose ends the first's leadership behind its back. The first
// must stop publishing, the second take over: the next day's report is
// the second's.
func reportsLeaderLost(t *testing.T, dsn string, opts store.Options, lose func(first *reportStore)) {
	old := reportEvery
	t.Cleanup(func() { reportEvery = old }) // after the servers stopped
	reportEvery = 10 * time.Millisecond
	agr, err := agreement.Load(exampleAgreement)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 10, 3, 12, 0, 0, 0, time.UTC) // 10-01 and 10-02 are due
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	server := func() *reportStore {
		st, err := store.Open(context.Background(), dsn, opts)
		if err != nil {
			t.Fatal(err)
		}
		rs := &reportStore{LeaderStore: &storetest.LeaderStore{Store: st}}
		done := startReports(ctx, rs, agr, nil, nil, clock, log)
		t.Cleanup(func() { cancel(); <-done; st.Close() })
		return rs
	}
	published := func(st store.Store, day string) func() bool {
		return func() bool { _, err := st.Record(ctx, report.RecordID(day)); return err == nil }
	}
	a := server()
	storetest.WaitFor(t, "the first server to publish 2026-10-02", published(a, "2026-10-02"))
	b := server()
	if b.Leading() {
		t.Fatal("two servers lead the report publisher")
	}

	a.Refuse() // the second server wins the freed lock
	lose(a)
	storetest.WaitFor(t, "the first server to learn it lost the leadership", func() bool { return !a.Leading() })
	appended := a.appends.Load()
	storetest.WaitFor(t, "the second server to lead", b.Leading)
	mu.Lock()
	now = now.Add(24 * time.Hour) // 10-03 is due
	mu.Unlock()
	storetest.WaitFor(t, "the second server to publish 2026-10-03", published(b, "2026-10-03"))
	if n := a.appends.Load(); n != appended {
		t.Errorf("the old leader appended %d times after it lost the leadership", n-appended)
	}
	if b.appends.Load() == 0 {
		t.Error("the new leader published nothing")
	}
}

func TestReportsLeaderLost(t *testing.T) {
	reportsLeaderLost(t, filepath.Join(t.TempDir(), "pactwatch.db"), store.Options{}, (*reportStore).Lose)
}

// TestReportsLeaderLostPostgres: the publisher's session is terminated
// (pg_terminate_backend), which frees its advisory lock at once.
func TestReportsLeaderLostPostgres(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	reportsLeaderLost(t, dsn, store.Options{LeaderCheck: 50 * time.Millisecond}, func(*reportStore) {
		storetest.TerminateLeaderAt(t, dsn, reportLock)
	})
}
