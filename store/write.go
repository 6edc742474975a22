package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// The store keeps times as Unix nanoseconds, which an int64 holds only from
// 1677-09-21 to 2262-04-11: time.UnixNano wraps outside that span, so a key
// "valid until 2300" would read back as expired in 1715. MinTime and MaxTime
// (exclusive) bound the times the store accepts, in whole years so that
// callers validating dates (agreements, the admin API) can say it simply.
var (
	MinTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// CheckTime refuses, with EINVALID naming field, a time the store cannot
// keep: one outside [MinTime, MaxTime), or the Unix epoch itself, which the
// store writes as 0, its "no time". The zero time.Time (none) is fine.
func CheckTime(field string, t time.Time) error {
	switch {
	case t.IsZero():
		return nil
	case t.Before(MinTime) || !t.Before(MaxTime):
		return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "time %s is outside the years %d to %d the store can keep",
			t.UTC().Format(time.RFC3339), MinTime.Year(), MaxTime.Year()-1)
	case t.UnixNano() == 0:
		return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "time %s (the Unix epoch) is reserved: the store writes it for \"no time\"", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkText refuses, with EINVALID naming field, a string PostgreSQL's TEXT
// cannot hold (a NUL byte, invalid UTF-8), so that both databases refuse the
// same values instead of SQLite storing them and PostgreSQL failing.
func checkText(field, s string) error {
	if !validText(s) {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "must be valid UTF-8 without NUL bytes")
	}
	return nil
}

func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// nanos stores a time as Unix nanoseconds; the zero time is 0. Writes check
// their times with CheckTime first; a time outside the span saturates (a
// query bound stays a bound) instead of wrapping.
func nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minNanos):
		return math.MinInt64
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minNanos = time.Unix(0, math.MinInt64)
	maxNanos = time.Unix(0, math.MaxInt64)
)

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// InsertObservations implements Store. Concurrent calls are merged by the
// committer (insertObservationGroup): one idempotency query, one leaf append
// and multi-row inserts for the whole group, so that many single-record
// requests cost about as much as one batch.
func (s *DB) InsertObservations(ctx context.Context, recs []observation.Record, leaves []Leaf) ([]InsertResult, error) {
	if len(recs) != len(leaves) {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "%d observations but %d ledger leaves", len(recs), len(leaves))
	}
	if len(recs) == 0 {
		return nil, nil
	}
	// Everything that needs no database happens in the caller's goroutine,
	// so the committer only writes.
	ow := &obsWrite{recs: recs, bodies: make([][]byte, len(recs))}
	for i, r := range recs {
		field := fmt.Sprintf("observations[%d]", i)
		if r.ID == "" {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".id", "missing id")
		}
		if leaves[i].Entry.RecordID != r.ID {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".id", "ledger leaf is for record %q", leaves[i].Entry.RecordID)
		}
		if err := checkTexts(field, "id", r.ID, "category", string(r.Category), "reporter", r.Reporter, "principal_id", r.PrincipalID); err != nil {
			return nil, err
		}
		if err := checkTimes(field, "observed_at", r.ObservedAt, "received_at", r.ReceivedAt); err != nil {
			return nil, err
		}
		b, err := json.Marshal(r.Observation)
		if err != nil {
			return nil, pactwatch.Internal(err)
		}
		ow.bodies[i] = b
	}
	var err error
	if ow.leaves, err = encodeLeaves(leaves, ledger.TypeObservation); err != nil {
		return nil, err
	}
	if err := s.enqueue(ctx, &request{leaves: len(recs), obs: ow, done: make(chan error, 1)}); err != nil {
		return nil, err
	}
	return ow.results, nil
}

// obsWrite is one InsertObservations call on its way through the committer.
type obsWrite struct {
	recs    []observation.Record
	bodies  [][]byte
	leaves  []encodedLeaf
	results []InsertResult
}

