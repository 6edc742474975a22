package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

func TestStore(t *testing.T) {
	dir := t.TempDir()
	path := func(key string) string { return filepath.Join(dir, fmt.Sprintf("%x.db", sha256.Sum256([]byte(key)))) }
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T, key string, opts store.Options) store.Store {
			s, err := store.Open(context.Background(), "sqlite:"+path(key), opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		SQL: func(t *testing.T, key string) *sql.DB {
			db, err := sql.Open("sqlite", "file:"+path(key)+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	})
}

// TestKill kills a writing process with SIGKILL and checks that every
// acknowledged record survived with its leaf.
func TestKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process")
	}
	storetest.Kill(t, "sqlite:"+filepath.Join(t.TempDir(), "kill.db"), "TestKillHelper", 2000)
}

// TestKillHelper is TestKill's child process; on its own it does nothing.
func TestKillHelper(t *testing.T) { storetest.KillChild() }
