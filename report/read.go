package report

import (
	"context"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
)

// ObservationSource is the part of store.Store a daily report reads.
type ObservationSource interface {
	Observations(ctx context.Context, f store.ObservationFilter) ([]observation.Record, error)
}

// ReadObservations reads every observation a report for day needs: those
// observed from the start of the day before to the end of the day, page by
// page in the store's order.
func ReadObservations(ctx context.Context, src ObservationSource, a *agreement.Agreement, day string) ([]observation.Record, error) {
	from, to, err := Bounds(day, a.Location())
	if err != nil {
		return nil, err
	}
	prevFrom, _, _ := Bounds(from.AddDate(0, 0, -1).Format(time.DateOnly), a.Location())
	var out []observation.Record
	f := store.ObservationFilter{From: prevFrom, To: to, Limit: store.MaxLimit}
	for {
		page, err := src.Observations(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < f.Limit {
			return out, nil
		}
		f.After = page[len(page)-1].Seq
	}
}

// PublishDelay is how long after a day ends its report is published: time
// for reports from patrols on bad networks (queued in their outboxes) to
// arrive. The published report is "as of" the day's end plus this delay,
// so that anyone can recompute it from the ledger's records.
const PublishDelay = 2 * time.Hour

// PublishAsOf returns the "as of" time of day's published report.
func PublishAsOf(day string, loc *time.Location) (time.Time, error) {
	_, to, err := Bounds(day, loc)
	if err != nil {
		return time.Time{}, err
	}
	return to.Add(PublishDelay), nil
}

// LastPublishable returns the latest day whose report can be published at
// now (its PublishAsOf has passed): what a scheduler publishes next.
func LastPublishable(now time.Time, loc *time.Location) string {
	d, _ := ParseDay(DayOf(now.Add(-PublishDelay), loc)) // the day not yet published: still open
	return d.AddDate(0, 0, -1).Format(time.DateOnly)
}
