// Package responsebench measures what the response mechanism costs, on the
// example agreement (examples/ukraine: 29 steps per confirmed case, every
// third case within 30 days starting the 36-step systematic protocol):
//
//   - a state change written with its outbox messages in one transaction
//     (journalstore.Journal.Append of a case confirmation), against the
//     same change with no subscriptions;
//   - webhook delivery to a receiver on loopback that checks every
//     signature: deliveries per second draining a backlog, and the latency
//     from a state change's commit to its receipt while changes arrive at
//     a steady rate;
//   - the scheduler with 10,000 open steps: rebuilding the engine from the
//     store, an idle tick (sync + deadline scan), and a tick that stores a
//     burst of overdue transitions with their messages.
//
// `pactwatch bench notify` calls Run; the package's Benchmark functions time
// the same operations under `go test -bench`.
package responsebench

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the phases' schemas

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/examples"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/response/journalstore"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/store"
)

// Config says what to measure; zero fields take the defaults.
type Config struct {
	// DSN is the database: "" is SQLite files in a temporary folder; a
	// postgres:// URL gets one schema per phase, dropped afterwards.
	DSN string
	// Changes is how many state changes the enqueue phase writes (500).
	Changes int
	// Subscribers is how many subscriptions each actor has (1).
	Subscribers int
	// Messages is the backlog the delivery phase drains (5,000).
	Messages int
	// Workers is how many delivery workers run (2), as on two servers.
	Workers int
	// Batch is how many messages a worker claims at a time (32, as serve).
	Batch int
	// Rate is state changes per second in the latency phase (20), for
	// Duration (5 s).
	Rate     int
	Duration time.Duration
	// Interval is how often an idle worker looks for due messages (2 s,
	// as serve).
	Interval time.Duration
	// OpenSteps is the scheduler phase's number of open steps (10,000);
	// Ticks how many idle ticks it times (50).
	OpenSteps int
	Ticks     int
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Changes, 500)
	def(&c.Subscribers, 1)
	def(&c.Messages, 5000)
	def(&c.Workers, 2)
	def(&c.Batch, 32)
	def(&c.Rate, 20)
	def(&c.OpenSteps, 10000)
	def(&c.Ticks, 50)
	if c.Duration <= 0 {
		c.Duration = 5 * time.Second
	}
	if c.Interval <= 0 {
		c.Interval = 2 * time.Second
	}
	return c
}

// Latencies summarises a set of durations.
type Latencies struct {
	N             int
	P50, P99, Max time.Duration
}

