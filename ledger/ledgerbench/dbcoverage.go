package ledgerbench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storebench"
	"github.com/pactwatch/pactwatch/witness"
)

// DBConfig configures the checkpoint-coverage measurement through a real
// database: the goal "a record covered by a published checkpoint within
// 100 ms at 5,000 records/s". Zero fields take the defaults.
type DBConfig struct {
	// DSN is the database: "" is a new SQLite file in a temporary folder;
	// a postgres:// database should be empty or disposable (it is filled).
	DSN string
	// Rate is how many observations arrive per second (default 5,000), in
	// batches every Tick (default 10 ms), each batch one store call as the
	// intake makes them; calls overlap when the store is slower than Tick.
	Rate int
	Tick time.Duration
	// Interval is the Checkpointer's --checkpoint-interval (default 50 ms,
	// the interval the goal names; serve's default is 1 s).
	Interval time.Duration
	// Duration is how long observations arrive (default 10 s).
	Duration time.Duration
	// Witnesses is how many witnesses cosign over loopback HTTP, each with
	// its state file, all required (default 1; < 0 for none).
	Witnesses int
}

func (c DBConfig) withDefaults() DBConfig {
	if c.Rate <= 0 {
		c.Rate = 5000
	}
	if c.Tick <= 0 {
		c.Tick = 10 * time.Millisecond
	}
	if c.Interval <= 0 {
		c.Interval = 50 * time.Millisecond
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Witnesses == 0 {
		c.Witnesses = 1
	}
	if c.Witnesses < 0 {
		c.Witnesses = 0
	}
	return c
}

// DBResult holds the figures of one run.
type DBResult struct {
	Records     int           // observations acknowledged by the store
	Elapsed     time.Duration // first arrival to last acknowledgement
	Rate        float64       // sustained observations/s
	Ack         Stats         // one store call: arrival to acknowledgement
	Coverage    Stats         // acknowledgement to the first published checkpoint covering it
	Checkpoints int           // checkpoints published during the run
	// Where a checkpoint's time goes, per published checkpoint: reading
	// the tree (tree size, root and consistency proof from stored
	// hashes), saving the signer's state file, the witnesses' answers,
	// storing the cosigned checkpoint, and the whole Publish.
	Read, State, Witness, Put, Publish Stats
}

// MeasureDB runs the measurement once.
func MeasureDB(ctx context.Context, cfg DBConfig) (DBResult, error) {
	cfg = cfg.withDefaults()
	dir, err := os.MkdirTemp("", "pactwatch-ledgerbench-")
	if err != nil {
		return DBResult{}, err
	}
	defer os.RemoveAll(dir)
	dsn := cfg.DSN
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return DBResult{}, err
	}
	defer st.Close()

	lsk, _, err := note.GenerateKey(bytes.NewReader(make([]byte, 32)), "bench.pactwatch.example/log")
	if err != nil {
		return DBResult{}, err
	}
	signer, verifier, err := ledger.LoadLogKey(lsk)
	if err != nil {
		return DBResult{}, err
	}
	tm := &timings{}
	var ws []ledger.WitnessClient
	for i := range cfg.Witnesses {
		wsk, wvk, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{byte(i + 1)}, 32)), fmt.Sprintf("bench.pactwatch.example/witness-%d", i))
		if err != nil {
			return DBResult{}, err
		}
		cs, err := witness.NewCosigner(wsk, nil)
		if err != nil {
			return DBResult{}, err
		}
		wit, err := witness.New(witness.Config{Signer: cs, Logs: []note.Verifier{verifier}, StatePath: filepath.Join(dir, fmt.Sprintf("witness-%d.json", i))})
		if err != nil {
			return DBResult{}, err
		}
		srv := httptest.NewServer(wit.Handler())
		defer srv.Close()
		wv, err := fnote.NewVerifierForCosignatureV1(wvk)
		if err != nil {
			return DBResult{}, err
		}
		ws = append(ws, &timedWitness{WitnessClient: &witness.Client{URL: srv.URL, Verifier: wv, HTTP: srv.Client()}, t: tm})
	}
	cp := &ledger.Checkpointer{
		Source: &timedSource{Source: st, t: tm}, Store: &timedStore{CheckpointStore: st, t: tm},
		Signer: signer, Verifier: verifier, Witnesses: ws, Quorum: len(ws),
		Interval: cfg.Interval, Leader: st,
		State: &timedState{SignerState: ledger.StateFile{Path: filepath.Join(dir, "log.state")}, t: tm},
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); cp.Run(runCtx) }()
	defer func() { stop(); wg.Wait() }()

	// Build the observations first: the figure is the store's and the
	// checkpointer's, not the generator's.
	perTick := max(1, int(int64(cfg.Rate)*int64(cfg.Tick)/int64(time.Second)))
	ticks := int(cfg.Duration / cfg.Tick)
	run := time.Now().UnixNano()
	type batch struct {
		recs   []observation.Record
		leaves []store.Leaf
	}
	batches := make([]batch, ticks)
	for b := range batches {
		for i := range perTick {
			r, l := storebench.Observation(run, b*perTick+i)
			batches[b].recs = append(batches[b].recs, r)
			batches[b].leaves = append(batches[b].leaves, l)
		}
	}

	var mu sync.Mutex
	var ack, cover []time.Duration
	var lastAck time.Time
	var firstErr error
	var calls sync.WaitGroup
	t := time.NewTicker(cfg.Tick)
	defer t.Stop()
	begin := time.Now()
	for b := range batches {
		arrived := time.Now()
		calls.Add(1)
		go func(b batch) {
			defer calls.Done()
			res, err := st.InsertObservations(ctx, b.recs, b.leaves)
			acked := time.Now()
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			var size int64
			for _, r := range res {
				size = max(size, r.Record.Seq)
			}
			mu.Lock()
			ack = append(ack, acked.Sub(arrived))
			if acked.After(lastAck) {
				lastAck = acked
			}
			mu.Unlock()
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := cp.Wait(wctx, size); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("no checkpoint covered index %d within 30 s: %w", size-1, err)
				}
				mu.Unlock()
				return
			}
			d := time.Since(acked)
			mu.Lock()
			cover = append(cover, d)
			mu.Unlock()
		}(batches[b])
		select {
		case <-t.C:
		case <-ctx.Done():
			return DBResult{}, ctx.Err()
		}
	}
	calls.Wait()
	if firstErr != nil {
		return DBResult{}, firstErr
	}
	stop()
	wg.Wait()
	res := DBResult{Records: len(ack) * perTick, Elapsed: lastAck.Sub(begin), Ack: stats(ack), Coverage: stats(cover)}
	res.Rate = float64(res.Records) / res.Elapsed.Seconds()
	tm.mu.Lock()
	defer tm.mu.Unlock()
	res.Checkpoints = len(tm.put)
	res.Read, res.State, res.Witness, res.Put, res.Publish = stats(tm.read), stats(tm.state), stats(tm.witness), stats(tm.put), stats(tm.publish)
	return res, nil
}

