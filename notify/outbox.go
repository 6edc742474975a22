package notify

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pactwatch/pactwatch"
)

// Subscription sends one actor's notifications to one URL. Admins add
// them (the server checks the role); Validate checks the URL with the guard.
type Subscription struct {
	ID      string    `json:"id"`
	Actor   string    `json:"actor"` // a guarantor, a party or "mission"
	URL     string    `json:"url"`
	By      string    `json:"by"` // the admin who added it
	Created time.Time `json:"created"`
}

// Validate checks the subscription's fields and its URL.
func (s Subscription) Validate(ctx context.Context, g *Guard) error {
	switch {
	case strings.TrimSpace(s.ID) == "":
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "id", "a subscription id is required")
	case strings.TrimSpace(s.Actor) == "":
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "actor", "say whose notifications it receives")
	}
	_, err := g.CheckURL(ctx, s.URL)
	return err
}

// Message is one event for one subscription: what the outbox keeps until
// it is delivered or dead.
type Message struct {
	ID           string    `json:"id"` // subscription id "/" event key: unique
	Subscription string    `json:"subscription"`
	URL          string    `json:"url"`
	Key          string    `json:"idempotency_key"`
	Body         []byte    `json:"body"`
	Created      time.Time `json:"created"`
	Attempts     int       `json:"attempts"`     // attempts started (Claim counts them)
	NextAttempt  time.Time `json:"next_attempt"` // due from then
	LastError    string    `json:"last_error,omitempty"`
	Delivered    time.Time `json:"delivered,omitzero"`
	Dead         time.Time `json:"dead,omitzero"` // dead-lettered
}

// Fanout returns the messages of an event: one per subscription of its
// recipient.
func Fanout(ev Event, subs []Subscription, now time.Time) ([]Message, error) {
	body, err := ev.Body()
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(ev.Key, "\r\n") {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "event.idempotency_key", "a key may not hold a line break")
	}
	var out []Message
	for _, s := range subs {
		if s.Actor == ev.Recipient {
			out = append(out, Message{ID: s.ID + "/" + ev.Key, Subscription: s.ID, URL: s.URL, Key: ev.Key, Body: body,
				Created: now, NextAttempt: now})
		}
	}
	return out, nil
}

// Outbox is the durable queue the worker drains. The store implements it
// with a table written in the same transaction as the records the
// messages announce; MemOutbox implements it for tests and a single
// process. Every method is safe for concurrent use.
type Outbox interface {
	// Enqueue adds messages; a message whose ID is already queued (in any
	// state) is skipped, so re-enqueueing after a crash is harmless.
	Enqueue(ctx context.Context, ms ...Message) error
	// Claim returns up to limit messages due at now (not delivered, not
	// dead, NextAttempt ≤ now), oldest due first, each with Attempts
	// incremented and NextAttempt moved to now+lease: a worker that dies
	// mid-delivery leaves them to be claimed again when the lease ends
	// (PostgreSQL: UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)).
	Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Message, error)
	// Delivered marks a message delivered.
	Delivered(ctx context.Context, id string, at time.Time) error
	// Retry schedules the next attempt.
	Retry(ctx context.Context, id string, next time.Time, lastError string) error
	// DeadLetter moves a message to the dead letters.
	DeadLetter(ctx context.Context, id string, at time.Time, lastError string) error
	// DeadLetters lists dead messages, oldest first.
	DeadLetters(ctx context.Context, limit int) ([]Message, error)
	// Replay makes a dead message due at now with its attempts reset
	// (ENOTFOUND if no such dead message). Its idempotency key is kept.
	Replay(ctx context.Context, id string, now time.Time) error
}

// MemOutbox is an in-memory Outbox.
type MemOutbox struct {
	mu   sync.Mutex
	msgs map[string]*Message
	seq  []string
}

// NewMemOutbox returns an empty outbox.
func NewMemOutbox() *MemOutbox { return &MemOutbox{msgs: map[string]*Message{}} }

// Enqueue implements Outbox.
func (o *MemOutbox) Enqueue(_ context.Context, ms ...Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, m := range ms {
		if m.ID == "" {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, "id", "a message id is required")
		}
		if o.msgs[m.ID] != nil {
			continue
		}
		m.Body = slices.Clone(m.Body)
		o.msgs[m.ID] = &m
		o.seq = append(o.seq, m.ID)
	}
	return nil
}

// Claim implements Outbox.
func (o *MemOutbox) Claim(_ context.Context, now time.Time, limit int, lease time.Duration) ([]Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var due []*Message
	for _, id := range o.seq {
		m := o.msgs[id]
		if m.Delivered.IsZero() && m.Dead.IsZero() && !m.NextAttempt.After(now) {
			due = append(due, m)
		}
	}
	slices.SortStableFunc(due, func(a, b *Message) int { return a.NextAttempt.Compare(b.NextAttempt) })
	var out []Message
	for _, m := range due[:min(limit, len(due))] {
		m.Attempts++
		m.NextAttempt = now.Add(lease)
		cp := *m
		cp.Body = slices.Clone(m.Body)
		out = append(out, cp)
	}
	return out, nil
}

func (o *MemOutbox) get(id string) (*Message, error) {
	m := o.msgs[id]
	if m == nil {
		return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no message %q", id)
	}
	return m, nil
}

// Delivered implements Outbox.
func (o *MemOutbox) Delivered(_ context.Context, id string, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m, err := o.get(id)
	if err == nil {
		m.Delivered, m.LastError = at, ""
	}
	return err
}

// Retry implements Outbox.
func (o *MemOutbox) Retry(_ context.Context, id string, next time.Time, lastError string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m, err := o.get(id)
	if err == nil {
		m.NextAttempt, m.LastError = next, lastError
	}
	return err
}

// DeadLetter implements Outbox.
func (o *MemOutbox) DeadLetter(_ context.Context, id string, at time.Time, lastError string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m, err := o.get(id)
	if err == nil {
		m.Dead, m.LastError = at, lastError
	}
	return err
}

// DeadLetters implements Outbox.
func (o *MemOutbox) DeadLetters(_ context.Context, limit int) ([]Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Message
	for _, id := range o.seq {
		if m := o.msgs[id]; !m.Dead.IsZero() && len(out) < limit {
			out = append(out, *m)
		}
	}
	return out, nil
}

// Replay implements Outbox.
func (o *MemOutbox) Replay(_ context.Context, id string, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.msgs[id]
	if m == nil || m.Dead.IsZero() {
		return pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no dead message %q", id)
	}
	m.Dead, m.Attempts, m.NextAttempt = time.Time{}, 0, now
	return nil
}

// Messages returns a copy of every message, in order of enqueueing.
func (o *MemOutbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Message, len(o.seq))
	for i, id := range o.seq {
		out[i] = *o.msgs[id]
	}
	return out
}