func summarise(ds []time.Duration) Latencies {
	if len(ds) == 0 {
		return Latencies{}
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return Latencies{N: len(ds), P50: at(0.50), P99: at(0.99), Max: ds[len(ds)-1]}
}

// Enqueue is the enqueue phase's figures.
type Enqueue struct {
	Changes, Transitions, Messages int
	PerSec                         float64   // state changes per second, with messages
	Latency                        Latencies // per change (one transaction)
	BasePerSec                     float64   // the same changes, no subscriptions
	BaseLatency                    Latencies
}

// Delivery is the delivery phases' figures.
type Delivery struct {
	Messages   int
	Elapsed    time.Duration
	PerSec     float64
	Duplicates int       // receipts of a key already received (at-least-once)
	Latency    Latencies // commit of the state change → receipt, workers waking on their interval
	Changes    int       // state changes in the latency phase
	// WokenLatency is Latency with the workers also woken by each append
	// (Deliverer.Wake = Service.Appended).
	WokenLatency Latencies
}

// Tick is the scheduler phase's figures.
type Tick struct {
	OpenSteps, Runs int
	Load            time.Duration // engine rebuilt from the store
	Idle            Latencies     // tick with nothing due: sync + scan
	Scan            time.Duration // Engine.Due alone, in memory
	Burst           int           // overdue transitions stored by one tick
	BurstMessages   int
	BurstTime       time.Duration
}

// Result is every phase's figures.
type Result struct {
	Enqueue  Enqueue
	Delivery Delivery
	Tick     Tick
}

// Run measures and prints the figures to w.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	cfg = cfg.withDefaults()
	res, err := Measure(ctx, cfg)
	if err != nil {
		return err
	}
	db := "SQLite (temporary files)"
	if cfg.DSN != "" {
		db = redact(cfg.DSN)
	}
	e, d, t := res.Enqueue, res.Delivery, res.Tick
	_, err = fmt.Fprintf(w, `notify bench: %s, example agreement, %d subscription(s) per actor
outbox enqueue: %d state changes (%d transitions, %d messages, one transaction each): %.0f changes/s, p50 %v, p99 %v
  without subscriptions (no messages):  %.0f changes/s, p50 %v, p99 %v
delivery: %d messages to a loopback receiver checking signatures, %d workers, batches of %d: %.0f deliveries/s (%v), %d duplicates
  state change → receipt: %d messages from %d changes at %d/s, idle worker interval %v: p50 %v, p99 %v, max %v
  the same, workers also woken by each append (Deliverer.Wake): p50 %v, p99 %v, max %v
scheduler: %d open steps in %d runs: rebuilt from the store in %v; idle tick p50 %v, p99 %v (deadline scan alone %v)
  burst: one tick stored %d overdue transitions and %d messages in %v
`, db, cfg.Subscribers,
		e.Changes, e.Transitions, e.Messages, e.PerSec, r(e.Latency.P50), r(e.Latency.P99),
		e.BasePerSec, r(e.BaseLatency.P50), r(e.BaseLatency.P99),
		d.Messages, cfg.Workers, cfg.Batch, d.PerSec, d.Elapsed.Round(time.Millisecond), d.Duplicates,
		d.Latency.N, d.Changes, cfg.Rate, cfg.Interval, r(d.Latency.P50), r(d.Latency.P99), r(d.Latency.Max),
		r(d.WokenLatency.P50), r(d.WokenLatency.P99), r(d.WokenLatency.Max),
		t.OpenSteps, t.Runs, r(t.Load), r(t.Idle.P50), r(t.Idle.P99), r(t.Scan),
		t.Burst, t.BurstMessages, r(t.BurstTime))
	return err
}