// RunDB measures runs times and prints each run's figures to w.
func RunDB(ctx context.Context, cfg DBConfig, runs int, w io.Writer) error {
	cfg = cfg.withDefaults()
	db := "SQLite (temporary file)"
	if cfg.DSN != "" {
		db = redact(cfg.DSN)
	}
	fmt.Fprintf(w, "checkpoint coverage through %s: %d observations/s in batches every %v, checkpoint interval %v, %d witness(es) over loopback HTTP, %v per run\n",
		db, cfg.Rate, cfg.Tick, cfg.Interval, cfg.Witnesses, cfg.Duration)
	for i := range max(runs, 1) {
		res, err := MeasureDB(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "run %d: %d observations acknowledged at %.0f/s sustained; %d checkpoints\n", i+1, res.Records, res.Rate, res.Checkpoints)
		fmt.Fprintf(w, "  acknowledged → covered by a published checkpoint: %s (goal < 100ms)\n", res.Coverage.Long())
		fmt.Fprintf(w, "  store call (arrival → acknowledged):               %s\n", res.Ack.Long())
		fmt.Fprintf(w, "  per checkpoint: publish %s\n", res.Publish.Short())
		fmt.Fprintf(w, "    read tree %s; state file %s; witnesses %s; store %s\n", res.Read.Short(), res.State.Short(), res.Witness.Short(), res.Put.Short())
	}
	return nil
}

