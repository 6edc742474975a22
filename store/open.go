package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/store/postgres"
	"github.com/pactwatch/pactwatch/store/sqlite"
)

// Options tune a store; the zero value is fine.
type Options struct {
	// Now is the clock (checkpoint and migration times); time.Now if nil.
	Now func() time.Time
	// MaxGroup caps how many leaves one group commit appends (default 20000).
	MaxGroup int
	// CommitTimeout bounds one group commit (default 30 s): past it the
	// group's callers get EUNAVAILABLE and nothing of the group is stored.
	CommitTimeout time.Duration
	// LeaderCheck is how often a PostgreSQL leadership checks that its
	// lock's connection is alive (default 5 s); see TryLead.
	LeaderCheck time.Duration
	// CommitDelay is how long the committer may hold a group open for more
	// writes (default DefaultCommitDelay; negative: never). It waits only
	// when it has time to spare (no write was waiting when its previous
	// commit ended) and writes are arriving concurrently (the group
	// already holds several, or the previous group did and ended moments
	// ago), and stops once a quarter of the delay passes without one: a
	// lone write is never delayed, a saturated committer never slowed,
	// and a moderate stream of single-record writes shares each fsync
	// among more of them. An acknowledgement still means committed: the
	// delay is before the commit, never after.
	CommitDelay time.Duration
}

// DefaultCommitDelay is Options.CommitDelay's default: long enough to
// gather a few more requests at thousands per second, short next to the
// fsync and the request's own latency.
const DefaultCommitDelay = time.Millisecond

// Open opens (creating and migrating if needed) the store named by dsn:
// "postgres://…" or "postgresql://…" is PostgreSQL, "sqlite:PATH" or a bare
// file path is SQLite.
func Open(ctx context.Context, dsn string, opts Options) (Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 20000
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 30 * time.Second
	}
	if opts.LeaderCheck <= 0 {
		opts.LeaderCheck = 5 * time.Second
	}
	if opts.CommitDelay == 0 {
		opts.CommitDelay = DefaultCommitDelay
	}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, closePool, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Field: "db", Message: "cannot connect to PostgreSQL: " + err.Error(), Err: err}
		}
		s, err := newDB(ctx, pgDialect, db, db, postgres.Migrations, opts, "")
		if err != nil {
			db.Close()
			closePool()
			return nil, err
		}
		s.closePool = closePool
		return s, nil
	case strings.HasPrefix(dsn, "sqlite:") || !strings.Contains(dsn, "://"):
		p := strings.TrimPrefix(dsn, "sqlite:")
		if p == "" {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "db", "empty SQLite database path")
		}
		w, r, err := sqlite.Open(ctx, p)
		if err != nil {
			return nil, &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Field: "db", Message: "cannot open SQLite database: " + err.Error(), Err: err}
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = p
		}
		s, err := newDB(ctx, sqliteDialect, w, r, sqlite.Migrations, opts, abs)
		if err != nil {
			w.Close()
			r.Close()
			return nil, err
		}
		return s, nil
	default:
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "db", "unsupported database URL %q: want postgres://… or a SQLite file path", dsn)
	}
}

// dialect is what differs between the two databases once the schema is
// created by per-dialect migrations: placeholders, locking and a few
// functions.
type dialect struct {
	name string
	// dollar: placeholders are $1, $2… (PostgreSQL) instead of ?.
	dollar bool
	// lockHead reads the tree size while locking the head row until the
	// transaction ends. SQLite's single writer connection, whose
	// transactions begin IMMEDIATE, already excludes other writers.
	lockHead string
	// migrationLock serialises migrators of one database (several servers
	// starting at once on PostgreSQL); run first in each migration tx.
	migrationLock string
	// maxParams bounds the placeholders of one statement.
	maxParams int
}

var sqliteDialect = &dialect{
	name:      "sqlite",
	lockHead:  "SELECT size FROM ledger_head WHERE id = 1",
	maxParams: 32766,
}

var pgDialect = &dialect{
	name:          "postgres",
	dollar:        true,
	lockHead:      "SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE",
	migrationLock: "SELECT pg_advisory_xact_lock(hashtextextended('pactwatch-migrate:' || current_schema(), 0))",
	maxParams:     65535,
}

// rebind rewrites ? placeholders as $n for PostgreSQL. pactwatch's SQL never
// has a literal ? in it.
func (d *dialect) rebind(q string) string {
	if !d.dollar || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// migrate applies the migrations not yet recorded in schema_migrations,
// each in its own transaction, in file-name order. File names start with
// their version number (0001_init.sql).
func migrate(ctx context.Context, d *dialect, db *sql.DB, migrations fs.FS, now func() time.Time) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := path.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a version number", base)
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return err
		}
		if err := migrateOne(ctx, d, db, v, base, string(body), now); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

func migrateOne(ctx context.Context, d *dialect, db *sql.DB, version int, name, body string, now func() time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.migrationLock); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, d.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		version, name, now().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}
