package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store/postgres"
)

func (s *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.r.QueryRowContext(ctx, s.d.rebind(q), args...)
}

func (s *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.r.QueryContext(ctx, s.d.rebind(q), args...)
}

// readErr turns a read failure into the store's error: sql.ErrNoRows is
// ENOTFOUND naming field, anything else EINTERNAL.
func readErr(err error, field, format string, args ...any) error {
	if err == sql.ErrNoRows {
		return pactwatch.FieldErrorf(pactwatch.ENOTFOUND, field, format, args...)
	}
	return asError(err)
}

// Principal implements Store.
func (s *DB) Principal(ctx context.Context, id string) (Principal, error) {
	if !validText(id) { // nothing can be stored under it
		return Principal{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no principal %q", id)
	}
	p, err := scanPrincipal(s.queryRow(ctx, "SELECT "+principalCols+" FROM principals WHERE id = ?", id))
	if err != nil {
		return Principal{}, readErr(err, "id", "no principal %s", id)
	}
	return p, nil
}

// PrincipalByTokenHash implements Store.
func (s *DB) PrincipalByTokenHash(ctx context.Context, hash []byte) (Principal, error) {
	if len(hash) == 0 {
		return Principal{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "token", "no principal with this token")
	}
	p, err := scanPrincipal(s.queryRow(ctx, "SELECT "+principalCols+" FROM principals WHERE token_hash = ?", hash))
	if err != nil {
		return Principal{}, readErr(err, "token", "no principal with this token")
	}
	return p, nil
}

// PrincipalsByKeyID implements Store.
func (s *DB) PrincipalsByKeyID(ctx context.Context, keyID string) ([]Principal, error) {
	if keyID == "" || !validText(keyID) {
		return nil, nil
	}
	return s.principals(ctx, "SELECT "+principalCols+" FROM principals WHERE key_id = ? ORDER BY created_at, id", keyID)
}

// Principals implements Store.
func (s *DB) Principals(ctx context.Context) ([]Principal, error) {
	return s.principals(ctx, "SELECT "+principalCols+" FROM principals ORDER BY created_at, id")
}

func (s *DB) principals(ctx context.Context, q string, args ...any) ([]Principal, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, asError(err)
	}
	var out []Principal
	if err := eachRow(rows, func() error {
		p, err := scanPrincipal(rows)
		out = append(out, p)
		return err
	}); err != nil {
		return nil, asError(err)
	}
	return out, nil
}

// Observation implements Store.
func (s *DB) Observation(ctx context.Context, id string) (observation.Record, error) {
	if !validText(id) {
		return observation.Record{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no observation %q", id)
	}
	r, _, err := scanObservation(s.queryRow(ctx, "SELECT "+observationCols+" FROM observations WHERE id = ?", id))
	if err != nil {
		return r, readErr(err, "id", "no observation %s", id)
	}
	return r, nil
}

// Observations implements Store.
func (s *DB) Observations(ctx context.Context, f ObservationFilter) ([]observation.Record, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.After > 0 {
		add("seq > ?", f.After)
	}
	if !f.From.IsZero() {
		add("observed_at >= ?", nanos(f.From))
	}
	if !f.To.IsZero() {
		add("observed_at < ?", nanos(f.To))
	}
	if err := checkTexts("", "category", string(f.Category), "reporter", f.Reporter); err != nil {
		return nil, err
	}
	if f.Category != "" {
		add("category = ?", string(f.Category))
	}
	if f.Reporter != "" {
		add("reporter = ?", f.Reporter)
	}
	if b := f.BBox; b != nil {
		if b[0] > b[2] || b[1] > b[3] {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "bbox", "want min lon, min lat, max lon, max lat")
		}
		var any []string
		for _, p := range []string{"observer", "target", "origin"} {
			any = append(any, fmt.Sprintf("(%[1]s_lon BETWEEN ? AND ? AND %[1]s_lat BETWEEN ? AND ?)", p))
			args = append(args, b[0], b[2], b[1], b[3])
		}
		where = append(where, "("+strings.Join(any, " OR ")+")")
	}
	q := "SELECT " + observationCols + " FROM observations"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq LIMIT ?"
	args = append(args, limit(f.Limit))
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, asError(err)
	}
	var out []observation.Record
	if err := eachRow(rows, func() error {
		r, _, err := scanObservation(rows)
		out = append(out, r)
		return err
	}); err != nil {
		return nil, asError(err)
	}
	return out, nil
}

