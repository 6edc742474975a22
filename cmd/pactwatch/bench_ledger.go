package main

import (
	"context"
	"io"
	"time"

	"github.com/pactwatch/pactwatch/ledger/ledgerbench"
)

// benchCheckpoint measures, through a real database, how soon an
// acknowledged observation is covered by a published cosigned checkpoint.
func benchCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench checkpoint", "[flags]",
		"Append observations at --rate through the store (SQLite, or PostgreSQL with --db) while the real\n"+
			"Checkpointer signs at --checkpoint-interval, saves its state file, gets each checkpoint cosigned by\n"+
			"--witnesses witnesses over loopback HTTP and stores it; print the median/p95/p99 time from a store\n"+
			"call's acknowledgement to the first published checkpoint covering it, the sustained rate, and where\n"+
			"each checkpoint's time goes. The goal: < 100 ms at 5,000 records/s with a 50 ms interval.", stderr)
	var cfg ledgerbench.DBConfig
	fs.StringVar(&cfg.DSN, "db", "", "database (default: a temporary SQLite file; postgres://… for an empty, disposable PostgreSQL database)")
	fs.IntVar(&cfg.Rate, "rate", 5000, "observations per second")
	fs.DurationVar(&cfg.Tick, "tick", 10*time.Millisecond, "observations arrive in one store call every tick")
	fs.DurationVar(&cfg.Interval, "checkpoint-interval", 50*time.Millisecond, "least time between checkpoints (serve's flag of the same name)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long observations arrive, per run")
	fs.IntVar(&cfg.Witnesses, "witnesses", 1, "witnesses that must cosign each checkpoint (0: none)")
	runs := fs.Int("runs", 3, "runs, each on a fresh database (PostgreSQL: the same database, growing)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if cfg.Witnesses == 0 {
		cfg.Witnesses = -1 // DBConfig: 0 is the default, < 0 none
	}
	return ledgerbench.RunDB(ctx, cfg, *runs, stdout)
}
