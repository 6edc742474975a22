package ledgerbench_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgerbench"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storebench"
	"github.com/pactwatch/pactwatch/store/storetest"
)

// TestSyntheticTreeIsRFC6962 checks the synthetic tree against the same
// leaves stored by ledgertest (through tlog.StoredHashes).
func TestSyntheticTreeIsRFC6962(t *testing.T) {
	ctx := context.Background()
	const n = 1000
	syn := ledgerbench.NewSyntheticTree(n)
	m := ledgertest.New()
	for i := range n {
		m.Append([]byte{0, 0, 0, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}[:8])
	}
	for _, size := range []int64{1, 2, 255, 256, 257, 1000} {
		a, err := ledger.TreeHash(ctx, syn, size)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := ledger.TreeHash(ctx, m, size)
		if a != b {
			t.Errorf("root of %d differs", size)
		}
	}
}

// TestRunPrintsFigures runs a small measurement end to end. It asserts
// what was measured, never how fast.
func TestRunPrintsFigures(t *testing.T) {
	var out bytes.Buffer
	err := ledgerbench.Run(context.Background(), ledgerbench.Config{Entries: 5000, Proofs: 50, Rate: 2000, Interval: 20 * time.Millisecond, Duration: 300 * time.Millisecond, AuditEntries: 3000}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"inclusion proof at 5000 entries", "consistency proof at 5000 entries", "all verified", "covered by a cosigned checkpoint", "3000 entries audited over loopback HTTP"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	res, err := ledgerbench.Measure(context.Background(), ledgerbench.Config{Entries: 300, Proofs: 10, Duration: -1, AuditEntries: -1})
	if err != nil || res.Inclusion.N != 10 || res.Consistency.N != 10 || res.Entries != 300 {
		t.Errorf("Measure: %+v, %v", res, err)
	}
}

var benchTree = map[int64]*ledgerbench.SyntheticTree{}

func tree(b *testing.B, n int64) *ledgerbench.SyntheticTree {
	if t, ok := benchTree[n]; ok {
		return t
	}
	b.StopTimer()
	t := ledgerbench.NewSyntheticTree(n)
	benchTree[n] = t
	b.StartTimer()
	return t
}

// BenchmarkInclusionProof1M times one inclusion proof in a 1M-entry tree
// held in memory (`pactwatch bench ledger` does 10M).
func BenchmarkInclusionProof1M(b *testing.B) {
	ctx := context.Background()
	src := tree(b, 1<<20)
	i := int64(0)
	for b.Loop() {
		i = (i*7919 + 1) % (1 << 20)
		if _, err := ledger.InclusionProof(ctx, src, i, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConsistencyProof1M(b *testing.B) {
	ctx := context.Background()
	src := tree(b, 1<<20)
	old := int64(1)
	for b.Loop() {
		old = (old*7919+1)%(1<<20-1) + 1
		if _, err := ledger.ConsistencyProof(ctx, src, old, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuditPerEntry(b *testing.B) {
	ctx := context.Background()
	m := ledgertest.New()
	const n = 4096
	for i := range n {
		m.Append(ledger.NewEntry(ledger.TypeObservation, "r", time.Unix(int64(i), 0), []byte("x"), []byte("s"), nil, nil).Marshal())
	}
	root, _ := ledger.TreeHash(ctx, m, n)
	cp := ledger.Checkpoint{Origin: "o", Size: n, Hash: root}
	for b.Loop() {
		if _, err := ledger.Audit(ctx, m, cp, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
}

// TestGoals runs the full measurement (10M entries, ~1 GB of RAM, a few
// seconds of CPU) only when PACTWATCH_LEDGERBENCH=full, printing the
// figures; `pactwatch bench ledger` prints the same.
func TestGoals(t *testing.T) {
	if os.Getenv("PACTWATCH_LEDGERBENCH") != "full" {
		t.Skip("set PACTWATCH_LEDGERBENCH=full to measure at 10M entries")
	}
	if err := ledgerbench.Run(context.Background(), ledgerbench.Config{}, testWriter{t}); err != nil {
		t.Fatal(err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// TestMeasureDB runs the coverage measurement briefly through SQLite (and
// PostgreSQL when PACTWATCH_TEST_POSTGRES is set). It asserts what was
// measured, never how fast.
func TestMeasureDB(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			dsn := ""
			if name == "postgres" {
				dsn = storetest.PostgresSchema(t)
			}
			cfg := ledgerbench.DBConfig{DSN: dsn, Rate: 1000, Interval: 20 * time.Millisecond, Duration: 300 * time.Millisecond}
			res, err := ledgerbench.MeasureDB(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Records != 300 || res.Coverage.N != 30 || res.Ack.N != 30 {
				t.Errorf("measured %d records, %d coverages, %d acks; want 300, 30, 30", res.Records, res.Coverage.N, res.Ack.N)
			}
			if res.Checkpoints == 0 || res.Publish.N == 0 || res.Witness.N != res.Checkpoints {
				t.Errorf("checkpoints %d, publish timings %d, witness timings %d", res.Checkpoints, res.Publish.N, res.Witness.N)
			}
			var out bytes.Buffer
			if err := ledgerbench.RunDB(context.Background(), cfg, 1, &out); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"run 1: 300 observations acknowledged", "covered by a published checkpoint: median", "p95", "state file"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// BenchmarkPublishSQLite times one checkpoint through SQLite as serve
// makes it, without witnesses: tree size, root and consistency proof from
// the stored hashes, the state file (two fsyncs; "no-state" leaves it
// out, to show its cost), the signature and the stored checkpoint (a
// commit), after 50 observations were appended (not timed). `pactwatch
// bench checkpoint` measures the whole path at 5,000/s.
func BenchmarkPublishSQLite(b *testing.B) {
	for _, withState := range []bool{true, false} {
		name := "state"
		if !withState {
			name = "no-state"
		}
		b.Run(name, func(b *testing.B) { benchmarkPublish(b, withState) })
	}
}

func benchmarkPublish(b *testing.B, withState bool) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	lsk, _, err := note.GenerateKey(bytes.NewReader(make([]byte, 32)), "bench.pactwatch.example/log")
	if err != nil {
		b.Fatal(err)
	}
	s, v, err := ledger.LoadLogKey(lsk)
	if err != nil {
		b.Fatal(err)
	}
	cp := &ledger.Checkpointer{Source: st, Store: st, Signer: s, Verifier: v}
	if withState {
		cp.State = ledger.StateFile{Path: filepath.Join(dir, "log.state")}
	}
	run, k := time.Now().UnixNano(), 0
	for b.Loop() {
		b.StopTimer()
		var recs []observation.Record
		var leaves []store.Leaf
		for range 50 {
			r, l := storebench.Observation(run, k)
			k++
			recs, leaves = append(recs, r), append(leaves, l)
		}
		if _, err := st.InsertObservations(ctx, recs, leaves); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if ok, err := cp.Publish(ctx); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