func limit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// Evidence implements Store.
func (s *DB) Evidence(ctx context.Context, sha256Hex string) (Evidence, error) {
	if !validText(sha256Hex) {
		return Evidence{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "sha256", "no evidence %q", sha256Hex)
	}
	ev := Evidence{SHA256: sha256Hex}
	var at int64
	err := s.queryRow(ctx, "SELECT size, media_type, uploaded_by, uploaded_at FROM evidence WHERE sha256 = ?", sha256Hex).
		Scan(&ev.Size, &ev.MediaType, &ev.UploadedBy, &at)
	if err != nil {
		return Evidence{}, readErr(err, "sha256", "no evidence %s", sha256Hex)
	}
	ev.UploadedAt = fromNanos(at)
	return ev, nil
}

// recordWithLeaf reads a generic record joined with its ledger entry.
const recordWithLeaf = "SELECT r.leaf_index, r.id, r.type, r.time, r.body, e.data, e.salt, e.public_salt " +
	"FROM records r JOIN ledger_entries e ON e.idx = r.leaf_index"

func scanRecordWithLeaf(sc interface{ Scan(...any) error }) (GenericRecord, error) {
	var r GenericRecord
	var t int64
	var data []byte
	if err := sc.Scan(&r.Index, &r.ID, &r.Type, &t, &r.Body, &data, &r.Leaf.Salt, &r.Leaf.PublicSalt); err != nil {
		return r, err
	}
	r.Time = fromNanos(t)
	var err error
	r.Leaf.Entry, err = entryOf(r.Index, data)
	return r, err
}

// Record implements Store.
func (s *DB) Record(ctx context.Context, id string) (GenericRecord, error) {
	if !validText(id) {
		return GenericRecord{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no record %q", id)
	}
	r, err := scanRecordWithLeaf(s.queryRow(ctx, recordWithLeaf+" WHERE r.id = ?", id))
	if err != nil {
		return GenericRecord{}, readErr(err, "id", "no record %s", id)
	}
	return r, nil
}

// Records implements Store.
func (s *DB) Records(ctx context.Context, typ string, from int64, n int) ([]GenericRecord, error) {
	if err := checkText("type", typ); err != nil {
		return nil, err
	}
	q := recordWithLeaf + " WHERE r.leaf_index >= ?"
	args := []any{from}
	if typ != "" {
		q += " AND r.type = ?"
		args = append(args, typ)
	}
	q += " ORDER BY r.leaf_index LIMIT ?"
	args = append(args, limit(n))
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, asError(err)
	}
	var out []GenericRecord
	if err := eachRow(rows, func() error {
		r, err := scanRecordWithLeaf(rows)
		out = append(out, r)
		return err
	}); err != nil {
		return nil, asError(err)
	}
	return out, nil
}

func (s *DB) leafAt(ctx context.Context, idx int64) (Leaf, error) {
	var l Leaf
	var data []byte
	err := s.queryRow(ctx, "SELECT data, salt, public_salt FROM ledger_entries WHERE idx = ?", idx).Scan(&data, &l.Salt, &l.PublicSalt)
	if err != nil {
		return l, readErr(err, "index", "no ledger entry %d", idx)
	}
	if l.Entry, err = entryOf(idx, data); err != nil {
		return l, asError(err)
	}
	return l, nil
}

