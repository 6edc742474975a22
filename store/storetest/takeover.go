package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/store"
)

// LeaderStore is one server's store in a leader take-over test: it can be
// told to refuse the lock (as when another server won it), tells whether
// the server leads now, and can end the leadership it granted behind the
// holder's back, as a lost database session would — SQLite has no session
// to kill (on PostgreSQL, TerminateLeaderAt kills the real one).
type LeaderStore struct {
	store.Store
	mu     sync.Mutex
	refuse bool
	lead   context.Context
	drop   func()
}

// TryLead is the store's, unless Refuse was called.
func (s *LeaderStore) TryLead(ctx context.Context, name string) (context.Context, func(), bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse {
		return nil, nil, false, nil
	}
	lead, release, ok, err := s.Store.TryLead(ctx, name)
	if ok {
		s.lead, s.drop = lead, release // release frees the lock and ends lead
	}
	return lead, release, ok, err
}

// Leading reports whether the last leadership granted still lasts.
func (s *LeaderStore) Leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lead != nil && s.lead.Err() == nil
}

// Refuse makes every later TryLead fail to get the lock.
func (s *LeaderStore) Refuse() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = true
}

// Lose ends the leadership granted last, behind its holder's back.
func (s *LeaderStore) Lose() {
	s.mu.Lock()
	drop := s.drop
	s.mu.Unlock()
	drop()
}

// WaitFor polls ok until it holds, failing the test after a minute: a
// hang, not a speed goal.
func WaitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
