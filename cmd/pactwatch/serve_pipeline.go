package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/demo"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/store"
)

// newPipeline prepares the incident pipeline for the agreement the server
// runs, with the agreement's verification and case settings; nil when the
// configuration asks for none (bench ingest measures the intake alone).
func newPipeline(c serveConfig, agr *agreement.Agreement, st store.Store, log *slog.Logger) (*pipeline.Pipeline, error) {
	if c.noPipeline {
		return nil, nil
	}
	cfg := pipeline.FromAgreement(agr)
	cfg.Store, cfg.Log = st, log
	return pipeline.New(cfg)
}

// startPipeline runs the pipeline until ctx ends (waiting for leadership
// first when another server leads); the channel closes when it has
// stopped, so the store is closed only after it.
func startPipeline(ctx context.Context, pl *pipeline.Pipeline, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	if pl == nil {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		if err := pl.Run(ctx); err != nil {
			log.Error("pipeline stopped", "err", err)
		}
	}()
	return done
}

// reviewDemo has the demo's simulated analysts decide the seeded
// incidents and confirm the cases, through the API.
func (a *app) reviewDemo(ctx context.Context, c serveConfig, dir string, stdout io.Writer) error {
	start := time.Now()
	res, err := demo.Review(ctx, demo.Config{Client: client.New(a.url, a.admin), Agreement: a.agreement, Dir: dir,
		Seed: c.demoSeed, Days: c.demoDays, Now: time.Now, ServerURL: a.url})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo: analysts reviewed %d incidents (%d verified, %d rejected, %d disputed) and confirmed %d of %d cases in %s\n",
		res.Incidents, res.Verified, res.Rejected, res.Disputed, res.Confirmed, res.Cases, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  demo analyst: token in %s; try: pactwatch incidents list --server %s --token-file %s\n",
		filepath.Join(dir, "analyst-1.token"), a.url, filepath.Join(dir, "analyst-1.token"))
	return nil
}