// insertObservationGroup stores the observation calls of a group: a call
// with a conflict fails alone and writes nothing; the others are written
// together. A call may repeat an id stored earlier, or stored by an earlier
// call of the same group: it then gets that record with Existed set.
func (w *wtx) insertObservationGroup(group []*request, errs []error) error {
	var ids []any
	seenID := map[string]bool{}
	for _, r := range group {
		if r.obs == nil {
			continue
		}
		for _, rec := range r.obs.recs {
			if !seenID[rec.ID] {
				seenID[rec.ID] = true
				ids = append(ids, rec.ID)
			}
		}
	}
	stored, err := w.storedObservations(ids)
	if err != nil {
		return err
	}
	// fresh: id → where the record new in this group is (call, item).
	type ref struct{ call, item int }
	fresh := map[string]ref{}
	var order []ref // fresh records in leaf order
	var copies []struct{ to, from ref }
	for c, r := range group {
		ow := r.obs
		if ow == nil {
			continue
		}
		ow.results = make([]InsertResult, len(ow.recs))
		mine := map[string]int{} // new in this call: id → first item
		var conflict error
		var myCopies []struct{ to, from ref }
		for i, rec := range ow.recs {
			field := fmt.Sprintf("observations[%d].id", i)
			if old, ok := stored[rec.ID]; ok {
				if !bytes.Equal(old.body, ow.bodies[i]) {
					conflict = pactwatch.FieldErrorf(pactwatch.ECONFLICT, field, "observation %s is already stored with a different body", rec.ID)
					break
				}
				ow.results[i] = InsertResult{Record: old.rec, Existed: true}
				continue
			}
			from, ok := fresh[rec.ID]
			if j, mineOK := mine[rec.ID]; mineOK {
				from, ok = ref{c, j}, true
			}
			if ok {
				if !bytes.Equal(group[from.call].obs.bodies[from.item], ow.bodies[i]) {
					conflict = pactwatch.FieldErrorf(pactwatch.ECONFLICT, field, "observation %s is being stored with a different body", rec.ID)
					break
				}
				ow.results[i].Existed = true
				myCopies = append(myCopies, struct{ to, from ref }{ref{c, i}, from})
				continue
			}
			mine[rec.ID] = i
		}
		if conflict != nil {
			errs[c] = conflict
			ow.results = nil
			continue
		}
		for i, rec := range ow.recs {
			if j, ok := mine[rec.ID]; ok && j == i {
				fresh[rec.ID] = ref{c, i}
				order = append(order, ref{c, i})
			}
		}
		copies = append(copies, myCopies...)
	}
	if len(order) == 0 {
		return nil
	}
	ls := make([]encodedLeaf, len(order))
	for k, f := range order {
		ls[k] = group[f.call].obs.leaves[f.item]
	}
	first, err := w.appendLeaves(ls)
	if err != nil {
		return err
	}
	rows := make([]any, 0, 14*len(order))
	for k, f := range order {
		ow := group[f.call].obs
		r := ow.recs[f.item]
		r.Seq = first + int64(k) + 1
		r.ReceivedAt = r.ReceivedAt.UTC()
		ow.results[f.item] = InsertResult{Record: r}
		rows = append(rows, r.Seq, r.ID, nanos(r.ObservedAt), string(r.Category), r.Reporter,
			nanos(r.ReceivedAt), r.PrincipalID)
		rows = appendPos(rows, r.Observer)
		rows = appendPos(rows, r.Target)
		rows = appendPos(rows, r.Origin)
		rows = append(rows, ow.bodies[f.item])
	}
	for _, cp := range copies {
		group[cp.to.call].obs.results[cp.to.item] = InsertResult{Record: group[cp.from.call].obs.results[cp.from.item].Record, Existed: true}
	}
	return w.insert("observations", observationInsertCols, 14, rows)
}

func appendPos(rows []any, p *observation.Position) []any {
	if p == nil {
		return append(rows, nil, nil)
	}
	return append(rows, p.Lat, p.Lon)
}

type storedObservation struct {
	rec  observation.Record
	body []byte
}

