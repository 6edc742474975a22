// Package service runs the response engine inside a server: it follows the
// confirmed and closed cases the incident pipeline stores (ledger type
// "case") and starts, pauses, resumes and ends their protocols; it ticks
// the scheduler on the injected clock while holding the store's leader
// lock; it records liaisons' actions; and it answers the API's reads (runs
// of a case, the scorecard). Every change goes to the store through
// journalstore, with its webhook messages in the same transaction.
//
// It is decoupled from the pipeline: the pipeline stores case transitions,
// this service reads them on each tick. A restarted server rebuilds the
// engine from the stored action records and re-reads every case record;
// Confirm of a known case changes nothing, so nothing starts twice.
package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/response/journalstore"
	"github.com/pactwatch/pactwatch/store"
)

// Service is the response engine of one server.
type Service struct {
	Store     store.Store
	Agreement *agreement.Agreement
	Now       func() time.Time
	Log       *slog.Logger

	mu         sync.Mutex
	journal    *journalstore.Journal
	sched      *response.Scheduler
	caseCursor int64         // next ledger index of the case records followed
	appended   chan struct{} // a pending "transitions stored" signal (capacity 1)
}

// New builds the service; Load (or the first Tick) reads the store.
func New(st store.Store, a *agreement.Agreement, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Store: st, Agreement: a, Now: now, Log: log,
		journal: &journalstore.Journal{Store: st, Now: now}, appended: make(chan struct{}, 1)}
}

// Appended receives a value after this service stored transitions (and so,
// perhaps, webhook messages): give it to Deliverer.Wake so that messages
// leave at once rather than at the worker's next interval. Signals do not
// pile up: one pending value stands for any number of appends.
func (s *Service) Appended() <-chan struct{} { return s.appended }

// reset drops the engine: the next use rebuilds it from the journal (after
// a failed append its state may hold a change the store refused).
func (s *Service) reset() { s.sched = nil }

// syncLocked builds the engine if needed and applies what others stored.
func (s *Service) syncLocked(ctx context.Context) error {
	if s.sched == nil {
		s.sched = &response.Scheduler{Engine: response.New(s.Agreement, s.Now), Journal: s.journal}
		s.caseCursor = 0
	}
	if err := s.sched.Sync(ctx); err != nil {
		s.reset()
		return err
	}
	return nil
}

// Load builds the engine from the store.
func (s *Service) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncLocked(ctx)
}

// append stores transitions the engine computed; on failure the engine is
// rebuilt on next use.
func (s *Service) append(ctx context.Context, ts []response.Transition) error {
	if len(ts) == 0 {
		return nil
	}
	// Under Loop, ctx is the leadership: once it ended another server
	// may act, so store nothing.
	if err := ctx.Err(); err != nil {
		s.reset()
		return err
	}
	if err := s.journal.Append(ctx, ts); err != nil {
		s.reset()
		return err
	}
	s.signal()
	return s.sched.Sync(ctx)
}

