package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/store"
)

// reportEvery is how often serve looks for daily reports due (a variable
// for tests only).
var reportEvery = time.Minute

// reportLock is the name of the report publisher's leadership lock.
const reportLock = "report"

// startReports publishes each day's report once it is due (the day's end
// plus report.PublishDelay, in the agreement's time zone), catching up
// after downtime. Only the server holding the "report" leadership lock
// publishes, under the leadership's context (TryLead): when the lock is
// lost (PostgreSQL: its session died, so another server may already
// publish) it stops and goes back to trying for the lock, as the others
// do. A report's body depends on the ledger only, so a second publication
// finds it stored. Reports count the pipeline's incidents and cases, so
// with a pipeline only the server running it (Ready) leads the reports:
// another one would wait for it forever.
func startReports(ctx context.Context, st store.Store, agr *agreement.Agreement, pl *pipeline.Pipeline, resp *service.Service, now func() time.Time, log *slog.Logger) <-chan struct{} {
	inputs := newReportInputs(st, pl, resp)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var lead context.Context // set while this server leads
		var release func()
		defer func() {
			if release != nil {
				release()
			}
		}()
		t := time.NewTicker(reportEvery)
		defer t.Stop()
		for {
			if lead != nil && lead.Err() != nil && ctx.Err() == nil {
				release()
				lead, release = nil, nil
				log.Warn("reports: lost the leader lock; another server may publish")
			}
			if lead != nil && pl != nil && !pl.Ready() {
				release() // the pipeline's leader should publish
				lead, release = nil, nil
			}
			if lead == nil && (pl == nil || pl.Ready()) {
				l, r, ok, err := st.TryLead(ctx, reportLock)
				if err != nil && ctx.Err() == nil {
					log.Error("reports: leader election", "err", err)
				} else if ok {
					lead, release = l, r
				}
			}
			if lead != nil {
				p := newPublisher(leadStore{st, lead}, agr, inputs, now)
				ids, err := p.PublishDue(lead)
				if err != nil && lead.Err() == nil {
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

// leadStore appends only while the leadership lead lasts: it is checked
// right before each report is appended.
type leadStore struct {
	store.Store
	lead context.Context
}

func (s leadStore) AppendRecords(ctx context.Context, recs []store.GenericRecord) ([]store.AppendResult, error) {
	if err := s.lead.Err(); err != nil {
		return nil, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "reports: the leader lock was lost: %v", err)
	}
	return s.Store.AppendRecords(ctx, recs)
}