// TreeSize implements Store.
func (s *DB) TreeSize(ctx context.Context) (int64, error) {
	var n int64
	if err := s.queryRow(ctx, "SELECT size FROM ledger_head WHERE id = 1").Scan(&n); err != nil {
		return 0, asError(err)
	}
	return n, nil
}

// ReadHashes implements Store: the stored hashes at tlog stored-hash
// indexes, in the order asked. A hash not stored is ENOTFOUND.
func (s *DB) ReadHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	found, err := readHashes(ctx, s.d, s.r, indexes)
	if err != nil {
		return nil, asError(err)
	}
	out := make([][32]byte, len(indexes))
	for i, x := range indexes {
		h, ok := found[x]
		if !ok {
			return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "index", "no stored hash at index %d", x)
		}
		out[i] = h
	}
	return out, nil
}

// Entries implements Store.
func (s *DB) Entries(ctx context.Context, from, to int64) ([][]byte, error) {
	if from < 0 || to < from {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "index", "bad entry range [%d, %d)", from, to)
	}
	rows, err := s.query(ctx, "SELECT idx, data FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx", from, to)
	if err != nil {
		return nil, asError(err)
	}
	out := make([][]byte, 0, to-from)
	if err := eachRow(rows, func() error {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return err
		}
		if idx != from+int64(len(out)) {
			return fmt.Errorf("ledger entry %d missing", from+int64(len(out)))
		}
		out = append(out, data)
		return nil
	}); err != nil {
		return nil, asError(err)
	}
	if int64(len(out)) != to-from {
		return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "index", "no ledger entry %d", from+int64(len(out)))
	}
	return out, nil
}

// LeafByRecord implements Store.
func (s *DB) LeafByRecord(ctx context.Context, recordID string) (int64, Leaf, error) {
	if !validText(recordID) {
		return 0, Leaf{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "record_id", "no ledger entry for record %q", recordID)
	}
	var idx int64
	if err := s.queryRow(ctx, "SELECT idx FROM ledger_entries WHERE record_id = ?", recordID).Scan(&idx); err != nil {
		return 0, Leaf{}, readErr(err, "record_id", "no ledger entry for record %s", recordID)
	}
	l, err := s.leafAt(ctx, idx)
	return idx, l, err
}

// LatestCheckpoint implements Store.
func (s *DB) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var note []byte
	if err := s.queryRow(ctx, "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1").Scan(&size, &note); err != nil {
		return 0, nil, readErr(err, "checkpoint", "no checkpoint yet")
	}
	return size, note, nil
}

// TryLeader implements Store: TryLead with a leadership that ctx does not
// end.
func (s *DB) TryLeader(ctx context.Context, name string) (func(), bool, error) {
	_, release, ok, err := s.tryLead(ctx, context.WithoutCancel(ctx), name)
	return release, ok, err
}

// TryLead implements Store.
func (s *DB) TryLead(ctx context.Context, name string) (context.Context, func(), bool, error) {
	return s.tryLead(ctx, ctx, name)
}

