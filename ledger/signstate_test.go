package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.state")
	sf := ledger.StateFile{Path: path}
	if _, ok, err := sf.Load(); ok || err != nil {
		t.Fatalf("missing file: ok %v, err %v", ok, err)
	}
	cp := ledger.Checkpoint{Origin: testOrigin, Size: 42, Hash: ledger.LeafHash([]byte("x"))}
	if err := sf.Save(cp); err != nil {
		t.Fatal(err)
	}
	got, ok, err := sf.Load()
	if !ok || err != nil || got.Size != 42 || got.Hash != cp.Hash || got.Origin != testOrigin {
		t.Fatalf("Load = %+v, %v, %v", got, ok, err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v, %v", info, err)
	}
	if err := os.WriteFile(path, []byte("not a checkpoint"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sf.Load(); pactwatch.ErrorCode(err) != pactwatch.EINTERNAL || fieldOf(err) != "log_state" {
		t.Fatalf("corrupt file: %v", err)
	}
}

// memState is a SignerState in memory that counts saves.
type memState struct {
	mu    sync.Mutex
	cp    *ledger.Checkpoint
	saves int
}

func (m *memState) Load() (ledger.Checkpoint, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cp == nil {
		return ledger.Checkpoint{}, false, nil
	}
	return *m.cp, true, nil
}

func (m *memState) Save(cp ledger.Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cp = &cp
	m.saves++
	return nil
}

// twin builds a log of the entries e0…e(n-1) and publishes its checkpoint
// without a state file: the "backup" a test restores.
func twin(t *testing.T, n int) *ledgertest.MemLog {
	m := ledgertest.New()
	grow(m, n)
	s, v := logKey(t)
	if ok, err := (&ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v}).Publish(context.Background()); !ok || err != nil {
		t.Fatalf("publishing the backup: %v, %v", ok, err)
	}
	return m
}

func TestCheckpointerSignerState(t *testing.T) {
	ctx := context.Background()
	s, v := logKey(t)
	st := &memState{}
	live := ledgertest.New()
	grow(live, 5)
	c := &ledger.Checkpointer{Source: live, Store: live, Signer: s, Verifier: v, State: st}
	if ok, err := c.Publish(ctx); !ok || err != nil {
		t.Fatalf("Publish: %v, %v", ok, err)
	}
	grow(live, 5)
	if ok, err := c.Publish(ctx); !ok || err != nil {
		t.Fatalf("Publish: %v, %v", ok, err)
	}
	if st.cp == nil || st.cp.Size != 10 || st.saves != 2 {
		t.Fatalf("state after two checkpoints: %+v (%d saves)", st.cp, st.saves)
	}
	root, _ := ledger.TreeHash(ctx, live, 10)
	if st.cp.Hash != root {
		t.Fatal("state file holds another root")
	}

	t.Run("normal restart", func(t *testing.T) {
		c := &ledger.Checkpointer{Source: live, Store: live, Signer: s, Verifier: v, State: st}
		grow(live, 3)
		if ok, err := c.Publish(ctx); !ok || err != nil {
			t.Fatalf("Publish after restart: %v, %v", ok, err)
		}
		if st.cp.Size != 13 {
			t.Fatalf("state size %d, want 13", st.cp.Size)
		}
	})

	refused := func(t *testing.T, db *ledgertest.MemLog, want ...string) {
		t.Helper()
		signer := &countingSigner{Signer: s}
		c := &ledger.Checkpointer{Source: db, Store: db, Signer: signer, Verifier: v, State: st}
		ok, err := c.Publish(ctx)
		if ok || pactwatch.ErrorCode(err) != pactwatch.ECONFLICT || !errors.Is(err, ledger.ErrInconsistent) || fieldOf(err) != "log_state" {
			t.Fatalf("Publish on an older database: %v, %v", ok, err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
		if signer.n.Load() != 0 {
			t.Fatalf("signed %d checkpoints", signer.n.Load())
		}
	}
	t.Run("older backup refused", func(t *testing.T) {
		refused(t, twin(t, 5), "holds 5 entries", "latest stored checkpoint: size 5", "size 13")
	})
	t.Run("older backup that took new records refused", func(t *testing.T) {
		old := twin(t, 5)
		for i := range 12 { // different entries at indexes 5…16
			old.Append([]byte(fmt.Sprintf("new record %d", i)))
		}
		refused(t, old, "first 13 entries")
	})
	t.Run("lost checkpoints, entries kept", func(t *testing.T) {
		// The database's latest checkpoint is behind the file but its
		// entries are the signed ones: the file's tree head is signed
		// again and extended.
		db := ledgertest.New()
		grow(db, 13) // the same entries as live's first 13
		small := ledgertest.New()
		grow(small, 7)
		if _, err := (&ledger.Checkpointer{Source: small, Store: small, Signer: s, Verifier: v}).Publish(ctx); err != nil {
			t.Fatal(err)
		}
		_, note7, _ := small.LatestCheckpoint(ctx)
		if err := db.PutCheckpoint(ctx, 7, note7); err != nil {
			t.Fatal(err)
		}
		c := &ledger.Checkpointer{Source: db, Store: db, Signer: s, Verifier: v, State: st}
		if ok, err := c.Publish(ctx); !ok || err != nil {
			t.Fatalf("Publish: %v, %v", ok, err)
		}
		if size, _ := c.Latest(); size != 13 {
			t.Fatalf("published size %d, want 13", size)
		}
	})
}

// A follower records in its state file what the leader publishes, so that
// once it leads it refuses a database older than the leader's last
// checkpoint, not only older than its own.
func TestCheckpointerFollowerSavesState(t *testing.T) {
	ctx := context.Background()
	s, v := logKey(t)
	m := ledgertest.New()
	grow(m, 4)
	leader := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v, Interval: 5 * time.Millisecond}
	if ok, err := leader.Publish(ctx); !ok || err != nil {
		t.Fatal(ok, err)
	}
	st := &memState{}
	follower := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v, State: st, Leader: refusingLeader{}, Interval: 5 * time.Millisecond}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); follower.Run(runCtx) }()
	defer func() { stop(); <-done }()
	waitFor(t, "the follower saves size 4", func() bool { return saved(follower, st) == 4 })
	grow(m, 6)
	if _, err := leader.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the follower saves size 10", func() bool { return saved(follower, st) == 10 })
}

