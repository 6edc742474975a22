// Package journalstore keeps response transitions in a pactwatch store: a
// response.Journal over store.Store's generic records (ledger type
// "action", record id = transition id, body = canonical bytes), each
// appended with its ledger leaf and, in the same transaction, the outbox
// messages announcing it to each subscription of each notified actor. The
// scheduler's safety does not depend on a lock alone: record ids are unique
// in the ledger, so a transition computed by two servers is stored (and
// announced) once.
package journalstore

import (
	"context"
	"crypto/rand"
	"io"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/store"
)

// LeaderLock is the TryLeader name of the response scheduler.
const LeaderLock = "response-scheduler"

// Journal implements response.Journal over a store.
type Journal struct {
	Store store.Store
	// Rand is the salts' source (nil: crypto/rand). Every record gets its
	// own 32-byte salt so its digest reveals nothing.
	Rand io.Reader
	// Now stamps the outbox messages' creation (nil: each transition's
	// own time).
	Now func() time.Time
}

var _ response.Journal = (*Journal)(nil)

// Append implements response.Journal: one AppendRecordsWithMessages call,
// so one transaction for the transitions and their webhook messages (one
// per subscription of each notified actor); transitions already stored
// with the same bytes are skipped by the store, with their messages.
func (j *Journal) Append(ctx context.Context, ts []response.Transition) error {
	subs, err := j.Store.Subscriptions(ctx)
	if err != nil {
		return err
	}
	recs := make([]store.GenericRecord, 0, len(ts))
	msgs := make([][]notify.Message, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		body, err := t.Canonical()
		if err != nil {
			return err
		}
		salt := make([]byte, 32)
		r := j.Rand
		if r == nil {
			r = rand.Reader
		}
		if _, err := io.ReadFull(r, salt); err != nil {
			return pactwatch.Internal(err)
		}
		e, err := t.LedgerEntry(salt)
		if err != nil {
			return err
		}
		recs = append(recs, store.GenericRecord{Type: ledger.TypeAction, ID: t.ID, Time: t.At, Body: body,
			Leaf: store.Leaf{Entry: e, Salt: salt}})
		ms, err := messages(t, subs, j.now(t.At))
		if err != nil {
			return err
		}
		msgs = append(msgs, ms)
	}
	_, err = j.Store.AppendRecordsWithMessages(ctx, recs, msgs, exclusions(ts)...)
	return err
}

// exclusions keep contradictory step records apart when two servers act at
// once from states a moment apart — a liaison's action on one node, the
// deadline, the cutoff or the case's closing on the scheduler's. A step's
// records are "<run>/<step>/overdue", "…/done" (done or done_late) and
// "…/closed" (missed, ended or cancelled), and only these sequences fit:
// done; overdue, done; overdue, closed; closed. So:
//
//   - done on time excludes overdue and closed;
//   - done_late excludes closed (its overdue is stored before it or with it);
//   - overdue excludes done and closed, except the step's own done_late,
//     missed or cancelled stored in the same call (a late action recorded,
//     a cutoff passed or the case closed before any scheduler stored the
//     deadline: both come from one engine, in order);
//   - missed and cancelled exclude done; ended (a step not yet due when the
//     case closed) excludes done and overdue.
//
// The store refuses the second of a contradicting pair (ECONFLICT) and
// keeps the first; the refused writer re-reads and recomputes (a late
// action, a step already closed, or nothing to do). Without this, both
// would be stored and every engine rebuilt from the store would fail to
// apply the second: no server could sync again.
func exclusions(ts []response.Transition) []store.Exclusion {
	inCall := map[string]bool{} // "<run>/<step>/<kind>" of this call
	for _, t := range ts {
		inCall[t.Run+"/"+t.Step+"/"+t.Kind] = true
	}
	var out []store.Exclusion
	exclude := func(t response.Transition, suffixes ...string) {
		for _, s := range suffixes {
			out = append(out, store.Exclusion{Record: t.ID, Excludes: t.Run + "/" + t.Step + "/" + s})
		}
	}
	for _, t := range ts {
		base := t.Run + "/" + t.Step + "/"
		switch t.Kind {
		case response.KindStepDone:
			exclude(t, "overdue", "closed")
		case response.KindStepDoneLate:
			exclude(t, "closed")
		case response.KindStepOverdue:
			if !inCall[base+response.KindStepDoneLate] {
				exclude(t, "done")
			}
			if !inCall[base+response.KindStepMissed] && !inCall[base+response.KindStepCancelled] {
				exclude(t, "closed")
			}
		case response.KindStepMissed, response.KindStepCancelled:
			exclude(t, "done")
		case response.KindStepEnded:
			exclude(t, "done", "overdue")
		}
	}
	return out
}

func (j *Journal) now(fallback time.Time) time.Time {
	if j.Now != nil {
		return j.Now().UTC()
	}
	return fallback
}

// messages are the outbox messages of a transition: each notification,
// to each subscription of its recipient.
func messages(t *response.Transition, subs []notify.Subscription, now time.Time) ([]notify.Message, error) {
	ns, err := t.Notifications()
	if err != nil {
		return nil, err
	}
	var out []notify.Message
	for _, n := range ns {
		ms, err := notify.Fanout(notify.Event{Key: n.Key, Type: n.Type, Recipient: n.Recipient, At: t.At, Data: n.Data}, subs, now)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// page is how many records Since reads per query.
const page = 1000

// Since implements response.Journal: the cursor is the next ledger index.
func (j *Journal) Since(ctx context.Context, cursor int64) ([]response.Transition, int64, error) {
	var out []response.Transition
	for {
		recs, err := j.Store.Records(ctx, ledger.TypeAction, cursor, page)
		if err != nil {
			return nil, 0, err
		}
		for _, r := range recs {
			t, err := response.ParseTransition(r.Body)
			if err != nil {
				return nil, 0, pactwatch.Internal(err)
			}
			out = append(out, t)
			cursor = r.Index + 1
		}
		if len(recs) < page {
			return out, cursor, nil
		}
	}
}
