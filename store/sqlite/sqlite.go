// Package sqlite holds what is particular to pactwatch on SQLite: the
// migrations and the way to open a database file with the settings
// pactwatch's durability depends on. The shared SQL implementation is in
// package store (store.Open("sqlite:path")).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"
	"runtime"

	_ "modernc.org/sqlite" // the pure-Go "sqlite" database/sql driver
)

// Migrations are the schema changes, applied in file-name order.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// pragmas every connection gets. synchronous=FULL makes a commit survive
// power loss in WAL mode (NORMAL would only survive a process crash), which
// is what an acknowledgement promises; group commit pays for the fsync.
var pragmas = []string{
	"page_size(16384)",
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"busy_timeout(10000)",
	"foreign_keys(1)",
}

// writerPragmas make bulk appends cheaper: a page cache that holds the
// indexes being appended to, savepoint journals in memory rather than in
// temporary files, and fewer, larger WAL checkpoints (a page changed by
// many commits is copied back once).
var writerPragmas = []string{
	"cache_size(-65536)",
	"temp_store(MEMORY)",
	"wal_autocheckpoint(2048)",
}

// Open opens the database file at path (created if missing) twice: writer
// is a single connection whose transactions take the write lock at BEGIN
// (BEGIN IMMEDIATE), so a writer never fails half-way on a lock upgrade;
// readers is a pool of read-only connections that WAL lets run alongside
// the writer.
func Open(ctx context.Context, path string) (writer, readers *sql.DB, err error) {
	if path == "" {
		return nil, nil, fmt.Errorf("sqlite: empty database path")
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range append(pragmas, extra...) {
			q.Add("_pragma", p)
		}
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	writer, err = sql.Open("sqlite", dsn(writerPragmas...)+"&_txlock=immediate")
	if err != nil {
		return nil, nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	// Connecting the writer first creates the file and switches it to WAL
	// before any reader opens it.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	readers, err = sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		writer.Close()
		return nil, nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	readers.SetMaxOpenConns(n)
	readers.SetMaxIdleConns(n)
	if err := readers.PingContext(ctx); err != nil {
		writer.Close()
		readers.Close()
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return writer, readers, nil
}