// Long prints median, p95, p99 and max.
func (s Stats) Long() string {
	r := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("median %s, p95 %s, p99 %s, max %s (n=%d)", r(s.Median), r(s.P95), r(s.P99), r(s.Max), s.N)
}

// Short prints median and p99.
func (s Stats) Short() string {
	r := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("median %s p99 %s", r(s.Median), r(s.P99))
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// timings collects where each Publish spends its time. A Publish starts
// with the TreeSize call that first returned the size it signs and ends
// with PutCheckpoint; the phases in between are timed by the wrappers.
type timings struct {
	mu                                 sync.Mutex
	seen                               map[int64]time.Time // first TreeSize call returning each size
	readAcc, stateAcc, witnessAcc      time.Duration
	read, state, witness, put, publish []time.Duration
}

func (t *timings) sized(n int64, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen == nil {
		t.seen = map[int64]time.Time{}
	}
	if _, ok := t.seen[n]; !ok {
		t.seen[n] = at
	}
}

func (t *timings) add(acc *time.Duration, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	*acc += d
}

// maxAdd keeps the slowest of parallel calls (the witnesses are asked at
// once, so the Publish waits for the slowest).
func (t *timings) maxAdd(acc *time.Duration, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	*acc = max(*acc, d)
}

func (t *timings) published(size int64, put time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.put = append(t.put, put)
	t.read = append(t.read, t.readAcc)
	t.state = append(t.state, t.stateAcc)
	t.witness = append(t.witness, t.witnessAcc)
	if start, ok := t.seen[size]; ok {
		t.publish = append(t.publish, time.Since(start))
	}
	t.seen, t.readAcc, t.stateAcc, t.witnessAcc = nil, 0, 0, 0
}

type timedSource struct {
	ledger.Source
	t *timings
}

func (s *timedSource) TreeSize(ctx context.Context) (int64, error) {
	start := time.Now()
	n, err := s.Source.TreeSize(ctx)
	s.t.add(&s.t.readAcc, time.Since(start))
	if err == nil {
		s.t.sized(n, start)
	}
	return n, err
}

func (s *timedSource) ReadHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	start := time.Now()
	h, err := s.Source.ReadHashes(ctx, indexes)
	s.t.add(&s.t.readAcc, time.Since(start))
	return h, err
}

type timedStore struct {
	ledger.CheckpointStore
	t *timings
}

func (s *timedStore) PutCheckpoint(ctx context.Context, size int64, note []byte) error {
	start := time.Now()
	err := s.CheckpointStore.PutCheckpoint(ctx, size, note)
	if err == nil {
		s.t.published(size, time.Since(start))
	}
	return err
}

type timedWitness struct {
	ledger.WitnessClient
	t *timings
}

func (w *timedWitness) AddCheckpoint(ctx context.Context, oldSize int64, proof []ledger.Hash, checkpoint []byte) ([]note.Signature, error) {
	start := time.Now()
	sigs, err := w.WitnessClient.AddCheckpoint(ctx, oldSize, proof, checkpoint)
	w.t.maxAdd(&w.t.witnessAcc, time.Since(start))
	return sigs, err
}

type timedState struct {
	ledger.SignerState
	t *timings
}

func (s *timedState) Save(cp ledger.Checkpoint) error {
	start := time.Now()
	err := s.SignerState.Save(cp)
	s.t.add(&s.t.stateAcc, time.Since(start))
	return err
}
