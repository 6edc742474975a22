package sqlite_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

func TestStore(t *testing.T) {
	dir := t.TempDir()
	storetest.Run(t, func(t *testing.T, key string) store.Store {
		path := filepath.Join(dir, fmt.Sprintf("%x.db", sha256.Sum256([]byte(key))))
		s, err := store.Open(context.Background(), "sqlite:"+path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
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