// tryLead takes the lock within ctx; the leadership's context derives
// from parent.
func (s *DB) tryLead(ctx, parent context.Context, name string) (context.Context, func(), bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, false, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "leader election abandoned: %v", err)
	}
	select {
	case <-s.closing:
		return nil, nil, false, errClosed
	default:
	}
	if !s.d.dollar {
		// One process owns a SQLite database: the lock is process-wide per
		// database file, so two Stores on one file still exclude each other.
		key := s.path + "\x00" + name
		sqliteLeadersMu.Lock()
		defer sqliteLeadersMu.Unlock()
		if sqliteLeaders[key] {
			return nil, nil, false, nil
		}
		l, lead, err := s.newLease(parent, func() {
			sqliteLeadersMu.Lock()
			delete(sqliteLeaders, key)
			sqliteLeadersMu.Unlock()
		})
		if err != nil {
			return nil, nil, false, err
		}
		sqliteLeaders[key] = true
		go l.watch(lead, nil, 0)
		return lead, l.release, true, nil
	}
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, nil, false, asError(err)
	}
	key := leaderKey(name)
	var ok bool
	// The key is per schema too, so that stores in different schemas of one
	// database (tests, several deployments) do not exclude each other.
	err = conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(hashtextextended(current_schema(), $1))", key).Scan(&ok)
	if err != nil || !ok {
		conn.Close()
		if err != nil {
			return nil, nil, false, asError(err)
		}
		return nil, nil, false, nil
	}
	l, lead, err := s.newLease(parent, func() {
		// Unlock and return the connection; if that fails, discard it: a
		// pooled connection must never keep holding the lock.
		uctx, cancel := context.WithTimeout(context.Background(), s.leaderCheck)
		defer cancel()
		if _, err := conn.ExecContext(uctx, "SELECT pg_advisory_unlock(hashtextextended(current_schema(), $1))", key); err != nil {
			discard(conn)
		}
		conn.Close()
	})
	if err != nil {
		discard(conn)
		conn.Close()
		return nil, nil, false, err
	}
	go l.watch(lead, conn, s.leaderCheck)
	return lead, l.release, true, nil
}

// A lease is one leadership the store holds. Its goroutine (watch) ends it
// when its context is done (release, the holder's context, Close) or, on
// PostgreSQL, when the lock's connection stops answering.
type lease struct {
	s      *DB
	cancel context.CancelFunc
	unlock func()        // gives the lock up; run once, by watch
	done   chan struct{} // closed when watch has given the lock up
}

func (s *DB) newLease(ctx context.Context, unlock func()) (*lease, context.Context, error) {
	lead, cancel := context.WithCancel(ctx)
	l := &lease{s: s, cancel: cancel, unlock: unlock, done: make(chan struct{})}
	s.leasesMu.Lock()
	defer s.leasesMu.Unlock()
	if s.leases == nil {
		cancel()
		return nil, nil, errClosed
	}
	s.leases[l] = struct{}{}
	return l, lead, nil
}

// release ends the leadership and returns once the lock is given up, so
// that a holder that released may count on another taking over. It is
// idempotent.
func (l *lease) release() {
	l.cancel()
	<-l.done
}

// watch holds the lease until lead is done or, every check, the lock's
// connection conn (nil on SQLite) fails to answer within check: then the
// lock may already be another's, so lead is cancelled at once.
func (l *lease) watch(lead context.Context, conn *sql.Conn, check time.Duration) {
	defer close(l.done)
	defer func() {
		l.cancel()
		l.unlock()
		l.s.leasesMu.Lock()
		delete(l.s.leases, l)
		l.s.leasesMu.Unlock()
	}()
	if conn == nil {
		<-lead.Done()
		return
	}
	t := time.NewTicker(check)
	defer t.Stop()
	for {
		select {
		case <-lead.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(lead, check)
		err := conn.PingContext(pctx)
		cancel()
		if err != nil && lead.Err() == nil {
			l.cancel()
			discard(conn)
			return
		}
	}
}

// endLeases ends every leadership (Close), so that no connection stays
// checked out of the pool it is about to close.
func (s *DB) endLeases() {
	s.leasesMu.Lock()
	ls := s.leases
	s.leases = nil
	s.leasesMu.Unlock()
	for l := range ls {
		l.release()
	}
}

// discard makes database/sql close conn instead of returning it to the
// pool when it is closed.
func discard(conn *sql.Conn) {
	conn.Raw(func(dc any) error {
		postgres.CloseConn(dc)
		return driver.ErrBadConn
	})
}

// leaderKey is the seed mixing the lock name into the advisory lock key.
func leaderKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("pactwatch-leader:" + name))
	return int64(h.Sum64())
}

var (
	sqliteLeadersMu sync.Mutex
	sqliteLeaders   = map[string]bool{}
)
