package main

import (
	"context"
	"log/slog"

	"github.com/pactwatch/pactwatch/agreement"
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
	cfg.Store, cfg.Log, cfg.Now = st, log, c.now
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
