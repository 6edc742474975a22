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
	"time"
)

// Policy is how hard the worker tries.
type Policy struct {
	MaxAttempts int           // attempts before a message is dead-lettered
	Base        time.Duration // the delay after the first failure
	Max         time.Duration // the longest delay
	Lease       time.Duration // how long a claimed message is the worker's
	Batch       int           // messages per claim
}

// DefaultPolicy: 10 attempts over about 4 hours (30 s, 1 min, 2 min, … up
// to 1 h apart), 2-minute leases, 32 messages a claim.
func DefaultPolicy() Policy {
	return Policy{MaxAttempts: 10, Base: 30 * time.Second, Max: time.Hour, Lease: 2 * time.Minute, Batch: 32}
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
	Rand   func() float64 // jitter in [0, 1); nil: math/rand/v2
}

// Stats counts what one pass did.
type Stats struct {
	Delivered, Retried, Dead int
}

// RunOnce claims one batch of due messages and attempts each once. It
// returns the first outbox error (delivery failures are not errors: they
// are retried or dead-lettered).
func (w *Worker) RunOnce(ctx context.Context) (Stats, error) {
	var st Stats
	ms, err := w.Outbox.Claim(ctx, w.Now(), w.Policy.Batch, w.Policy.Lease)
	if err != nil {
		return st, err
	}
	for _, m := range ms {
		derr := w.deliver(ctx, m)
		now := w.Now()
		switch {
		case derr == nil:
			err = w.Outbox.Delivered(ctx, m.ID, now)
			st.Delivered++
		case m.Attempts >= w.Policy.MaxAttempts:
			err = w.Outbox.DeadLetter(ctx, m.ID, now, derr.Error())
			st.Dead++
		default:
			err = w.Outbox.Retry(ctx, m.ID, now.Add(w.Policy.Backoff(m.Attempts, w.rand())), derr.Error())
			st.Retried++
		}
		if err != nil {
			return st, err
		}
	}
	return st, nil
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