func (w *wtx) storedObservations(ids []any) (map[string]storedObservation, error) {
	out := map[string]storedObservation{}
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		rows, err := w.query("SELECT "+observationCols+" FROM observations WHERE id IN ("+placeholders(len(part))+")", part...)
		if err != nil {
			return nil, err
		}
		err = eachRow(rows, func() error {
			r, body, err := scanObservation(rows)
			if err == nil {
				out[r.ID] = storedObservation{r, body}
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// eachRow calls fn for every row and closes rows, returning the first error.
func eachRow(rows *sql.Rows, fn func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}

const observationInsertCols = "seq, id, observed_at, category, reporter, received_at, principal_id, " +
	"observer_lat, observer_lon, target_lat, target_lon, origin_lat, origin_lon, body"

const observationCols = "seq, received_at, principal_id, body"

func scanObservation(sc interface{ Scan(...any) error }) (observation.Record, []byte, error) {
	var r observation.Record
	var received int64
	var body []byte
	if err := sc.Scan(&r.Seq, &received, &r.PrincipalID, &body); err != nil {
		return r, nil, err
	}
	if err := json.Unmarshal(body, &r.Observation); err != nil {
		return r, nil, fmt.Errorf("observation seq %d: stored body: %w", r.Seq, err)
	}
	r.ReceivedAt = fromNanos(received)
	return r, body, nil
}

// AppendRecords implements Store.
func (s *DB) AppendRecords(ctx context.Context, recs []GenericRecord) ([]AppendResult, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	encoded, err := checkRecords(recs)
	if err != nil {
		return nil, err
	}
	var results []AppendResult
	err = s.write(ctx, len(recs), func(w *wtx) error {
		results, err = w.appendRecords(recs, encoded)
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// checkRecords validates generic records and encodes their leaves.
func checkRecords(recs []GenericRecord) ([]encodedLeaf, error) {
	leaves := make([]Leaf, len(recs))
	for i, r := range recs {
		field := "records[" + strconv.Itoa(i) + "]"
		switch {
		case r.ID == "":
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".id", "missing id")
		case r.Type == "":
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".type", "missing type")
		case r.Leaf.Entry.RecordID != r.ID || r.Leaf.Entry.Type != r.Type:
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".leaf", "ledger leaf is for %s %q", r.Leaf.Entry.Type, r.Leaf.Entry.RecordID)
		case r.Type == ledger.TypeObservation || r.Type == ledger.TypeKey || r.Type == ledger.TypeEvidence:
			// These have tables of their own, which audits read them from.
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".type", "%s records are stored with their own method, not as generic records", r.Type)
		}
		if err := checkTexts(field, "id", r.ID, "type", r.Type); err != nil {
			return nil, err
		}
		if err := CheckTime(field+".time", r.Time); err != nil {
			return nil, err
		}
		leaves[i] = r.Leaf
	}
	return encodeLeaves(leaves, "")
}

// appendRecords writes checked records in the group's transaction.
func (w *wtx) appendRecords(recs []GenericRecord, encoded []encodedLeaf) ([]AppendResult, error) {
	ids := make([]any, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	results := make([]AppendResult, len(recs))
	stored := map[string]GenericRecord{}
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		rows, err := w.query("SELECT "+recordCols+" FROM records WHERE id IN ("+placeholders(len(part))+")", part...)
		if err != nil {
			return nil, err
		}
		if err := eachRow(rows, func() error {
			r, err := scanRecord(rows)
			stored[r.ID] = r
			return err
		}); err != nil {
			return nil, err
		}
	}
	firstOf := map[string]int{}
	var fresh []int
	for i, r := range recs {
		old, ok := stored[r.ID]
		if !ok {
			if j, dup := firstOf[r.ID]; dup {
				old, ok = recs[j], true
			}
		}
		if ok {
			if old.Type != r.Type || !bytes.Equal(old.Body, r.Body) {
				return nil, pactwatch.FieldErrorf(pactwatch.ECONFLICT, fmt.Sprintf("records[%d].id", i), "record %s is already stored with a different body", r.ID)
			}
			results[i] = AppendResult{Index: old.Index, Existed: true}
			continue
		}
		firstOf[r.ID] = i
		fresh = append(fresh, i)
	}
	if len(fresh) == 0 {
		return results, nil
	}
	ls := make([]encodedLeaf, len(fresh))
	for k, i := range fresh {
		ls[k] = encoded[i]
	}
	first, err := w.appendLeaves(ls)
	if err != nil {
		return nil, err
	}
	rows := make([]any, 0, 5*len(fresh))
	for k, i := range fresh {
		r := recs[i]
		r.Index = first + int64(k)
		results[i] = AppendResult{Index: r.Index}
		rows = append(rows, r.Index, r.ID, r.Type, nanos(r.Time), nonNil(r.Body))
	}
	for i, r := range recs {
		if j := firstOf[r.ID]; j != i && results[i].Existed && !isStored(stored, r.ID) {
			results[i].Index = results[j].Index
		}
	}
	return results, w.insert("records", recordCols, 5, rows)
}

func isStored(m map[string]GenericRecord, id string) bool {
	_, ok := m[id]
	return ok
}

const recordCols = "leaf_index, id, type, time, body"

func scanRecord(sc interface{ Scan(...any) error }) (GenericRecord, error) {
	var r GenericRecord
	var t int64
	err := sc.Scan(&r.Index, &r.ID, &r.Type, &t, &r.Body)
	r.Time = fromNanos(t)
	return r, err
}

// PutPrincipal implements Store.
func (s *DB) PutPrincipal(ctx context.Context, p Principal, leaf Leaf) error {
	if p.ID == "" {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "id", "missing principal id")
	}
	if p.Role == "" {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "role", "missing role")
	}
	if p.RevokedAt != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "revoked_at", "a new principal cannot be revoked already; use RevokePrincipal")
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now()
	}
	if err := checkTexts("", "id", p.ID, "name", p.Name, "role", string(p.Role), "of", p.Of, "key_id", p.KeyID, "source", p.Source); err != nil {
		return err
	}
	if err := checkTimes("", "valid_from", p.ValidFrom, "valid_until", p.ValidUntil, "created_at", p.CreatedAt); err != nil {
		return err
	}
	enc, err := encodeLeaves([]Leaf{leaf}, ledger.TypeKey)
	if err != nil {
		return err
	}
	return s.write(ctx, 1, func(w *wtx) error {
		rows, err := w.query("SELECT "+principalCols+" FROM principals WHERE id = ?", p.ID)
		if err != nil {
			return err
		}
		var old []Principal
		if err := eachRow(rows, func() error {
			q, err := scanPrincipal(rows)
			old = append(old, q)
			return err
		}); err != nil {
			return err
		}
		if len(old) > 0 {
			if samePrincipal(old[0], p) {
				return nil
			}
			return pactwatch.FieldErrorf(pactwatch.ECONFLICT, "id", "principal %s already exists with other attributes", p.ID)
		}
		if p.TokenHash != nil {
			var n int
			if err := w.tx.QueryRowContext(w.ctx, w.s.d.rebind("SELECT COUNT(*) FROM principals WHERE token_hash = ?"), p.TokenHash).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return pactwatch.FieldErrorf(pactwatch.ECONFLICT, "token", "token already in use")
			}
		}
		idx, err := w.appendLeaves(enc)
		if err != nil {
			return err
		}
		_, err = w.exec("INSERT INTO principals (id, name, role, of_id, public_key, key_id, token_hash, valid_from, valid_until, revoked_at, source, created_at, leaf_index) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
			p.ID, p.Name, string(p.Role), p.Of, nilIfEmpty(p.PublicKey), p.KeyID, nilIfEmpty(p.TokenHash),
			nanos(p.ValidFrom), nanos(p.ValidUntil), p.Source, nanos(p.CreatedAt), idx)
		return err
	})
}

