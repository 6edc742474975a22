package storetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"hash/fnv"
	"net/url"
	"testing"
	"time"
)

// PostgresSchema returns the URL of a fresh schema in the PostgreSQL
// server of PACTWATCH_TEST_POSTGRES (search_path set), dropped after the
// test; without the variable the test is skipped as PostgresURL says.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	admin := PostgresURL(t)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("t_%x", sha256.Sum256([]byte(t.Name()+time.Now().String())))[:40]
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE") })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TerminateLeader kills, with pg_terminate_backend, the PostgreSQL session
// holding the store's leadership lock name in db's current schema (db must
// use the store's search_path), as a crash, a network partition or an
// operator would end it. It returns how many sessions it terminated: 1
// when a store held the lock.
func TerminateLeader(ctx context.Context, db *sql.DB, name string) (int, error) {
	// The lock key as store computes it: hashtextextended of the schema,
	// seeded with FNV-1a of the name.
	f := fnv.New64a()
	f.Write([]byte("pactwatch-leader:" + name))
	var killed int
	err := db.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1 AND granted
		AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(current_schema(), $1)`, int64(f.Sum64())).Scan(&killed)
	return killed, err
}

// TerminateLeaderAt is TerminateLeader on the store at dsn; the test fails
// unless exactly one session held the lock.
func TerminateLeaderAt(t testing.TB, dsn, name string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := TerminateLeader(context.Background(), db, name); err != nil || n != 1 {
		t.Fatalf("terminated %d holders of the %q lock (%v), want 1", n, name, err)
	}
}
