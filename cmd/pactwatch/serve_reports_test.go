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
// appends, tells whether the server leads now, can refuse the lock
// (another server won it) and can end the leadership it granted as a
// lost session would.
type reportStore struct {
	store.Store
	appends atomic.Int64
	mu      sync.Mutex
	refuse  bool
	lead    context.Context
	drop    func()
}

func (s *reportStore) AppendRecords(ctx context.Context, recs []store.GenericRecord) ([]store.AppendResult, error) {
	s.appends.Add(1)
	return s.Store.AppendRecords(ctx, recs)
}

func (s *reportStore) TryLead(ctx context.Context, name string) (context.Context, func(), bool, error) {
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

func (s *reportStore) leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lead != nil && s.lead.Err() == nil
}

func (s *reportStore) setRefuse() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = true
}

func (s *reportStore) lose() {
	s.mu.Lock()
	drop := s.drop
	s.mu.Unlock()
	drop()
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a hang, not a speed goal
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
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
		rs := &reportStore{Store: st}
		done := startReports(ctx, rs, agr, nil, nil, clock, log)
		t.Cleanup(func() { cancel(); <-done; st.Close() })
		return rs
	}
	published := func(st store.Store, day string) func() bool {
		return func() bool { _, err := st.Record(ctx, report.RecordID(day)); return err == nil }
	}
	a := server()
	waitUntil(t, "the first server to publish 2026-10-02", published(a, "2026-10-02"))
	b := server()
	if b.leading() {
		t.Fatal("two servers lead the report publisher")
	}

	a.setRefuse() // the second server wins the freed lock
	lose(a)
	waitUntil(t, "the first server to learn it lost the leadership", func() bool { return !a.leading() })
	appended := a.appends.Load()
	waitUntil(t, "the second server to lead", b.leading)
	mu.Lock()
	now = now.Add(24 * time.Hour) // 10-03 is due
	mu.Unlock()
	waitUntil(t, "the second server to publish 2026-10-03", published(b, "2026-10-03"))
	if n := a.appends.Load(); n != appended {
		t.Errorf("the old leader appended %d times after it lost the leadership", n-appended)
	}
	if b.appends.Load() == 0 {
		t.Error("the new leader published nothing")
	}
}

func TestReportsLeaderLost(t *testing.T) {
	reportsLeaderLost(t, filepath.Join(t.TempDir(), "pactwatch.db"), store.Options{}, (*reportStore).lose)
}

// TestReportsLeaderLostPostgres: the publisher's session is terminated
// (pg_terminate_backend), which frees its advisory lock at once.
func TestReportsLeaderLostPostgres(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	reportsLeaderLost(t, dsn, store.Options{LeaderCheck: 50 * time.Millisecond}, func(*reportStore) {
		storetest.TerminateLeaderAt(t, dsn, reportLock)
	})
}
