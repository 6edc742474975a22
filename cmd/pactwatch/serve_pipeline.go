package main

import (
	"context"
	"log/slog"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/store"
)

// newPipeline prepares the incident pipeline for the agreement the server
// runs, with the agreement's verification and case settings.
func newPipeline(agr *agreement.Agreement, st store.Store, log *slog.Logger) (*pipeline.Pipeline, error) {
	cfg := pipeline.FromAgreement(agr)
	cfg.Store, cfg.Log = st, log
	return pipeline.New(cfg)
}

// startPipeline runs the pipeline until ctx ends (waiting for leadership
// first when another server leads); the channel closes when it has
// stopped, so the store is closed only after it.
func startPipeline(ctx context.Context, pl *pipeline.Pipeline, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := pl.Run(ctx); err != nil {
			log.Error("pipeline stopped", "err", err)
		}
	}()
	return done
}
