// Package postgres holds what is particular to pactwatch on PostgreSQL: the
// migrations and the connection pool (jackc/pgx/v5's pgxpool, used through
// database/sql so that package store shares one SQL implementation with
// SQLite).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// Migrations are the schema changes, applied in file-name order.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Open connects a pool to the database at url (postgres://…; libpq
// parameters such as search_path=… are honoured) and checks that the server
// answers. closePool must be called after db.Close: database/sql does not
// own the pool.
func Open(ctx context.Context, url string) (db *sql.DB, closePool func(), err error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	// One connection for the committer, one per leader lock, the rest for
	// concurrent reads.
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	db = stdlib.OpenDBFromPool(pool)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		pool.Close()
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	return db, pool.Close, nil
}

// CloseConn closes the PostgreSQL connection under driverConn (what
// sql.Conn.Raw passes), so that the pool destroys it instead of reusing it:
// a connection that may still hold a session advisory lock must not serve
// anyone else. Other drivers' connections are left alone.
func CloseConn(driverConn any) {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Conn().Close(ctx)
}