func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func samePrincipal(a, b Principal) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Role == b.Role && a.Of == b.Of &&
		bytes.Equal(a.PublicKey, b.PublicKey) && a.KeyID == b.KeyID && bytes.Equal(a.TokenHash, b.TokenHash) &&
		a.ValidFrom.Equal(b.ValidFrom) && a.ValidUntil.Equal(b.ValidUntil) && a.Source == b.Source
}

const principalCols = "id, name, role, of_id, public_key, key_id, token_hash, valid_from, valid_until, revoked_at, source, created_at"

func scanPrincipal(sc interface{ Scan(...any) error }) (Principal, error) {
	var p Principal
	var role string
	var from, until, created int64
	var revoked sql.NullInt64
	var pub []byte
	err := sc.Scan(&p.ID, &p.Name, &role, &p.Of, &pub, &p.KeyID, &p.TokenHash, &from, &until, &revoked, &p.Source, &created)
	p.PublicKey = pub
	p.Role = vocab.Role(role)
	p.ValidFrom, p.ValidUntil, p.CreatedAt = fromNanos(from), fromNanos(until), fromNanos(created)
	if revoked.Valid {
		t := fromNanos(revoked.Int64)
		p.RevokedAt = &t
	}
	if len(p.PublicKey) == 0 {
		p.PublicKey = nil
	}
	if len(p.TokenHash) == 0 {
		p.TokenHash = nil
	}
	return p, err
}

