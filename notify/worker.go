package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Policy is how hard the worker tries.
type Policy struct {
	MaxAttempts int           // attempts before a message is dead-lettered
	Base        time.Duration // the delay after the first failure
	Max         time.Duration // the longest delay
	Lease       time.Duration // how long a claimed message is the worker's
	Batch       int           // messages per claim
	// Parallel is how many messages of a batch are attempted at once (0
	// or 1: one after the other). Concurrent attempts keep one slow or
	// dead receiver (each attempt may wait for the client's timeout) from
	// holding up every other subscription's messages, and let the store
	// commit their outcomes together.
	Parallel int
}

// DefaultPolicy: 10 attempts over about 4 hours (30 s, 1 min, 2 min, … up
// to 1 h apart), 2-minute leases, 32 messages a claim, 8 at a time.
func DefaultPolicy() Policy {
	return Policy{MaxAttempts: 10, Base: 30 * time.Second, Max: time.Hour, Lease: 2 * time.Minute, Batch: 32, Parallel: 8}
}

// Backoff returns the delay after the attempt-th failure: Base·2^(attempt−1)
// capped at Max, then jittered into [d/2, d) by r ∈ [0, 1) so that many
// messages failing together do not retry together.
func (p Policy) Backoff(attempt int, r float64) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d/2 + time.Duration(r*float64(d/2))
}

// Worker delivers the outbox's messages as signed webhooks, at least once.
type Worker struct {
	Outbox Outbox
	Client *http.Client // Guard.Client: every dial checked
	Signer Signer
	Policy Policy
	Now    func() time.Time
	Rand   func() float64 // jitter in [0, 1), called from concurrent attempts; nil: math/rand/v2
}

// Stats counts what one pass did.
type Stats struct {
	Delivered, Retried, Dead int
}

// RunOnce claims one batch of due messages and attempts each once, up to
// Policy.Parallel at a time. It returns the first outbox error (delivery
// failures are not errors: they are retried or dead-lettered); a message
// whose outcome could not be stored is claimed again when its lease ends.
func (w *Worker) RunOnce(ctx context.Context) (Stats, error) {
	var st Stats
	ms, err := w.Outbox.Claim(ctx, w.Now(), w.Policy.Batch, w.Policy.Lease)
	if err != nil {
		return st, err
	}
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, max(w.Policy.Parallel, 1))
	for _, m := range ms {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			outcome, err := w.attempt(ctx, m)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			switch outcome {
			case delivered:
				st.Delivered++
			case dead:
				st.Dead++
			default:
				st.Retried++
			}
		})
	}
	wg.Wait()
	return st, first
}

type outcome int

const (
	retried outcome = iota
	delivered
	dead
)

// attempt delivers one claimed message once and stores the outcome.
func (w *Worker) attempt(ctx context.Context, m Message) (outcome, error) {
	derr := w.deliver(ctx, m)
	now := w.Now()
	switch {
	case derr == nil:
		return delivered, w.Outbox.Delivered(ctx, m.ID, now)
	case m.Attempts >= w.Policy.MaxAttempts:
		return dead, w.Outbox.DeadLetter(ctx, m.ID, now, derr.Error())
	default:
		return retried, w.Outbox.Retry(ctx, m.ID, now.Add(w.Policy.Backoff(m.Attempts, w.rand())), derr.Error())
	}
}

func (w *Worker) rand() float64 {
	if w.Rand != nil {
		return w.Rand()
	}
	return rand.Float64()
}

// deliver makes one attempt: a fresh timestamp and signature, the same key
// and body every time. Only a 2xx answer counts as delivered.
func (w *Worker) deliver(ctx context.Context, m Message) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return err
	}
	ts := w.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pactwatch-webhook/1")
	req.Header.Set(HeaderKey, m.Key)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, w.Signer.Sign(ts, m.Key, m.Body))
	req.Header.Set(HeaderKeyID, w.Signer.KeyID)
	req.Header.Set(HeaderAttempt, strconv.Itoa(m.Attempts))
	resp, err := w.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// Run drains the outbox every interval until ctx ends, passing on at once
// while batches come back full. An outbox error (a restarting database) is
// logged and the pass retried at the next interval: the messages are still
// there. The server runs it on one node (or on every node: Claim's leases
// keep them apart).
func (w *Worker) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Warn("notify: outbox", "err", err)
		}
		if err == nil && st.Delivered+st.Retried+st.Dead >= w.Policy.Batch {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