func saved(c *ledger.Checkpointer, st *memState) int64 {
	// Latest is published after the save: read the state behind it.
	if size, _ := c.Latest(); size == 0 {
		return 0
	}
	if cp, ok, _ := st.Load(); ok {
		return cp.Size
	}
	return 0
}

// refusingLeader never grants the lock: another server leads.
type refusingLeader struct{}

func (refusingLeader) TryLeader(ctx context.Context, name string) (func(), bool, error) {
	return func() {}, false, nil
}

func (refusingLeader) TryLead(ctx context.Context, name string) (context.Context, func(), bool, error) {
	return nil, func() {}, false, nil
}

// TestCheckpointerRestoredSQLiteBackup restores an older copy of a real
// SQLite database under a newer state file: the checkpointer refuses to
// sign, and after a normal restart on the newer database it signs.
func TestCheckpointerRestoredSQLiteBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "pactwatch.db")
	state := ledger.StateFile{Path: filepath.Join(dir, "log.state")}
	s, v := logKey(t)
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	next, gen := 0, 0
	session := func(add int, publish bool) error {
		st, err := store.Open(ctx, dbPath, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var recs []store.GenericRecord
		for range add {
			id := fmt.Sprintf("report-%04d", next)
			next++
			body := []byte(fmt.Sprintf(`{"gen":%d}`, gen))
			recs = append(recs, store.GenericRecord{Type: ledger.TypeReport, ID: id, Time: at, Body: body, Leaf: storetest.LeafFor(ledger.TypeReport, id, at, body)})
		}
		if len(recs) > 0 {
			if _, err := st.AppendRecords(ctx, recs); err != nil {
				t.Fatal(err)
			}
		}
		if !publish {
			return nil
		}
		ok, err := (&ledger.Checkpointer{Source: st, Store: st, Signer: s, Verifier: v, State: state, Leader: st}).Publish(ctx)
		if err == nil && !ok {
			t.Fatal("nothing published")
		}
		return err
	}
	if err := session(20, true); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	copyFile(t, dbPath, backup)
	if err := session(30, true); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	copyFile(t, dbPath, newer)

	copyFile(t, backup, dbPath) // the operator restores yesterday's backup
	next, gen = 20, 1           // and new records take the indexes of signed ones
	err := session(40, true)
	if pactwatch.ErrorCode(err) != pactwatch.ECONFLICT || !errors.Is(err, ledger.ErrInconsistent) {
		t.Fatalf("Publish on the restored backup: %v", err)
	}
	if !strings.Contains(err.Error(), "first 50 entries") {
		t.Fatalf("error does not name the signed size: %v", err)
	}

	copyFile(t, newer, dbPath) // the newer database back: a normal restart
	next = 50
	if err := session(5, true); err != nil {
		t.Fatalf("normal restart: %v", err)
	}
	if cp, ok, _ := state.Load(); !ok || cp.Size != 55 {
		t.Fatalf("state %+v, %v; want size 55", cp, ok)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(to + suffix)
	}
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