// RevokePrincipal implements Store.
func (s *DB) RevokePrincipal(ctx context.Context, id string, at time.Time, leaf Leaf) error {
	if at.IsZero() {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "revoked_at", "missing revocation time")
	}
	if err := CheckTime("revoked_at", at); err != nil {
		return err
	}
	if !validText(id) {
		return pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no principal %q", id)
	}
	enc, err := encodeLeaves([]Leaf{leaf}, ledger.TypeKey)
	if err != nil {
		return err
	}
	return s.write(ctx, 1, func(w *wtx) error {
		var revoked sql.NullInt64
		err := w.tx.QueryRowContext(w.ctx, w.s.d.rebind("SELECT revoked_at FROM principals WHERE id = ?"), id).Scan(&revoked)
		if err == sql.ErrNoRows {
			return pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no principal %s", id)
		}
		if err != nil {
			return err
		}
		if revoked.Valid {
			return pactwatch.FieldErrorf(pactwatch.ECONFLICT, "id", "principal %s is already revoked", id)
		}
		idx, err := w.appendLeaves(enc)
		if err != nil {
			return err
		}
		if _, err := w.exec("INSERT INTO principal_revocations (principal_id, revoked_at, leaf_index) VALUES (?, ?, ?)", id, nanos(at), idx); err != nil {
			return err
		}
		_, err = w.exec("UPDATE principals SET revoked_at = ? WHERE id = ?", nanos(at), id)
		return err
	})
}

// PutEvidence implements Store.
func (s *DB) PutEvidence(ctx context.Context, ev Evidence, leaf Leaf) (bool, error) {
	if !isSHA256Hex(ev.SHA256) {
		return false, pactwatch.FieldErrorf(pactwatch.EINVALID, "sha256", "want 64 lowercase hex digits")
	}
	if ev.Size < 0 {
		return false, pactwatch.FieldErrorf(pactwatch.EINVALID, "size", "negative size")
	}
	if err := checkTexts("", "media_type", ev.MediaType, "uploaded_by", ev.UploadedBy); err != nil {
		return false, err
	}
	if err := CheckTime("uploaded_at", ev.UploadedAt); err != nil {
		return false, err
	}
	enc, err := encodeLeaves([]Leaf{leaf}, ledger.TypeEvidence)
	if err != nil {
		return false, err
	}
	existed := false
	err = s.write(ctx, 1, func(w *wtx) error {
		existed = false
		var n int
		if err := w.tx.QueryRowContext(w.ctx, w.s.d.rebind("SELECT COUNT(*) FROM evidence WHERE sha256 = ?"), ev.SHA256).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			existed = true
			return nil
		}
		idx, err := w.appendLeaves(enc)
		if err != nil {
			return err
		}
		_, err = w.exec("INSERT INTO evidence (sha256, size, media_type, uploaded_by, uploaded_at, leaf_index) VALUES (?, ?, ?, ?, ?, ?)",
			ev.SHA256, ev.Size, ev.MediaType, ev.UploadedBy, nanos(ev.UploadedAt), idx)
		return err
	})
	return existed, err
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// PutCheckpoint implements Store.
func (s *DB) PutCheckpoint(ctx context.Context, size int64, note []byte) error {
	if size < 0 {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "size", "negative tree size")
	}
	if len(note) == 0 {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "note", "empty checkpoint")
	}
	return s.write(ctx, 0, func(w *wtx) error {
		if size > w.size {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, "size", "checkpoint of size %d beyond the tree's %d leaves", size, w.size)
		}
		_, err := w.exec("INSERT INTO checkpoints (size, note, updated_at) VALUES (?, ?, ?) "+
			"ON CONFLICT (size) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at",
			size, note, s.now().UnixNano())
		return err
	})
}

// checkTexts checks name/value pairs with checkText; field prefixes the
// names ("records[3]" → "records[3].id").
func checkTexts(field string, nameValues ...string) error {
	for i := 0; i+1 < len(nameValues); i += 2 {
		if err := checkText(join(field, nameValues[i]), nameValues[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// checkTimes checks name/time pairs with CheckTime.
func checkTimes(field string, nameTimes ...any) error {
	for i := 0; i+1 < len(nameTimes); i += 2 {
		if err := CheckTime(join(field, nameTimes[i].(string)), nameTimes[i+1].(time.Time)); err != nil {
			return err
		}
	}
	return nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// entryOf parses stored entry bytes; a row that does not parse has been
// tampered with or corrupted.
func entryOf(idx int64, data []byte) (ledger.Entry, error) {
	e, err := ledger.ParseEntry(data)
	if err != nil {
		return e, fmt.Errorf("ledger entry %d: %w", idx, err)
	}
	return e, nil
}
