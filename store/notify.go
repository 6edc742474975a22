package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/notify"
)

// Notifications is the store's side of notify: the webhook outbox (written
// in the same transaction as the records its messages announce, so that no
// state change is stored without its notifications and none is announced
// that was not stored), the admins' subscriptions and the allow-list of
// private addresses webhooks may reach.
type Notifications interface {
	notify.Outbox

	// AppendRecordsWithMessages appends records as AppendRecords does and,
	// in the same transaction, enqueues msgs[i] (the messages announcing
	// recs[i]) for every record that was not already stored: a transition
	// computed twice is stored and announced once. len(msgs) is 0 or
	// len(recs). A new record named by an Exclusion is refused (ECONFLICT,
	// nothing of the call stored) when the record it excludes is stored.
	AppendRecordsWithMessages(ctx context.Context, recs []GenericRecord, msgs [][]notify.Message, excl ...Exclusion) ([]AppendResult, error)

	// PutSubscription adds a subscription; the same one again changes
	// nothing, another under a stored id is ECONFLICT.
	PutSubscription(ctx context.Context, s notify.Subscription) error
	// DeleteSubscription removes one (ENOTFOUND for an unknown id). Its
	// queued messages stay and are delivered or dead-lettered as usual.
	DeleteSubscription(ctx context.Context, id string) error
	// Subscriptions lists subscriptions by id.
	Subscriptions(ctx context.Context) ([]notify.Subscription, error)

	// SetAllowlist replaces the admin allow-list (IP addresses or CIDR
	// prefixes, as notify.ParseAllow reads them); Allowlist reads it, sorted.
	SetAllowlist(ctx context.Context, entries []string) error
	Allowlist(ctx context.Context) ([]string, error)
}

var _ Notifications = (*DB)(nil)

// Exclusion says that Record may not be stored next to Excludes: two
// records that contradict each other (a step done on time and the same
// step overdue). Two servers that compute them at once from states a
// moment apart both pass their own checks; the store, which serialises
// writers, keeps the first and refuses the second, whose writer then
// re-reads and recomputes.
type Exclusion struct {
	Record, Excludes string
}

// execer is what outbox writes need from a transaction.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// notifyTx runs fn in a write transaction. On PostgreSQL it is a
// transaction of its own, off the committer: outbox updates need neither
// the ledger head lock nor a group, and concurrent workers on several
// servers must not queue behind each other (Claim skips the rows another
// worker holds). On SQLite, whose one writer connection belongs to the
// committer, it is a request of the group commit.
func (s *DB) notifyTx(ctx context.Context, fn func(execer) error) error {
	if !s.d.dollar {
		return s.write(ctx, 0, func(w *wtx) error { return fn(w.tx) })
	}
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return asError(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return asError(err)
	}
	if err := tx.Commit(); err != nil {
		return asError(err)
	}
	return nil
}

