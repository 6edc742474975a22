package postgres_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/url"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

// TestStore runs the shared suite with a fresh schema per test (the store
// uses its connection's search_path), dropped at the end.
func TestStore(t *testing.T) {
	admin := storetest.PostgresURL(t)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := func(t *testing.T, key string) string {
		return fmt.Sprintf("storetest_%x", sha256.Sum256([]byte(t.Name()+key)))[:40]
	}
	storetest.Run(t, storetest.Harness{
		Postgres: true,
		Open: func(t *testing.T, key string, opts store.Options) store.Store {
			schema := schema(t, key)
			if _, err := db.Exec("CREATE SCHEMA IF NOT EXISTS " + schema); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE") })
			s, err := store.Open(context.Background(), withSearchPath(t, admin, schema), opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		SQL: func(t *testing.T, key string) *sql.DB {
			raw, err := sql.Open("pgx", withSearchPath(t, admin, schema(t, key)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			return raw
		},
	})
}

func withSearchPath(t *testing.T, u, schema string) string {
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set("search_path", schema)
	p.RawQuery = q.Encode()
	return p.String()
}

// TestKill kills a writing process with SIGKILL and checks that every
// acknowledged record survived with its leaf.
func TestKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process")
	}
	admin := storetest.PostgresURL(t)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := fmt.Sprintf("storekill_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	defer db.Exec("DROP SCHEMA " + schema + " CASCADE")
	storetest.Kill(t, withSearchPath(t, admin, schema), "TestKillHelper", 2000)
}

// TestKillHelper is TestKill's child process; on its own it does nothing.
func TestKillHelper(t *testing.T) { storetest.KillChild() }
