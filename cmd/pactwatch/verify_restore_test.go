package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/ledger"
)

// TestServeRefusesRestoredBackup restores an older copy of a server's
// database under its newer log state file: the restarted server refuses
// to sign (naming the sizes) while it keeps serving the log's reads, and
// `verify --server` still verifies what was published; with the newer
// database back, it signs again.
func TestServeRefusesRestoredBackup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	data := t.TempDir()
	db := filepath.Join(data, dataDBName)
	type session struct {
		url  string
		out  *serveOutput
		stop func()
	}
	start := func() session {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		out := &serveOutput{}
		errc := make(chan error, 1)
		go func() {
			errc <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-level", "error", "--data", data, "--checkpoint-interval", "50ms"}, out, out)
		}()
		stop := func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("serve: %v\n%s", err, out)
			}
		}
		for deadline := time.Now().Add(60 * time.Second); ; {
			if _, after, ok := strings.Cut(out.String(), " serving "); ok {
				return session{strings.Fields(after)[0], out, stop}
			}
			if time.Now().After(deadline) {
				stop()
				t.Fatalf("serve did not start:\n%s", out)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	next := 0
	add := func(s session, n int) {
		t.Helper()
		token, err := os.ReadFile(filepath.Join(data, "admin.token"))
		if err != nil {
			t.Fatal(err)
		}
		c := client.New(s.url, strings.TrimSpace(string(token)))
		for range n {
			next++
			if _, err := c.AddPrincipal(context.Background(), client.PrincipalRequest{Name: fmt.Sprintf("analyst %d", next), Role: "analyst"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkpoint := func(s session) int64 {
		t.Helper()
		resp, err := http.Get(s.url + "/log/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return 0
		}
		text, _, _ := strings.Cut(string(b), "\n\n")
		cp, err := ledger.ParseCheckpoint([]byte(text + "\n"))
		if err != nil {
			t.Fatalf("checkpoint %q: %v", b, err)
		}
		return cp.Size
	}
	waitFor := func(s session, what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s:\n%s", what, s.out)
			}
		}
	}

	// First life: a few records, all published.
	s := start()
	add(s, 2)
	var first int64
	waitFor(s, "a checkpoint", func() bool { first = checkpoint(s); return first > 0 })
	s.stop()
	backup := filepath.Join(t.TempDir(), "backup.db")
	copyDB(t, db, backup)

	// Second life: more records, published (the state file says so).
	s = start()
	add(s, 3)
	var second int64
	// Until every entry is signed: records the server appends at start
	// may be the same after the restore; the principals are not.
	waitFor(s, "a checkpoint of the whole tree", func() bool {
		second = checkpoint(s)
		return second >= first+3 && second == treeSize(t, db)
	})
	s.stop()
	saved, ok, err := ledger.StateFile{Path: filepath.Join(data, "log.state")}.Load()
	if err != nil || !ok || saved.Size < second {
		t.Fatalf("state file: %+v, %v, %v; want size ≥ %d", saved, ok, err, second)
	}
	second = saved.Size
	newer := filepath.Join(t.TempDir(), "newer.db")
	copyDB(t, db, newer)

	// The operator restores the backup; new records take the indexes of
	// published ones. The server refuses to sign and keeps serving.
	copyDB(t, backup, db)
	s = start()
	add(s, 5)
	want := fmt.Sprintf("already signed a checkpoint of size %d", second)
	waitFor(s, "the refusal", func() bool { return strings.Contains(s.out.String(), "refusing to sign") })
	if out := s.out.String(); !strings.Contains(out, "log_state") || !strings.Contains(out, filepath.Join(data, "log.state")) ||
		!(strings.Contains(out, want) || strings.Contains(out, fmt.Sprintf("first %d entries", second))) {
		t.Errorf("refusal does not name the sizes and the state file:\n%s", out)
	}
	if got := checkpoint(s); got == 0 || got >= second {
		t.Errorf("serving checkpoint size %d, want the backup's (below %d)", got, second)
	}
	var stdout, stderr string
	stdout, stderr, err = runCLI(t, "verify", "--server", s.url, "--quorum", "0")
	if err != nil || !strings.Contains(stdout, "\nOK\n") {
		t.Errorf("verify --server on the restored server: %v\n%s%s", err, stdout, stderr)
	}
	s.stop()

	// The newer database back: a normal restart signs again.
	copyDB(t, newer, db)
	s = start()
	add(s, 1)
	waitFor(s, "a checkpoint past the state file's", func() bool { return checkpoint(s) > second })
	s.stop()
}

// treeSize reads the ledger's size from a running server's SQLite file.
func treeSize(t *testing.T, path string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT size FROM ledger_head WHERE id = 1").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// copyDB copies a stopped server's SQLite database file, dropping any
// write-ahead log left next to the target.
func copyDB(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(from + suffix); err == nil {
			b, err := os.ReadFile(from + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(to+suffix, b, 0o600); err != nil {
				t.Fatal(err)
			}
		} else {
			os.Remove(to + suffix)
		}
	}
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
