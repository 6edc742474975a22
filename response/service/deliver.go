package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/store"
)

// Deliverer drains the store's webhook outbox. Every node may run one:
// claims lease messages (FOR UPDATE SKIP LOCKED on PostgreSQL), so two
// workers never send one attempt twice. The admin allow-list is re-read
// on every pass, so a change takes effect without a restart; the guard
// checks each dialled address against it.
type Deliverer struct {
	Store   store.Store
	Signer  notify.Signer
	Policy  notify.Policy // zero: notify.DefaultPolicy()
	Now     func() time.Time
	Log     *slog.Logger
	Timeout time.Duration // per request (default 10 s)
	// Wake, if set, starts a pass at once when it receives (Service.Appended:
	// transitions were just stored with their messages) instead of at the
	// next interval.
	Wake <-chan struct{}
}

// RunOnce makes one delivery pass with the current allow-list.
func (d *Deliverer) RunOnce(ctx context.Context) (notify.Stats, error) {
	list, err := d.Store.Allowlist(ctx)
	if err != nil {
		return notify.Stats{}, err
	}
	allow, err := notify.ParseAllow(list)
	if err != nil {
		return notify.Stats{}, err
	}
	p := d.Policy
	if p.MaxAttempts == 0 {
		p = notify.DefaultPolicy()
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	g := &notify.Guard{Allow: allow}
	w := &notify.Worker{Outbox: d.Store, Client: g.Client(timeout), Signer: d.Signer, Policy: p, Now: d.Now}
	defer w.Client.CloseIdleConnections() // a new client (and guard) each pass
	return w.RunOnce(ctx)
}

// Run delivers every interval, and whenever Wake receives, until ctx ends,
// passing again at once while passes come back with a full batch (a
// backlog drains at the receivers' pace, not one batch per interval);
// outbox errors are logged and retried at the next pass (the messages stay
// in the outbox).
func (d *Deliverer) Run(ctx context.Context, every time.Duration) {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	batch := d.Policy.Batch
	if d.Policy.MaxAttempts == 0 {
		batch = notify.DefaultPolicy().Batch
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("notify: delivery pass failed; retrying", "err", err)
		}
		n := st.Delivered + st.Retried + st.Dead
		if n > 0 {
			log.Info("notify: webhooks", "delivered", st.Delivered, "retried", st.Retried, "dead", st.Dead)
		}
		if err == nil && n >= batch && ctx.Err() == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.Wake: // nil: never
		}
	}
}