func (s *DB) exec(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := s.notifyTx(ctx, func(tx execer) error {
		res, err := tx.ExecContext(ctx, s.d.rebind(q), args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// maybeError is asError for a possibly nil error.
func maybeError(err error) error {
	if err == nil {
		return nil
	}
	return asError(err)
}

func checkMessage(field string, m notify.Message) error {
	switch {
	case m.ID == "":
		return pactwatch.FieldErrorf(pactwatch.EINVALID, field+".id", "a message id is required")
	case m.URL == "":
		return pactwatch.FieldErrorf(pactwatch.EINVALID, field+".url", "a message needs its URL")
	case m.Key == "":
		return pactwatch.FieldErrorf(pactwatch.EINVALID, field+".idempotency_key", "a message needs its idempotency key")
	}
	return nil
}

// enqueueMessages inserts messages, skipping ids already queued.
func (s *DB) enqueueMessages(ctx context.Context, tx execer, ms []notify.Message) error {
	q := s.d.rebind(`INSERT INTO notify_outbox (id, subscription, url, idem_key, body, created, attempts, next_attempt, last_error)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, '') ON CONFLICT (id) DO NOTHING`)
	for _, m := range ms {
		if _, err := tx.ExecContext(ctx, q, m.ID, m.Subscription, m.URL, m.Key, nonNil(m.Body), nanos(m.Created), nanos(m.NextAttempt)); err != nil {
			return fmt.Errorf("enqueue %s: %w", m.ID, err)
		}
	}
	return nil
}

// Enqueue implements notify.Outbox.
func (s *DB) Enqueue(ctx context.Context, ms ...notify.Message) error {
	for i, m := range ms {
		if err := checkMessage(fmt.Sprintf("messages[%d]", i), m); err != nil {
			return err
		}
	}
	if len(ms) == 0 {
		return nil
	}
	return s.notifyTx(ctx, func(tx execer) error { return s.enqueueMessages(ctx, tx, ms) })
}

// AppendRecordsWithMessages implements Notifications.
func (s *DB) AppendRecordsWithMessages(ctx context.Context, recs []GenericRecord, msgs [][]notify.Message, excl ...Exclusion) ([]AppendResult, error) {
	if len(msgs) != 0 && len(msgs) != len(recs) {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "messages", "%d message lists for %d records", len(msgs), len(recs))
	}
	if len(recs) == 0 {
		return nil, nil
	}
	for i, ms := range msgs {
		for j, m := range ms {
			if err := checkMessage(fmt.Sprintf("messages[%d][%d]", i, j), m); err != nil {
				return nil, err
			}
		}
	}
	encoded, err := checkRecords(recs)
	if err != nil {
		return nil, err
	}
	var results []AppendResult
	err = s.write(ctx, len(recs), func(w *wtx) error {
		results, err = w.appendRecords(recs, encoded)
		if err != nil {
			return err
		}
		fresh := map[string]bool{}
		for i, r := range recs {
			if !results[i].Existed {
				fresh[r.ID] = true
			}
		}
		for _, x := range excl {
			if !fresh[x.Record] {
				continue
			}
			rows, err := w.query("SELECT id FROM records WHERE id = ?", x.Excludes)
			if err != nil {
				return err
			}
			found := false
			if err := eachRow(rows, func() error { found = true; return nil }); err != nil {
				return err
			}
			if found {
				return pactwatch.FieldErrorf(pactwatch.ECONFLICT, "records", "record %s contradicts the stored record %s", x.Record, x.Excludes)
			}
		}
		seen := map[string]bool{}
		for i, ms := range msgs {
			// A record stored before (or twice in this call) was announced
			// when it was first stored.
			if results[i].Existed || seen[recs[i].ID] {
				continue
			}
			seen[recs[i].ID] = true
			if err := s.enqueueMessages(w.ctx, w.tx, ms); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

const messageCols = "id, subscription, url, idem_key, body, created, attempts, next_attempt, last_error, delivered, dead"

func scanMessages(rows *sql.Rows) ([]notify.Message, error) {
	var out []notify.Message
	err := eachRow(rows, func() error {
		var m notify.Message
		var created, next int64
		var delivered, dead sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Subscription, &m.URL, &m.Key, &m.Body, &created, &m.Attempts, &next, &m.LastError, &delivered, &dead); err != nil {
			return err
		}
		m.Created, m.NextAttempt = fromNanos(created), fromNanos(next)
		if delivered.Valid {
			m.Delivered = fromNanos(delivered.Int64)
		}
		if dead.Valid {
			m.Dead = fromNanos(dead.Int64)
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// Claim implements notify.Outbox. On PostgreSQL the due rows are locked
// with FOR UPDATE SKIP LOCKED, so workers on several servers claim
// disjoint batches without waiting for each other.
func (s *DB) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]notify.Message, error) {
	if limit <= 0 {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "limit", "limit must be positive")
	}
	lock := ""
	if s.d.dollar {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := s.d.rebind(`UPDATE notify_outbox SET attempts = attempts + 1, next_attempt = ?
		WHERE id IN (SELECT id FROM notify_outbox
			WHERE delivered IS NULL AND dead IS NULL AND next_attempt <= ?
			ORDER BY next_attempt, created, id LIMIT ?` + lock + `)
		RETURNING ` + messageCols)
	var out []notify.Message
	err := s.notifyTx(ctx, func(tx execer) error {
		rows, err := tx.QueryContext(ctx, q, nanos(now.Add(lease)), nanos(now), limit)
		if err != nil {
			return err
		}
		out, err = scanMessages(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order.
	slices.SortStableFunc(out, func(a, b notify.Message) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *DB) updateMessage(ctx context.Context, id, q string, args ...any) error {
	n, err := s.exec(ctx, q, append(args, id)...)
	if err != nil {
		return err
	}
	if n == 0 {
		return pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no message %q", id)
	}
	return nil
}

// Delivered implements notify.Outbox.
func (s *DB) Delivered(ctx context.Context, id string, at time.Time) error {
	return s.updateMessage(ctx, id, "UPDATE notify_outbox SET delivered = ?, last_error = '' WHERE id = ?", nanos(at))
}

// Retry implements notify.Outbox.
func (s *DB) Retry(ctx context.Context, id string, next time.Time, lastError string) error {
	return s.updateMessage(ctx, id, "UPDATE notify_outbox SET next_attempt = ?, last_error = ? WHERE id = ?", nanos(next), lastError)
}

// DeadLetter implements notify.Outbox.
func (s *DB) DeadLetter(ctx context.Context, id string, at time.Time, lastError string) error {
	return s.updateMessage(ctx, id, "UPDATE notify_outbox SET dead = ?, last_error = ? WHERE id = ?", nanos(at), lastError)
}

// DeadLetters implements notify.Outbox.
func (s *DB) DeadLetters(ctx context.Context, limit int) ([]notify.Message, error) {
	rows, err := s.query(ctx, "SELECT "+messageCols+" FROM notify_outbox WHERE dead IS NOT NULL ORDER BY created, id LIMIT ?", limit)
	if err != nil {
		return nil, asError(err)
	}
	out, err := scanMessages(rows)
	return out, maybeError(err)
}

// Replay implements notify.Outbox.
func (s *DB) Replay(ctx context.Context, id string, now time.Time) error {
	n, err := s.exec(ctx, "UPDATE notify_outbox SET dead = NULL, attempts = 0, next_attempt = ? WHERE id = ? AND dead IS NOT NULL", nanos(now), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no dead message %q", id)
	}
	return nil
}

// PutSubscription implements Notifications.
func (s *DB) PutSubscription(ctx context.Context, sub notify.Subscription) error {
	if sub.ID == "" || sub.Actor == "" || sub.URL == "" {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "subscription", "id, actor and url are required")
	}
	return s.notifyTx(ctx, func(tx execer) error {
		rows, err := tx.QueryContext(ctx, s.d.rebind("SELECT actor, url FROM notify_subscriptions WHERE id = ?"), sub.ID)
		if err != nil {
			return err
		}
		found, same := false, false
		if err := eachRow(rows, func() error {
			var actor, url string
			found = true
			err := rows.Scan(&actor, &url)
			same = actor == sub.Actor && url == sub.URL
			return err
		}); err != nil {
			return err
		}
		switch {
		case found && same:
			return nil
		case found:
			return pactwatch.FieldErrorf(pactwatch.ECONFLICT, "id", "subscription %q exists with another actor or URL", sub.ID)
		}
		_, err = tx.ExecContext(ctx, s.d.rebind("INSERT INTO notify_subscriptions (id, actor, url, by_id, created) VALUES (?, ?, ?, ?, ?)"),
			sub.ID, sub.Actor, sub.URL, sub.By, nanos(sub.Created))
		return err
	})
}

// DeleteSubscription implements Notifications.
func (s *DB) DeleteSubscription(ctx context.Context, id string) error {
	n, err := s.exec(ctx, "DELETE FROM notify_subscriptions WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n == 0 {
		return pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no subscription %q", id)
	}
	return nil
}

// Subscriptions implements Notifications.
func (s *DB) Subscriptions(ctx context.Context) ([]notify.Subscription, error) {
	rows, err := s.query(ctx, "SELECT id, actor, url, by_id, created FROM notify_subscriptions ORDER BY id")
	if err != nil {
		return nil, asError(err)
	}
	var out []notify.Subscription
	err = eachRow(rows, func() error {
		var sub notify.Subscription
		var created int64
		err := rows.Scan(&sub.ID, &sub.Actor, &sub.URL, &sub.By, &created)
		sub.Created = fromNanos(created)
		out = append(out, sub)
		return err
	})
	return out, maybeError(err)
}

// SetAllowlist implements Notifications.
func (s *DB) SetAllowlist(ctx context.Context, entries []string) error {
	if _, err := notify.ParseAllow(entries); err != nil {
		return err
	}
	return s.notifyTx(ctx, func(tx execer) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM notify_allowlist"); err != nil {
			return err
		}
		q := s.d.rebind("INSERT INTO notify_allowlist (entry) VALUES (?) ON CONFLICT (entry) DO NOTHING")
		for _, e := range entries {
			if _, err := tx.ExecContext(ctx, q, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Allowlist implements Notifications.
func (s *DB) Allowlist(ctx context.Context) ([]string, error) {
	rows, err := s.query(ctx, "SELECT entry FROM notify_allowlist ORDER BY entry")
	if err != nil {
		return nil, asError(err)
	}
	out := []string{}
	err = eachRow(rows, func() error {
		var e string
		err := rows.Scan(&e)
		out = append(out, e)
		return err
	})
	return out, maybeError(err)
}