// r rounds a duration for printing.
func r(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// redact hides a password in a database URL.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// Measure runs every phase.
func Measure(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	b, err := NewBench(cfg)
	if err != nil {
		return Result{}, err
	}
	defer b.Close()
	var res Result
	if res.Enqueue, err = b.enqueue(ctx); err != nil {
		return res, fmt.Errorf("enqueue: %w", err)
	}
	if res.Delivery, err = b.delivery(ctx); err != nil {
		return res, fmt.Errorf("delivery: %w", err)
	}
	if res.Tick, err = b.tick(ctx); err != nil {
		return res, fmt.Errorf("scheduler: %w", err)
	}
	return res, nil
}

// Bench holds what the phases share: the agreement, a signer, and the
// databases it made (one per phase, removed by Close).
type Bench struct {
	cfg     Config
	A       *agreement.Agreement
	Signer  notify.Signer
	tmp     string
	cleanup []func()
}

// NewBench prepares a benchmark on cfg's database (see Config.DSN); Close
// removes what it made.
func NewBench(cfg Config) (*Bench, error) {
	cfg = cfg.withDefaults()
	a, err := agreement.ParseFS(examples.Ukraine, "agreement.yaml")
	if err != nil {
		return nil, err
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	b := &Bench{cfg: cfg, A: a, Signer: notify.Signer{KeyID: "bench", Key: key}}
	if cfg.DSN == "" {
		if b.tmp, err = os.MkdirTemp("", "pactwatch-notifybench-"); err != nil {
			return nil, err
		}
		b.cleanup = append(b.cleanup, func() { os.RemoveAll(b.tmp) })
	} else if !strings.HasPrefix(cfg.DSN, "postgres://") && !strings.HasPrefix(cfg.DSN, "postgresql://") {
		return nil, fmt.Errorf("responsebench: database %q: want a postgres:// URL, or none for temporary SQLite files", redact(cfg.DSN))
	}
	return b, nil
}

// Close removes the phases' databases.
func (b *Bench) Close() {
	for i := len(b.cleanup) - 1; i >= 0; i-- {
		b.cleanup[i]()
	}
	b.cleanup = nil
}

// Open opens a fresh, empty store for one phase.
func (b *Bench) Open(ctx context.Context, name string, now func() time.Time) (store.Store, error) {
	dsn := ""
	if b.cfg.DSN == "" {
		dsn = "sqlite:" + filepath.Join(b.tmp, fmt.Sprintf("%s-%d.db", name, time.Now().UnixNano()))
	} else {
		db, err := sql.Open("pgx", b.cfg.DSN)
		if err != nil {
			return nil, err
		}
		schema := fmt.Sprintf("pwbench_%s_%d", strings.ReplaceAll(name, "-", "_"), time.Now().UnixNano())
		if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			db.Close()
			return nil, err
		}
		b.cleanup = append(b.cleanup, func() {
			db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
			db.Close()
		})
		u, err := url.Parse(b.cfg.DSN)
		if err != nil {
			return nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	st, err := store.Open(ctx, dsn, store.Options{Now: now})
	if err != nil {
		return nil, err
	}
	b.cleanup = append(b.cleanup, func() { st.Close() })
	return st, nil
}

// Actors are everyone a notification may go to: the mission, every
// guarantor (groups too) and every party.
func (b *Bench) Actors() []string {
	out := []string{agreement.ActorMission}
	for _, g := range b.A.Guarantors {
		out = append(out, g.ID)
	}
	for _, p := range b.A.Parties {
		out = append(out, p.ID)
	}
	return out
}

// Subscribe gives every actor n subscriptions to url.
func (b *Bench) Subscribe(ctx context.Context, st store.Store, n int, url string) error {
	for _, actor := range b.Actors() {
		for i := range n {
			s := notify.Subscription{ID: fmt.Sprintf("%s-%d", actor, i), Actor: actor, URL: url, By: "bench", Created: time.Now().UTC()}
			if err := st.PutSubscription(ctx, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// Changer makes state changes: each Change confirms one more case of the
// ceasefire commitment (an hour after the previous one) and appends its
// transitions — the case_confirmed record, the protocol's run, every
// third time the systematic run — with their messages in one transaction.
type Changer struct {
	Engine  *response.Engine
	Journal *journalstore.Journal
	Prefix  string
	// Appended, if set, receives a value (without blocking) after each
	// change, as service.Service.Appended does: the workers' Wake.
	Appended chan struct{}
	n        int
}

// NewChanger returns a Changer on st whose cases are named prefix-N.
func (b *Bench) NewChanger(st store.Store, prefix string, now func() time.Time) *Changer {
	return &Changer{Engine: response.New(b.A, now), Journal: &journalstore.Journal{Store: st, Now: now}, Prefix: prefix}
}

// T0 is the first case's confirmation time.
var T0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// Change makes one state change and returns its transitions.
func (c *Changer) Change(ctx context.Context) ([]response.Transition, error) {
	ts, err := c.Engine.Confirm(response.Case{ID: fmt.Sprintf("%s-%d", c.Prefix, c.n), Commitment: "ceasefire", Party: "russia",
		Confirmed: T0.Add(time.Duration(c.n) * time.Hour)})
	if err != nil {
		return nil, err
	}
	c.n++
	if err := c.Journal.Append(ctx, ts); err != nil {
		return nil, err
	}
	if c.Appended != nil {
		select {
		case c.Appended <- struct{}{}:
		default:
		}
	}
	return ts, nil
}

// subscribedKeys returns the idempotency keys of the messages ts call for
// (each sent to every subscription of its recipient).
func subscribedKeys(ts []response.Transition) ([]string, error) {
	var out []string
	for _, t := range ts {
		ns, err := t.Notifications()
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			out = append(out, n.Key)
		}
	}
	return out, nil
}

func (b *Bench) enqueue(ctx context.Context) (Enqueue, error) {
	var res Enqueue
	for _, subs := range []int{b.cfg.Subscribers, 0} {
		st, err := b.Open(ctx, "enqueue", time.Now)
		if err != nil {
			return res, err
		}
		if err := b.Subscribe(ctx, st, subs, "http://127.0.0.1:9/never"); err != nil {
			return res, err
		}
		ch := b.NewChanger(st, "case", func() time.Time { return T0 })
		lat := make([]time.Duration, 0, b.cfg.Changes)
		transitions, messages := 0, 0
		begin := time.Now()
		for range b.cfg.Changes {
			start := time.Now()
			ts, err := ch.Change(ctx)
			if err != nil {
				return res, err
			}
			lat = append(lat, time.Since(start))
			keys, err := subscribedKeys(ts)
			if err != nil {
				return res, err
			}
			transitions += len(ts)
			messages += len(keys) * subs
		}
		perSec := float64(b.cfg.Changes) / time.Since(begin).Seconds()
		if subs == 0 {
			res.BasePerSec, res.BaseLatency = perSec, summarise(lat)
			continue
		}
		res.Changes, res.Transitions, res.Messages = b.cfg.Changes, transitions, messages
		res.PerSec, res.Latency = perSec, summarise(lat)
		queued, err := st.Claim(ctx, T0.Add(1e5*time.Hour), messages+1, time.Minute)
		if err != nil {
			return res, err
		}
		if len(queued) != messages {
			return res, fmt.Errorf("%d messages queued, want %d", len(queued), messages)
		}
	}
	return res, nil
}

// Receiver is a webhook endpoint that checks every signature and notes
// when each idempotency key first arrived.
type Receiver struct {
	Pub string

	mu         sync.Mutex
	first      map[string]time.Time
	duplicates int
	bad        int
}

// NewReceiver returns a receiver for the signer's key.
func NewReceiver(s notify.Signer) *Receiver {
	return &Receiver{Pub: s.PublicKey(), first: map[string]time.Time{}}
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	now := time.Now()
	key := r.Header.Get(notify.HeaderKey)
	verr := notify.Verify(rc.Pub, r.Header.Get(notify.HeaderTimestamp), key, r.Header.Get(notify.HeaderSignature), body, now, 5*time.Minute)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil || verr != nil {
		rc.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	// The key is per recipient; the message id adds the subscription.
	id := r.URL.Path + " " + key
	if _, ok := rc.first[id]; ok {
		rc.duplicates++
	} else {
		rc.first[id] = now
	}
	w.WriteHeader(http.StatusNoContent)
}

// Received returns how many distinct messages arrived, how many twice,
// and how many with a bad signature.
func (rc *Receiver) Received() (n, duplicates, bad int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.first), rc.duplicates, rc.bad
}

func (rc *Receiver) at(id string) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	t, ok := rc.first[id]
	return t, ok
}

// Workers runs n delivery workers on st, woken by wake if not nil, until
// the returned stop is called.
func (b *Bench) Workers(st store.Store, n int, every time.Duration, wake <-chan struct{}) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	p := notify.DefaultPolicy()
	p.Batch = b.cfg.Batch
	for range n {
		d := &service.Deliverer{Store: st, Signer: b.Signer, Policy: p, Now: time.Now, Wake: wake}
		wg.Go(func() { d.Run(ctx, every) })
	}
	return func() { cancel(); wg.Wait() }
}

// Backlog makes state changes on st, whose subscriptions all go to
// receiver, until at least n messages are queued; it returns how many.
func (b *Bench) Backlog(ctx context.Context, st store.Store, receiver string, n int) (int, error) {
	if err := st.SetAllowlist(ctx, []string{"127.0.0.1"}); err != nil {
		return 0, err
	}
	if err := b.Subscribe(ctx, st, b.cfg.Subscribers, receiver); err != nil {
		return 0, err
	}
	ch := b.NewChanger(st, "backlog", time.Now)
	queued := 0
	for queued < n {
		ts, err := ch.Change(ctx)
		if err != nil {
			return queued, err
		}
		keys, err := subscribedKeys(ts)
		if err != nil {
			return queued, err
		}
		queued += len(keys) * b.cfg.Subscribers
	}
	return queued, nil
}

// waitReceived waits until rc has n distinct messages (or a minute of no
// progress: a stuck delivery).
func waitReceived(ctx context.Context, rc *Receiver, n int) error {
	last, progress := -1, time.Now()
	for {
		got, _, bad := rc.Received()
		switch {
		case bad > 0:
			return fmt.Errorf("%d webhooks with a bad signature", bad)
		case got >= n:
			return nil
		case got != last:
			last, progress = got, time.Now()
		case time.Since(progress) > time.Minute:
			return fmt.Errorf("delivery stalled at %d of %d messages", got, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (b *Bench) delivery(ctx context.Context) (Delivery, error) {
	var res Delivery
	// Throughput: drain a backlog.
	rc := NewReceiver(b.Signer)
	hs := httptest.NewServer(rc)
	defer hs.Close()
	st, err := b.Open(ctx, "delivery", time.Now)
	if err != nil {
		return res, err
	}
	n, err := b.Backlog(ctx, st, hs.URL+"/backlog", b.cfg.Messages)
	if err != nil {
		return res, err
	}
	begin := time.Now()
	stop := b.Workers(st, b.cfg.Workers, b.cfg.Interval, nil)
	err = waitReceived(ctx, rc, n)
	res.Elapsed = time.Since(begin)
	stop()
	if err != nil {
		return res, err
	}
	res.Messages, res.PerSec = n, float64(n)/res.Elapsed.Seconds()

	// Latency: state changes at a steady rate while the workers run, first
	// waking on their interval only, then also on each append.
	expect := n
	for _, wake := range []bool{false, true} {
		lat, changes, err := b.latency(ctx, hs.URL, rc, &expect, wake)
		if err != nil {
			return res, err
		}
		if wake {
			res.WokenLatency = lat
		} else {
			res.Latency, res.Changes = lat, changes
		}
	}
	_, res.Duplicates, _ = rc.Received()
	return res, nil
}

// latency makes state changes at cfg.Rate for cfg.Duration on a fresh
// store whose subscriptions go to receiver, and returns the delays from
// each change's commit to the receipt of its messages. expect counts the
// messages rc has received so far, and is moved on.
func (b *Bench) latency(ctx context.Context, receiver string, rc *Receiver, expect *int, wake bool) (Latencies, int, error) {
	name := map[bool]string{false: "latency", true: "woken"}[wake]
	st, err := b.Open(ctx, name, time.Now)
	if err != nil {
		return Latencies{}, 0, err
	}
	if err := st.SetAllowlist(ctx, []string{"127.0.0.1"}); err != nil {
		return Latencies{}, 0, err
	}
	if err := b.Subscribe(ctx, st, b.cfg.Subscribers, receiver+"/"+name); err != nil {
		return Latencies{}, 0, err
	}
	ch := b.NewChanger(st, name, time.Now)
	var signal <-chan struct{}
	if wake {
		ch.Appended = make(chan struct{}, 1)
		signal = ch.Appended
	}
	stop := b.Workers(st, b.cfg.Workers, b.cfg.Interval, signal)
	defer stop()
	committed := map[string]time.Time{} // message id as the receiver notes it → commit
	tick := time.NewTicker(time.Second / time.Duration(b.cfg.Rate))
	defer tick.Stop()
	changes := 0
	for end := time.Now().Add(b.cfg.Duration); time.Now().Before(end); {
		select {
		case <-ctx.Done():
			return Latencies{}, 0, ctx.Err()
		case <-tick.C:
		}
		ts, err := ch.Change(ctx)
		if err != nil {
			return Latencies{}, 0, err
		}
		at := time.Now()
		keys, err := subscribedKeys(ts)
		if err != nil {
			return Latencies{}, 0, err
		}
		for _, k := range keys {
			committed["/"+name+" "+k] = at
		}
		changes++
	}
	*expect += len(committed) * b.cfg.Subscribers
	if err := waitReceived(ctx, rc, *expect); err != nil {
		return Latencies{}, 0, err
	}
	var lat []time.Duration
	for id, at := range committed {
		got, ok := rc.at(id)
		if !ok {
			return Latencies{}, 0, fmt.Errorf("%s never arrived", id)
		}
		lat = append(lat, got.Sub(at))
	}
	return summarise(lat), changes, nil
}

// Fill confirms ceasefire cases a minute apart from T0 on st until at
// least n steps are open, and returns how many cases it confirmed. Nothing
// is due before T0 + 6 h (the first case's first step).
func (b *Bench) Fill(ctx context.Context, st store.Store, n int, now func() time.Time) (int, error) {
	eng := response.New(b.A, now)
	j := &journalstore.Journal{Store: st, Now: now}
	cases := 0
	for steps := 0; steps < n; cases++ {
		ts, err := eng.Confirm(response.Case{ID: fmt.Sprintf("case-%d", cases), Commitment: "ceasefire", Party: "russia",
			Confirmed: T0.Add(time.Duration(cases) * time.Minute)})
		if err != nil {
			return cases, err
		}
		if err := j.Append(ctx, ts); err != nil {
			return cases, err
		}
		for _, t := range ts {
			if t.Started != nil {
				steps += len(t.Started.Steps)
			}
		}
	}
	return cases, nil
}

func (b *Bench) tick(ctx context.Context) (Tick, error) {
	var res Tick
	var mu sync.Mutex
	now := T0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st, err := b.Open(ctx, "scheduler", clock)
	if err != nil {
		return res, err
	}
	if err := b.Subscribe(ctx, st, b.cfg.Subscribers, "http://127.0.0.1:9/never"); err != nil {
		return res, err
	}
	if _, err := b.Fill(ctx, st, b.cfg.OpenSteps, clock); err != nil {
		return res, err
	}
	mu.Lock()
	now = T0.Add(5 * time.Hour)
	mu.Unlock()
	start := time.Now()
	s := &response.Scheduler{Engine: response.New(b.A, clock), Journal: &journalstore.Journal{Store: st, Now: clock}}
	if err := s.Sync(ctx); err != nil {
		return res, err
	}
	res.Load = time.Since(start)
	res.OpenSteps, res.Runs = OpenSteps(s.Engine), len(s.Engine.Runs())
	var idle []time.Duration
	for range b.cfg.Ticks {
		start := time.Now()
		ts, err := s.Tick(ctx)
		if err != nil {
			return res, err
		}
		if len(ts) != 0 {
			return res, fmt.Errorf("an idle tick stored %d transitions", len(ts))
		}
		idle = append(idle, time.Since(start))
	}
	res.Idle = summarise(idle)
	start = time.Now()
	for range b.cfg.Ticks {
		s.Engine.Due(clock())
	}
	res.Scan = time.Since(start) / time.Duration(b.cfg.Ticks)

	// Every case's 6-hour step passes: one tick stores them all.
	mu.Lock()
	now = T0.Add(6*time.Hour + time.Duration(res.Runs)*time.Minute)
	mu.Unlock()
	start = time.Now()
	ts, err := s.Tick(ctx)
	if err != nil {
		return res, err
	}
	res.BurstTime = time.Since(start)
	res.Burst = len(ts)
	keys, err := subscribedKeys(ts)
	if err != nil {
		return res, err
	}
	res.BurstMessages = len(keys) * b.cfg.Subscribers
	return res, nil
}

// OpenSteps counts the steps not yet final.
func OpenSteps(e *response.Engine) int {
	n := 0
	for _, r := range e.Runs() {
		for _, s := range r.Steps {
			if !s.State.Final() {
				n++
			}
		}
	}
	return n
}
