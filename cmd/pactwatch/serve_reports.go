package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/store"
)

// reportEvery is how often serve looks for daily reports due.
const reportEvery = time.Minute

// startReports publishes each day's report once it is due (the day's end
// plus report.PublishDelay, in the agreement's time zone), catching up
// after downtime. Only the server holding the "report" leadership lock
// publishes; the others keep trying to take it. A report's body depends on
// the ledger only, so a second publication finds it stored.
func startReports(ctx context.Context, st store.Store, agr *agreement.Agreement, now func() time.Time, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		p := &report.Publisher{Store: st, Agreement: agr, NewLeaf: server.NewLeaf, Now: now}
		var release func()
		defer func() {
			if release != nil {
				release()
			}
		}()
		t := time.NewTicker(reportEvery)
		defer t.Stop()
		for {
			if release == nil {
				r, ok, err := st.TryLeader(ctx, "report")
				if err != nil && ctx.Err() == nil {
					log.Error("reports: leader election", "err", err)
				} else if ok {
					release = r
				}
			}
			if release != nil {
				ids, err := p.PublishDue(ctx)
				if err != nil && ctx.Err() == nil {
					log.Error("reports: publishing", "err", err)
				}
				for _, id := range ids {
					log.Info("report published", "id", id)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}
