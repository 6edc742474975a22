// Package ledgerbench measures the ledger's speed goals and prints them:
// inclusion and consistency proofs at 10M entries (goal < 1 ms each), and
// how soon an appended entry is covered by a published, witness-cosigned
// checkpoint at 5,000 entries/s with a 50 ms checkpoint interval (goal
// < 100 ms). `pactwatch bench ledger` calls Run.
package ledgerbench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
	"github.com/pactwatch/pactwatch/ledger/logserver"
	"github.com/pactwatch/pactwatch/ledger/tileclient"
	"github.com/pactwatch/pactwatch/witness"
)

// Config says what to measure. The zero value measures the goals.
type Config struct {
	// Entries is the tree size for the proof benchmark; 0 means 10M.
	Entries int64
	// Source, when set, is a real store holding at least one entry: proofs
	// are timed against it (at its own tree size) instead of an in-memory
	// tree of Entries leaves.
	Source ledger.Source
	// Proofs is how many proofs of each kind to time; 0 means 2000.
	Proofs int
	// Rate (entries/s), Interval and Duration drive the coverage
	// measurement; 0 means 5000/s, 50 ms and 3 s. Duration < 0 skips it.
	Rate     int
	Interval time.Duration
	Duration time.Duration
	// AuditEntries is the size of the log `pactwatch verify --server`
	// audits over loopback HTTP (its tiles and bundles); 0 means 100,000,
	// < 0 skips it.
	AuditEntries int64
}

// Result holds the figures.
type Result struct {
	Entries                int64
	BuildTime              time.Duration // building the in-memory tree; 0 for a given Source
	Inclusion, Consistency Stats
	Coverage               Stats   // append → covered by a published cosigned checkpoint
	Checkpoints            int     // checkpoints published during the coverage run
	AuditRate              float64 // entries/s audited over tiles by verify's core
}

// Stats summarises timings.
type Stats struct {
	N                     int
	Median, P95, P99, Max time.Duration
}

func stats(d []time.Duration) Stats {
	if len(d) == 0 {
		return Stats{}
	}
	slices.Sort(d)
	return Stats{N: len(d), Median: d[len(d)/2], P95: d[min(len(d)-1, len(d)*95/100)], P99: d[min(len(d)-1, len(d)*99/100)], Max: d[len(d)-1]}
}

func (s Stats) String() string {
	return fmt.Sprintf("median %v, p99 %v, max %v (n=%d)", s.Median.Round(time.Microsecond/10), s.P99.Round(time.Microsecond/10), s.Max.Round(time.Microsecond/10), s.N)
}

// Run measures and prints the figures to w.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	_, err := measure(ctx, cfg, w)
	return err
}

// Measure is Run without printing.
func Measure(ctx context.Context, cfg Config) (Result, error) {
	return measure(ctx, cfg, io.Discard)
}

