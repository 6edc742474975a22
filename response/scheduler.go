package response

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/pactwatch/pactwatch"
)

// Journal is where transitions are kept: the store implements it with its
// generic records (ledger.TypeAction, record id = Transition.ID, which the
// ledger keeps unique) and writes each transition's outbox messages in the
// same transaction.
type Journal interface {
	// Append stores the transitions in one transaction, in order. A
	// transition whose id is stored already is skipped with its messages:
	// that is what makes two servers computing the same deadline harmless.
	Append(ctx context.Context, ts []Transition) error
	// Since returns the transitions stored after the cursor, in the order
	// stored, and the cursor after them (0 is the beginning).
	Since(ctx context.Context, cursor int64) ([]Transition, int64, error)
}

// Scheduler applies deadlines on the injected clock. The server calls Tick
// every few seconds (or at Engine.Next) while it holds the store's
// TryLeader("response-scheduler") lock; a node that gains the lock syncs
// from the journal before acting, so it starts from what the previous
// leader stored. Even two nodes acting at once (a lost lock not yet
// noticed) compute the same transitions with the same ids, and the
// journal keeps one of each.
type Scheduler struct {
	Engine  *Engine
	Journal Journal

	cursor int64
}

// Sync applies the transitions other writers stored since the last sync
// (liaisons' actions through the API, another node's ticks).
func (s *Scheduler) Sync(ctx context.Context) error {
	ts, next, err := s.Journal.Since(ctx, s.cursor)
	if err != nil {
		return err
	}
	if err := s.Engine.Apply(ts...); err != nil {
		return err
	}
	s.cursor = next
	return nil
}

// Tick syncs, stores the deadline transitions due at the engine's Now, and
// applies them. If the store fails nothing is applied, and the next Tick
// computes the same transitions again: none lost, none doubled.
func (s *Scheduler) Tick(ctx context.Context) ([]Transition, error) {
	if err := s.Sync(ctx); err != nil {
		return nil, err
	}
	ts := s.Engine.Due(s.Engine.Now())
	if len(ts) == 0 {
		return nil, nil
	}
	if err := s.Journal.Append(ctx, ts); err != nil {
		return nil, err
	}
	return ts, s.Sync(ctx)
}

// MemJournal is an in-memory Journal (tests, and the shape of the store's).
// It keeps the canonical bytes, as the store does, so what is read back is
// what a restarted server would read.
type MemJournal struct {
	mu   sync.Mutex
	recs [][]byte
	ids  map[string]bool
	// Fail, if set, is returned by the next Append (then cleared).
	Fail error
}

// Append implements Journal.
func (j *MemJournal) Append(_ context.Context, ts []Transition) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.Fail; err != nil {
		j.Fail = nil
		return err
	}
	if j.ids == nil {
		j.ids = map[string]bool{}
	}
	var add [][]byte
	seen := map[string]bool{}
	for i := range ts {
		if j.ids[ts[i].ID] || seen[ts[i].ID] {
			continue
		}
		b, err := ts[i].Canonical()
		if err != nil {
			return err
		}
		seen[ts[i].ID] = true
		add = append(add, b)
	}
	for id := range seen {
		j.ids[id] = true
	}
	j.recs = append(j.recs, add...)
	return nil
}

// Since implements Journal.
func (j *MemJournal) Since(_ context.Context, cursor int64) ([]Transition, int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if cursor < 0 || cursor > int64(len(j.recs)) {
		return nil, 0, pactwatch.FieldErrorf(pactwatch.EINVALID, "cursor", "cursor %d out of range", cursor)
	}
	var out []Transition
	for _, b := range j.recs[cursor:] {
		t, err := ParseTransition(b)
		if err != nil {
			return nil, 0, pactwatch.Internal(err)
		}
		out = append(out, t)
	}
	return out, int64(len(j.recs)), nil
}

// Notification is one notify intent made concrete: the notifier turns it
// into a notify.Event for each of the recipient's subscriptions.
type Notification struct {
	Key       string          // Transition.ID "#" Recipient: stable per event
	Type      string          // Intent.Event
	Recipient string          // an actor id
	Data      json.RawMessage // the transition, without its intents
}

// Notifications returns the transition's notifications.
func (t *Transition) Notifications() ([]Notification, error) {
	if len(t.Notify) == 0 {
		return nil, nil
	}
	cp := *t
	cp.Notify = nil
	data, err := cp.Canonical()
	if err != nil {
		return nil, err
	}
	out := make([]Notification, len(t.Notify))
	for i, in := range t.Notify {
		out[i] = Notification{Key: t.ID + "#" + in.To, Type: in.Event, Recipient: in.To, Data: data}
	}
	return out, nil
}
