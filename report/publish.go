package report

import (
	"context"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/store"
)

// PublishStore is the part of store.Store publication needs.
type PublishStore interface {
	ObservationSource
	Record(ctx context.Context, id string) (store.GenericRecord, error)
	AppendRecords(ctx context.Context, recs []store.GenericRecord) ([]store.AppendResult, error)
}

// Publisher publishes each day's report to the ledger once its day has
// ended and PublishDelay has passed. Call PublishDue on a timer (every
// minute is plenty) from one process: serve runs it under its leadership
// lock. It is idempotent by record id, and a report's body depends only on
// the records and its fixed as-of time, so a second publisher racing the
// first appends nothing new.
type Publisher struct {
	Store     PublishStore
	Agreement *agreement.Agreement
	// NewLeaf makes the ledger leaf of a record (server.NewLeaf: random
	// salts); the report is its own public projection.
	NewLeaf func(typ, id string, t time.Time, canonical, public []byte) store.Leaf
	Now     func() time.Time
	// Inputs, if set, adds incidents, violations, cases and steps to a
	// day's input (observations are read by the publisher).
	Inputs func(ctx context.Context, day string, in *Input) error
	// CatchUp is how many past days one call looks back for reports not
	// yet published (after downtime); default 31.
	CatchUp int
}

// PublishDue publishes every due report not yet in the ledger, oldest
// first, from the agreement's effective day (at most CatchUp days back),
// and returns the ids it appended.
func (p *Publisher) PublishDue(ctx context.Context) ([]string, error) {
	loc := p.Agreement.Location()
	last, err := ParseDay(LastPublishable(p.Now(), loc))
	if err != nil {
		return nil, err
	}
	n := p.CatchUp
	if n <= 0 {
		n = 31
	}
	first := last.AddDate(0, 0, 1-n)
	if eff, err := ParseDay(string(p.Agreement.Effective)); err == nil && eff.After(first) {
		first = eff
	}
	var done []string
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		_, err := p.Store.Record(ctx, RecordID(day))
		if err == nil {
			continue
		}
		if pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
			return done, err
		}
		existed, err := p.Publish(ctx, day)
		if err != nil {
			return done, err
		}
		if !existed {
			done = append(done, RecordID(day))
		}
	}
	return done, nil
}

// Publish builds day's report as of PublishAsOf and appends it; existed
// is true when the identical record was already in the ledger. A stored
// record with a different body (the agreement or the records changed
// since) is ECONFLICT: a published report is never replaced.
func (p *Publisher) Publish(ctx context.Context, day string) (existed bool, err error) {
	loc := p.Agreement.Location()
	asOf, err := PublishAsOf(day, loc)
	if err != nil {
		return false, err
	}
	if asOf.After(p.Now()) {
		return false, pactwatch.FieldErrorf(pactwatch.EINVALID, "date", "the report for %s is published from %s, after the day has ended and late reports have arrived",
			day, asOf.In(loc).Format("2006-01-02 15:04 MST"))
	}
	obs, err := ReadObservations(ctx, p.Store, p.Agreement, day)
	if err != nil {
		return false, err
	}
	in := Input{Agreement: p.Agreement, Observations: obs, AsOf: asOf}
	if p.Inputs != nil {
		if err := p.Inputs(ctx, day, &in); err != nil {
			return false, err
		}
	}
	r, err := Daily(in, day)
	if err != nil {
		return false, err
	}
	rec, err := Record(r)
	if err != nil {
		return false, err
	}
	res, err := p.Store.AppendRecords(ctx, []store.GenericRecord{{Type: ledger.TypeReport, ID: rec.ID, Time: rec.Time, Body: rec.Body,
		Leaf: p.NewLeaf(ledger.TypeReport, rec.ID, rec.Time, rec.Body, rec.Body)}})
	if err != nil {
		return false, err
	}
	return res[0].Existed, nil
}