func measure(ctx context.Context, cfg Config, w io.Writer) (Result, error) {
	var res Result
	if cfg.Entries <= 0 {
		cfg.Entries = 10_000_000
	}
	if cfg.Proofs <= 0 {
		cfg.Proofs = 2000
	}
	src := cfg.Source
	if src == nil {
		fmt.Fprintf(w, "ledger: building an in-memory tree of %d entries (%d stored hashes, %d MB)…\n",
			cfg.Entries, tlog.StoredHashCount(cfg.Entries), tlog.StoredHashCount(cfg.Entries)*32>>20)
		start := time.Now()
		src = NewSyntheticTree(cfg.Entries)
		res.BuildTime = time.Since(start)
		fmt.Fprintf(w, "ledger: built in %v\n", res.BuildTime.Round(time.Millisecond))
	}
	size, err := src.TreeSize(ctx)
	if err != nil {
		return res, err
	}
	if size < 2 {
		return res, pactwatch.Errorf(pactwatch.EINVALID, "the ledger has %d entries; proofs need at least 2", size)
	}
	res.Entries = size
	root, err := ledger.TreeHash(ctx, src, size)
	if err != nil {
		return res, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var incl, cons []time.Duration
	for range cfg.Proofs {
		idx := rng.Int64N(size)
		start := time.Now()
		p, err := ledger.InclusionProof(ctx, src, idx, size)
		incl = append(incl, time.Since(start))
		if err != nil {
			return res, err
		}
		leaf, err := src.ReadHashes(ctx, []int64{tlog.StoredHashIndex(0, idx)})
		if err != nil {
			return res, err
		}
		if err := tlog.CheckRecord(p, size, root, idx, leaf[0]); err != nil {
			return res, pactwatch.Internal(fmt.Errorf("inclusion proof of %d does not verify: %v", idx, err))
		}
	}
	for range cfg.Proofs {
		old := 1 + rng.Int64N(size-1)
		start := time.Now()
		p, err := ledger.ConsistencyProof(ctx, src, old, size)
		cons = append(cons, time.Since(start))
		if err != nil {
			return res, err
		}
		oldRoot, err := ledger.TreeHash(ctx, src, old)
		if err != nil {
			return res, err
		}
		if err := ledger.CheckConsistency(p, old, oldRoot, size, root); err != nil {
			return res, pactwatch.Internal(fmt.Errorf("consistency proof %d→%d: %v", old, size, err))
		}
	}
	res.Inclusion, res.Consistency = stats(incl), stats(cons)
	fmt.Fprintf(w, "inclusion proof at %d entries:   %v, all verified (goal < 1ms)\n", size, res.Inclusion)
	fmt.Fprintf(w, "consistency proof at %d entries: %v, all verified (goal < 1ms)\n", size, res.Consistency)

	if cfg.Duration >= 0 {
		if err := coverage(ctx, cfg, &res, w); err != nil {
			return res, err
		}
	}
	if cfg.AuditEntries >= 0 {
		if err := auditOverTiles(ctx, cfg, &res, w); err != nil {
			return res, err
		}
	}
	return res, nil
}

// auditOverTiles serves a log of real entries with logserver and times
// ledger.Audit reading it through tileclient, as `pactwatch verify
// --server` does: every bundle and tile fetched over loopback HTTP, every
// hash recomputed.
func auditOverTiles(ctx context.Context, cfg Config, res *Result, w io.Writer) error {
	n := cfg.AuditEntries
	if n == 0 {
		n = 100_000
	}
	m := ledgertest.New()
	const batch = 1000
	entries := make([][]byte, 0, batch)
	for i := int64(0); i < n; i++ {
		entries = append(entries, ledger.NewEntry(ledger.TypeObservation, fmt.Sprintf("0190f1c2-7e4a-7000-8000-%012d", i), time.Unix(1_800_000_000+i, 0), []byte("record"), []byte("salt"), []byte("public"), []byte("psalt")).Marshal())
		if len(entries) == batch || i == n-1 {
			m.Append(entries...)
			entries = entries[:0]
		}
	}
	lsk, _, err := note.GenerateKey(bytes.NewReader(make([]byte, 32)), "bench.pactwatch.example/log")
	if err != nil {
		return err
	}
	signer, verifier, err := ledger.LoadLogKey(lsk)
	if err != nil {
		return err
	}
	if _, err := (&ledger.Checkpointer{Source: m, Store: m, Signer: signer, Verifier: verifier}).Publish(ctx); err != nil {
		return err
	}
	mux := http.NewServeMux()
	logserver.New(m).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	start := time.Now()
	c := &tileclient.Client{URL: srv.URL + "/log", HTTP: srv.Client()}
	msg, err := c.Checkpoint(ctx)
	if err != nil {
		return err
	}
	cp, _, err := ledger.OpenCheckpoint(msg, verifier)
	if err != nil {
		return err
	}
	c.Size = cp.Size
	rep, err := ledger.Audit(ctx, c, cp, nil, nil)
	if err != nil {
		return err
	}
	d := time.Since(start)
	res.AuditRate = float64(rep.Size) / d.Seconds()
	fmt.Fprintf(w, "verify --server core: %d entries audited over loopback HTTP in %v (%.0f entries/s, %d requests)\n", rep.Size, d.Round(time.Millisecond), res.AuditRate, c.Fetches)
	return nil
}

// coverage appends entries at cfg.Rate into an in-memory log whose
// Checkpointer runs at cfg.Interval, saves its state file and pushes
// every checkpoint to a witness over loopback HTTP (quorum 1), and times each batch from append
// to its coverage by a published cosigned checkpoint.
func coverage(ctx context.Context, cfg Config, res *Result, w io.Writer) error {
	rate, interval, dur := cfg.Rate, cfg.Interval, cfg.Duration
	if rate <= 0 {
		rate = 5000
	}
	if interval <= 0 {
		interval = 50 * time.Millisecond
	}
	if dur == 0 {
		dur = 3 * time.Second
	}
	m := ledgertest.New()
	lsk, _, err := note.GenerateKey(bytes.NewReader(make([]byte, 32)), "bench.pactwatch.example/log")
	if err != nil {
		return err
	}
	signer, verifier, err := ledger.LoadLogKey(lsk)
	if err != nil {
		return err
	}
	wsk, wvk, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 32)), "bench.pactwatch.example/witness")
	if err != nil {
		return err
	}
	cs, err := witness.NewCosigner(wsk, nil)
	if err != nil {
		return err
	}
	wit, err := witness.New(witness.Config{Signer: cs, Logs: []note.Verifier{verifier}})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(wit.Handler())
	defer srv.Close()
	wv, err := fnote.NewVerifierForCosignatureV1(wvk)
	if err != nil {
		return err
	}
	store := &countingStore{MemLog: m}
	dir, err := os.MkdirTemp("", "pactwatch-ledgerbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cp := &ledger.Checkpointer{Source: m, Store: store, Signer: signer, Verifier: verifier, Interval: interval,
		Witnesses: []ledger.WitnessClient{&witness.Client{URL: srv.URL, Verifier: wv, HTTP: srv.Client()}}, Quorum: 1,
		State: ledger.StateFile{Path: filepath.Join(dir, "log.state")}}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); cp.Run(runCtx) }()
	defer func() { stop(); wg.Wait() }()

	// Append in 10 ms batches, each waited for by its own goroutine.
	const tick = 10 * time.Millisecond
	perTick := max(1, rate*int(tick)/int(time.Second))
	var mu sync.Mutex
	var lat []time.Duration
	var waits sync.WaitGroup
	t := time.NewTicker(tick)
	defer t.Stop()
	end := time.Now().Add(dur)
	n := 0
	for time.Now().Before(end) {
		<-t.C
		batch := make([][]byte, perTick)
		for i := range batch {
			batch[i] = ledger.NewEntry(ledger.TypeObservation, fmt.Sprintf("bench-%d", n), time.Now(), []byte("r"), []byte("s"), nil, nil).Marshal()
			n++
		}
		at := time.Now()
		first := m.Append(batch...)
		waits.Add(1)
		go func(size int64) {
			defer waits.Done()
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if cp.Wait(wctx, size) == nil {
				mu.Lock()
				lat = append(lat, time.Since(at))
				mu.Unlock()
			}
		}(first + int64(len(batch)))
	}
	waits.Wait()
	res.Coverage = stats(lat)
	stop()
	wg.Wait()
	res.Checkpoints = int(store.puts.Load())
	fmt.Fprintf(w, "append → covered by a cosigned checkpoint at %d entries/s, interval %v, 1 witness over HTTP: %v, %d checkpoints (goal < 100ms)\n", rate, interval, res.Coverage, res.Checkpoints)
	return nil
}