// signal tells Appended's reader that transitions were stored.
func (s *Service) signal() {
	select {
	case s.appended <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// Tick follows the stored case records (confirmations start protocols,
// closures end them, disputes pause them) and then applies the deadlines
// due now. Call it only while holding the leader lock (Loop does).
func (s *Service) Tick(ctx context.Context) ([]response.Transition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.syncLocked(ctx); err != nil {
		return nil, err
	}
	var all []response.Transition
	for {
		recs, err := s.Store.Records(ctx, ledger.TypeCase, s.caseCursor, 500)
		if err != nil {
			return all, err
		}
		for _, r := range recs {
			ts, err := s.follow(r.Body)
			if err != nil {
				// A case the engine refuses (an unknown commitment, a
				// malformed record) must not stop every other case.
				s.Log.Warn("response: case record not applied", "record", r.ID, "err", err)
			}
			if err := s.append(ctx, ts); err != nil {
				return all, err
			}
			all = append(all, ts...)
			s.caseCursor = r.Index + 1
		}
		if len(recs) < 500 {
			break
		}
	}
	if err := ctx.Err(); err != nil { // the leadership ended: act no more
		s.reset()
		return all, err
	}
	ts, err := s.sched.Tick(ctx)
	if err != nil {
		s.reset()
	}
	if len(ts) > 0 {
		s.signal() // Scheduler.Tick stores only what it returns
	}
	return append(all, ts...), err
}

// follow turns one stored case transition into the engine's calls.
func (s *Service) follow(body []byte) ([]response.Transition, error) {
	var ct compliance.Transition
	if err := json.Unmarshal(body, &ct); err != nil {
		return nil, err
	}
	c := ct.Snapshot
	e := s.sched.Engine
	known, closed, paused := false, false, false
	for _, k := range e.Cases() {
		if k.ID == c.ID {
			known, closed, paused = true, k.Closure != "", !k.Paused.IsZero()
		}
	}
	switch {
	case c.Status == compliance.Confirmed && !known && !c.Confirmed.IsZero():
		return e.Confirm(response.Case{ID: c.ID, Commitment: c.Group.Commitment, Party: c.Group.Party, Confirmed: c.Confirmed})
	case c.Status == compliance.Closed && known && !closed:
		return e.Close(c.ID, string(c.Closure), c.Reason)
	case c.Status == compliance.Confirmed && known && !closed && c.Paused != paused:
		if c.Paused {
			return e.Pause(c.ID)
		}
		return e.Resume(c.ID)
	}
	return nil, nil
}

// Loop ticks every interval while this server holds the leader lock
// "response-scheduler" (TryLead); a server that gains the lock syncs
// before acting (Tick does). Each tick runs under the leadership's
// context and only while it lasts: when the lock is lost (PostgreSQL: its
// session died, so another server may already tick) Loop stops acting and
// goes back to trying for the lock. It returns when ctx ends.
func (s *Service) Loop(ctx context.Context, every time.Duration) {
	var lead context.Context // set while this server leads
	var release func()
	defer func() {
		if release != nil {
			release()
		}
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if lead != nil && lead.Err() != nil && ctx.Err() == nil {
			release()
			lead, release = nil, nil
			s.Log.Warn("response: lost the leader lock; another server may tick")
		}
		if lead == nil {
			l, rel, ok, err := s.Store.TryLead(ctx, journalstore.LeaderLock)
			switch {
			case err != nil && ctx.Err() == nil:
				s.Log.Warn("response: leader lock", "err", err)
			case ok:
				lead, release = l, rel
			}
		}
		if lead != nil && lead.Err() == nil {
			if ts, err := s.Tick(lead); err != nil && lead.Err() == nil {
				s.Log.Warn("response: tick failed; retrying", "err", err)
			} else if len(ts) > 0 {
				s.Log.Info("response: transitions stored", "n", len(ts))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Record stores a liaison's (or analyst's) action on a step. Errors are
// the engine's (forbidden, not found, conflict, invalid) and change
// nothing.
//
// If another server stored a contradicting transition in the meantime (the
// step went overdue there as it was recorded here), the store refuses this
// one; the engine is rebuilt from the store and the action recorded again
// against what is stored now (late, or refused).
func (s *Service) Record(ctx context.Context, by response.Recorder, run, step string, act response.Action) ([]response.Transition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if err := s.syncLocked(ctx); err != nil {
			return nil, err
		}
		ts, err := s.sched.Engine.Record(by, run, step, act)
		if err != nil {
			return nil, err
		}
		err = s.append(ctx, ts)
		if err == nil {
			return ts, nil
		}
		if pactwatch.ErrorCode(err) != pactwatch.ECONFLICT || attempt > 0 {
			return nil, err
		}
	}
}

// Runs returns the runs of a case (every run when caseID is empty), as
// stored now.
func (s *Service) Runs(ctx context.Context, caseID string) ([]*response.Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.syncLocked(ctx); err != nil {
		return nil, err
	}
	var out []*response.Run
	for _, r := range s.sched.Engine.Runs() {
		if caseID == "" || r.Case == caseID {
			out = append(out, r)
		}
	}
	return out, nil
}

// Step finds a step by run and step key.
func (s *Service) Step(ctx context.Context, run, key string) (*response.Run, *response.Step, error) {
	rs, err := s.Runs(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rs {
		if r.ID != run {
			continue
		}
		for _, st := range r.Steps {
			if st.Key == key {
				return r, st, nil
			}
		}
	}
	return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "step", "no step %q in run %q", key, run)
}

// Scorecard computes the scorecard as of asOf, in windows of every from
// the first confirmation's day (every empty: one overall window).
func (s *Service) Scorecard(ctx context.Context, asOf time.Time, every agreement.Duration) (response.Scorecard, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.syncLocked(ctx); err != nil {
		return response.Scorecard{}, err
	}
	e := s.sched.Engine
	cases := e.Cases()
	windows, err := response.CaseWindows(s.Agreement, cases, asOf, every)
	if err != nil {
		return response.Scorecard{}, err
	}
	return response.Score(s.Agreement, e.Runs(), cases, asOf, windows), nil
}
