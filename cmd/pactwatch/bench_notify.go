package main

import (
	"context"
	"io"

	"github.com/pactwatch/pactwatch/response/responsebench"
)

// benchNotify measures the response mechanism's notifications: outbox
// writes in the state change's transaction, webhook delivery, and the
// scheduler with many open steps (see package responsebench).
func benchNotify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench notify", "[flags]", "Measure, on the example agreement: a state change written with its outbox messages in one transaction\n"+
		"(and without subscriptions); webhook delivery to a loopback receiver that checks every signature (deliveries/s\n"+
		"draining a backlog, and state change → receipt latency at a steady rate); and the response scheduler with\n"+
		"--open-steps open steps (rebuild, idle tick, a burst of overdue steps).", stderr)
	var cfg responsebench.Config
	fs.StringVar(&cfg.DSN, "db", "", "database (default: temporary SQLite files; postgres://… gets a schema per phase, dropped afterwards)")
	fs.IntVar(&cfg.Changes, "changes", 500, "state changes in the enqueue phase")
	fs.IntVar(&cfg.Subscribers, "subscribers", 1, "subscriptions per actor")
	fs.IntVar(&cfg.Messages, "messages", 5000, "backlog of messages the delivery phase drains")
	fs.IntVar(&cfg.Workers, "workers", 2, "delivery workers (as on that many servers)")
	fs.IntVar(&cfg.Batch, "batch", 32, "messages a worker claims at a time")
	fs.IntVar(&cfg.Rate, "rate", 20, "state changes per second in the latency phase")
	fs.DurationVar(&cfg.Duration, "duration", 0, "length of the latency phase (default 5s)")
	fs.DurationVar(&cfg.Interval, "interval", 0, "how often an idle worker looks for due messages (default 2s, as serve)")
	fs.IntVar(&cfg.OpenSteps, "open-steps", 10000, "open steps for the scheduler phase")
	fs.IntVar(&cfg.Ticks, "ticks", 50, "idle scheduler ticks to time")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	return responsebench.Run(ctx, cfg, stdout)
}