// countingStore counts published checkpoints.
type countingStore struct {
	*ledgertest.MemLog
	puts atomic.Int64
}

func (c *countingStore) PutCheckpoint(ctx context.Context, size int64, note []byte) error {
	c.puts.Add(1)
	return c.MemLog.PutCheckpoint(ctx, size, note)
}

// SyntheticTree is an in-memory ledger.Source of n leaves whose entries are
// not kept: leaf i hashes the 8-byte big-endian i. Its stored hashes are a
// real RFC 6962 tree, so proofs over it verify.
type SyntheticTree struct {
	size   int64
	hashes []tlog.Hash
}

// NewSyntheticTree computes the 2n-1 stored hashes of n leaves, with the
// binary-counter merge tlog's storage order follows.
func NewSyntheticTree(n int64) *SyntheticTree {
	hashes := make([]tlog.Hash, 0, tlog.StoredHashCount(n))
	var stack []tlog.Hash
	var buf [9]byte // 0x00 ‖ index: RFC 6962 leaf hash input
	for i := int64(0); i < n; i++ {
		binary.BigEndian.PutUint64(buf[1:], uint64(i))
		h := tlog.Hash(sha256.Sum256(buf[:]))
		hashes = append(hashes, h)
		for k := i; k&1 == 1; k >>= 1 {
			h = tlog.NodeHash(stack[len(stack)-1], h)
			stack = stack[:len(stack)-1]
			hashes = append(hashes, h)
		}
		stack = append(stack, h)
	}
	return &SyntheticTree{size: n, hashes: hashes}
}

// TreeSize implements ledger.Source.
func (s *SyntheticTree) TreeSize(ctx context.Context) (int64, error) { return s.size, nil }

// ReadHashes implements ledger.Source.
func (s *SyntheticTree) ReadHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	out := make([][32]byte, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s.hashes)) {
			return nil, pactwatch.Errorf(pactwatch.ENOTFOUND, "no stored hash %d", x)
		}
		out[i] = s.hashes[x]
	}
	return out, nil
}

// Entries implements ledger.Source; a synthetic tree keeps no entries.
func (s *SyntheticTree) Entries(ctx context.Context, from, to int64) ([][]byte, error) {
	return nil, pactwatch.Errorf(pactwatch.EINVALID, "a synthetic tree keeps no entries")
}
