package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
)

// DB is the Store on either SQL database.
type DB struct {
	d         *dialect
	w         *sql.DB // the writer: used only by the committer goroutine
	r         *sql.DB // readers
	closePool func()
	now       func() time.Time
	maxGroup  int

	commitTimeout time.Duration // bounds one group's transaction
	commitDelay   time.Duration // how long a group may wait for more writes (≤ 0: never)
	leaderCheck   time.Duration // how often a PostgreSQL leader lock is checked

	leasesMu sync.Mutex
	leases   map[*lease]struct{} // leadership held; nil once closed

	queue   chan *request // unbuffered: a send succeeds only while the committer listens
	closing chan struct{}
	stopped chan struct{}
	close   sync.Once

	stmts map[string]*sql.Stmt // writer statements (SQLite); committer goroutine only

	path string // SQLite: the absolute database path, naming its leader locks
	// fileLock serialises the SQLite writers of one file in this process
	// (two Stores on one file), which would otherwise spin in SQLite's busy
	// handler; nil on PostgreSQL, where the head row lock does it.
	fileLock *sync.Mutex
}

var _ Store = (*DB)(nil)

// newDB migrates the database and starts the committer. path is the
// SQLite file ("" on PostgreSQL).
func newDB(ctx context.Context, d *dialect, w, r *sql.DB, migrations fs.FS, opts Options, path string) (*DB, error) {
	if err := migrate(ctx, d, w, migrations, opts.Now); err != nil {
		return nil, &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Field: "db", Message: "cannot migrate the database: " + err.Error(), Err: err}
	}
	s := &DB{
		d: d, w: w, r: r, now: opts.Now, maxGroup: opts.MaxGroup,
		commitTimeout: opts.CommitTimeout, commitDelay: opts.CommitDelay, leaderCheck: opts.LeaderCheck,
		leases:  map[*lease]struct{}{},
		queue:   make(chan *request),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
		stmts:   map[string]*sql.Stmt{},
		path:    path,
	}
	if path != "" {
		s.fileLock = fileLock(path)
	}
	if err := s.prepare(ctx); err != nil {
		return nil, pactwatch.Internal(err)
	}
	go s.commitLoop()
	return s, nil
}

// Close stops the committer after the group in flight, ends the
// leaderships the store holds (their contexts are cancelled and the locks
// released) and closes the databases. Writes queued later fail with
// EUNAVAILABLE.
func (s *DB) Close() error {
	var err error
	s.close.Do(func() {
		close(s.closing)
		<-s.stopped
		s.endLeases()
		for _, st := range s.stmts {
			st.Close()
		}
		err = s.w.Close()
		if s.r != s.w {
			if e := s.r.Close(); err == nil {
				err = e
			}
		}
		if s.closePool != nil {
			s.closePool()
		}
	})
	return err
}

// A request is one caller's write. fn runs inside the group's transaction
// within its own savepoint; its error rolls back only its own writes.
type request struct {
	leaves int
	fn     func(*wtx) error
	obs    *obsWrite // instead of fn: observations, merged across the group
	done   chan error
}

var errClosed = pactwatch.Errorf(pactwatch.EUNAVAILABLE, "the store is closed")

// write queues fn for the committer and waits for the group's commit. Once
// queued, it waits even if ctx ends, so that an error never hides a write
// that was in fact committed.
func (s *DB) write(ctx context.Context, leaves int, fn func(*wtx) error) error {
	return s.enqueue(ctx, &request{leaves: leaves, fn: fn, done: make(chan error, 1)})
}

func (s *DB) enqueue(ctx context.Context, r *request) error {
	if err := ctx.Err(); err != nil {
		// select would pick at random between a ready queue and ctx.
		return pactwatch.Errorf(pactwatch.EUNAVAILABLE, "write abandoned: %v", err)
	}
	select {
	case s.queue <- r:
	case <-ctx.Done():
		return pactwatch.Errorf(pactwatch.EUNAVAILABLE, "write abandoned: %v", ctx.Err())
	case <-s.closing:
		return errClosed
	}
	return <-r.done
}

// commitLoop is the committer: it takes one request, then every request
// already waiting (up to maxGroup leaves), and commits them together.
//
// When it has time to spare — it found no request waiting after its last
// commit — and requests arrive concurrently (holdOpen), it also holds the
// group open for up to commitDelay, as long as each next request comes
// within a quarter of it (see Options.CommitDelay): each group then costs
// one fsync and one set of page writes for more requests. A committer that
// is the bottleneck (requests already waiting) never waits: that would
// only lengthen its cycle. A lone request after a quiet moment is
// committed at once.
func (s *DB) commitLoop() {
	defer close(s.stopped)
	var group []*request
	var timer *time.Timer
	var lastSize int      // requests in the previous group
	var lastEnd time.Time // when it was committed
	for {
		// idle: no request was waiting when the previous commit ended, so
		// the committer has time to spare for gathering a larger group.
		idle := false
		select {
		case r := <-s.queue:
			group = append(group[:0], r)
		default:
			idle = true
			select {
			case r := <-s.queue:
				group = append(group[:0], r)
			case <-s.closing:
				return
			}
		}
		leaves := s.drain(&group, group[0].leaves)
		if idle && leaves < s.maxGroup && holdOpen(s.commitDelay, len(group), lastSize, time.Since(lastEnd)) {
			// Wait while requests keep coming: at most commitDelay in
			// all, and no longer than a quarter of it for the next one.
			deadline := time.Now().Add(s.commitDelay)
		wait:
			for leaves < s.maxGroup {
				d := min(time.Until(deadline), s.commitDelay/4)
				if d <= 0 {
					break
				}
				if timer == nil {
					timer = time.NewTimer(d)
				} else {
					timer.Reset(d)
				}
				select {
				case r := <-s.queue:
					group = append(group, r)
					leaves = s.drain(&group, leaves+r.leaves)
				case <-timer.C:
					break wait
				case <-s.closing:
					break wait // commit what was taken: its callers are waiting
				}
			}
			if timer != nil {
				timer.Stop()
			}
		}
		s.commitGroup(group)
		lastSize, lastEnd = len(group), time.Now()
		clear(group)
	}
}

// holdOpen decides whether the committer waits for more requests before
// committing a group of n requests: only while requests arrive
// concurrently — the group already holds several, or the previous one did
// (last requests) and ended less than four delays ago (since). A lone
// request after a quiet moment is never held.
func holdOpen(delay time.Duration, n, last int, since time.Duration) bool {
	return delay > 0 && (n > 1 || last > 1 && since < 4*delay)
}

// drain appends every request already waiting to the group while it holds
// fewer than maxGroup leaves, and returns the group's leaf count.
func (s *DB) drain(group *[]*request, leaves int) int {
	for leaves < s.maxGroup {
		select {
		case r := <-s.queue:
			*group = append(*group, r)
			leaves += r.leaves
		default:
			return leaves
		}
	}
	return leaves
}

func (s *DB) commitGroup(group []*request) {
	errs := make([]error, len(group))
	if err := s.runGroup(group, errs); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = asError(err)
			}
		}
	}
	for i, r := range group {
		r.done <- errs[i]
	}
}

func (s *DB) runGroup(group []*request, errs []error) error {
	// Callers wait for their group whatever their own contexts say (an
	// error must never hide a committed write), so the group itself is
	// bounded: a database that stops answering fails it with EUNAVAILABLE.
	ctx, cancel := context.WithTimeout(context.Background(), s.commitTimeout)
	defer cancel()
	if s.fileLock != nil {
		s.fileLock.Lock()
		defer s.fileLock.Unlock()
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var size int64
	if err := tx.QueryRowContext(ctx, s.d.lockHead).Scan(&size); err != nil {
		return fmt.Errorf("lock the tree head: %w", err)
	}
	w := &wtx{s: s, ctx: ctx, tx: tx, size: size, cache: map[int64]tlog.Hash{}}
	// Observations first, all calls together; they fail alone without
	// writing anything, so they need no savepoints.
	var others []int
	for i, r := range group {
		if r.obs == nil {
			others = append(others, i)
		}
	}
	if len(group) == 1 && len(others) == 0 {
		// Alone in its group, a call needs no savepoint: its failure rolls
		// back the whole transaction.
		if err := w.insertObservationGroup(group, errs); err != nil {
			errs[0] = asError(err)
			return nil
		}
	} else if len(others) < len(group) {
		if err := w.observationsInSavepoint(group, errs); err != nil {
			return err
		}
	}
	if len(group) == 1 && len(others) == 1 {
		// Alone in its group, a request needs no savepoint: its failure
		// rolls back the whole transaction.
		if err := group[0].fn(w); err != nil {
			errs[0] = asError(err)
			return nil
		}
	} else {
		for _, i := range others {
			r := group[i]
			if _, err := tx.ExecContext(ctx, "SAVEPOINT req"); err != nil {
				return err
			}
			before := w.size
			if err := r.fn(w); err != nil {
				errs[i] = asError(err)
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT req"); err != nil {
					return err
				}
				w.forget(before)
			}
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT req"); err != nil {
				return err
			}
		}
	}
	if w.size != size {
		if _, err := w.exec(headUpdate, w.size); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// observationsInSavepoint runs the merged observation write in a
// savepoint. If it fails (a record id that clashes with another kind of
// record in the ledger, which the idempotency query does not see), it
// rolls back and writes each call alone in its own savepoint, so that the
// failure stays with its call.
func (w *wtx) observationsInSavepoint(group []*request, errs []error) error {
	sp := func(q string) error {
		_, err := w.tx.ExecContext(w.ctx, q)
		return err
	}
	if err := sp("SAVEPOINT obs"); err != nil {
		return err
	}
	before := w.size
	err := w.insertObservationGroup(group, errs)
	if err == nil {
		return sp("RELEASE SAVEPOINT obs")
	}
	if err := sp("ROLLBACK TO SAVEPOINT obs"); err != nil {
		return err
	}
	w.forget(before)
	for i, r := range group {
		if r.obs == nil {
			continue
		}
		errs[i] = nil
		if err := sp("SAVEPOINT one"); err != nil {
			return err
		}
		before := w.size
		if err := w.insertObservationGroup(group[i:i+1], errs[i:i+1]); err != nil {
			errs[i] = asError(err)
			if err := sp("ROLLBACK TO SAVEPOINT one"); err != nil {
				return err
			}
			w.forget(before)
		}
		if err := sp("RELEASE SAVEPOINT one"); err != nil {
			return err
		}
	}
	return sp("RELEASE SAVEPOINT obs")
}

// asError makes err a *pactwatch.Error: unique-key violations the
// pre-checks did not catch (a ledger record id used twice, a race between
// servers) become ECONFLICT; a database that cannot be reached, is
// restarting or is locked is EUNAVAILABLE (retrying is safe: writes are
// idempotent by id, which matters when a connection dies during COMMIT and
// the outcome is unknown); anything else is EINTERNAL.
func asError(err error) error {
	var pe *pactwatch.Error
	switch {
	case errors.As(err, &pe):
		return err
	case isUniqueViolation(err):
		return &pactwatch.Error{Code: pactwatch.ECONFLICT, Message: "already stored: a unique id or hash is used twice", Err: err}
	case isBadText(err):
		return &pactwatch.Error{Code: pactwatch.EINVALID, Message: "text must be valid UTF-8 without NUL bytes", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Message: "the database did not answer in time; retry (resubmitting the same records is safe)", Err: err}
	case isUnavailable(err):
		return &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Message: "the database is unavailable; retry (resubmitting the same records is safe)", Err: err}
	}
	return pactwatch.Internal(err)
}

// isUniqueViolation recognises SQLite's SQLITE_CONSTRAINT_UNIQUE /
// PRIMARYKEY and PostgreSQL's SQLSTATE 23505 by their messages, which both
// drivers keep stable, so that package store imports neither driver.
func isUniqueViolation(err error) bool {
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint failed") || strings.Contains(m, "SQLSTATE 23505")
}

// isBadText recognises PostgreSQL's refusal of a NUL byte or invalid UTF-8
// (SQLSTATE 22021 character_not_in_repertoire, 22P05
// untranslatable_character), which the store's own checks should have
// caught first.
func isBadText(err error) bool {
	m := err.Error()
	return strings.Contains(m, "SQLSTATE 22021") || strings.Contains(m, "SQLSTATE 22P05")
}

// isUnavailable recognises lost connections and a database that refuses
// work for now: network errors, EOF mid-conversation, PostgreSQL's
// connection-exception (08…) and shutdown (57P0…) states, pgx's "failed to
// connect" and "conn closed", SQLite's "database is locked".
func isUnavailable(err error) bool {
	var ne net.Error
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne) {
		return true
	}
	m := err.Error()
	for _, s := range []string{"SQLSTATE 08", "SQLSTATE 57P0", "failed to connect", "conn closed", "connection reset", "broken pipe", "database is locked", "SQLITE_BUSY"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// wtx is a group's transaction with the ledger state it extends: the tree
// size and the stored hashes computed so far (tlog needs earlier hashes to
// compute each new leaf's interior nodes).
type wtx struct {
	s     *DB
	ctx   context.Context
	tx    *sql.Tx
	size  int64
	cache map[int64]tlog.Hash
}

func (w *wtx) exec(q string, args ...any) (sql.Result, error) {
	if st, ok := w.s.stmts[q]; ok {
		return w.tx.StmtContext(w.ctx, st).ExecContext(w.ctx, args...)
	}
	// PostgreSQL: pgx caches prepared statements per connection by itself.
	return w.tx.ExecContext(w.ctx, w.s.d.rebind(q), args...)
}

// insertTables are the tables written in bulk, with their columns.
var insertTables = []struct {
	table, cols string
	ncols       int
}{
	{"ledger_entries", entryInsertCols, 6},
	{"ledger_hashes", "idx, hash", 2},
	{"observations", observationInsertCols, 14},
	{"records", recordCols, 5},
}

// prepare prepares the hot statements on the SQLite writer connection,
// before any transaction holds it (database/sql prepares a DB-level
// statement on a free connection, and the writer has only one): every
// multi-row INSERT shape and the head update.
func (s *DB) prepare(ctx context.Context) error {
	if s.d.dollar {
		return nil
	}
	qs := []string{headUpdate}
	for _, t := range insertTables {
		for n := 1; n <= insertChunk; n *= 2 {
			qs = append(qs, insertSQL(t.table, t.cols, t.ncols, n))
		}
	}
	for _, q := range qs {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

const entryInsertCols = "idx, type, record_id, data, salt, public_salt"

const headUpdate = "UPDATE ledger_head SET size = ? WHERE id = 1"

func (w *wtx) query(q string, args ...any) (*sql.Rows, error) {
	return w.tx.QueryContext(w.ctx, w.s.d.rebind(q), args...)
}

// forget drops the ledger state of a rolled-back request.
func (w *wtx) forget(size int64) {
	for i := tlog.StoredHashCount(size); i < tlog.StoredHashCount(w.size); i++ {
		delete(w.cache, i)
	}
	w.size = size
}

// ReadHashes implements tlog.HashReader over the hashes computed in this
// transaction and, for older ones, the table.
func (w *wtx) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, x := range indexes {
		if h, ok := w.cache[x]; ok {
			out[i] = h
		} else {
			missing = append(missing, x)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	found, err := readHashes(w.ctx, w.s.d, w.tx, missing)
	if err != nil {
		return nil, err
	}
	for i, x := range indexes {
		if _, ok := w.cache[x]; ok {
			continue
		}
		h, ok := found[x]
		if !ok {
			// Reading it as zero would extend a damaged tree silently.
			return nil, fmt.Errorf("stored hash %d is missing: the ledger tree is damaged", x)
		}
		out[i] = h
		w.cache[x] = h
	}
	return out, nil
}

// encodedLeaf is a leaf with its entry bytes and leaf hash, computed in the
// caller's goroutine so that the committer only writes.
type encodedLeaf struct {
	Leaf
	data []byte
	hash tlog.Hash
}

// encodeLeaves encodes leaves whose entries must be of type typ ("" for
// any). An entry that would not read back (ledger.ParseEntry refuses an
// empty type or id, a line break, a year beyond 9999) is EINVALID: once
// committed it could never be read or audited again.
func encodeLeaves(leaves []Leaf, typ string) ([]encodedLeaf, error) {
	out := make([]encodedLeaf, len(leaves))
	for i, l := range leaves {
		field := "entry"
		if len(leaves) > 1 {
			field = "entries[" + strconv.Itoa(i) + "]"
		}
		if typ != "" && l.Entry.Type != typ {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, field+".type", "ledger entry of type %q, want %q", l.Entry.Type, typ)
		}
		if err := checkTexts(field, "type", l.Entry.Type, "record_id", l.Entry.RecordID); err != nil {
			return nil, err
		}
		data := l.Entry.Marshal()
		if len(data) > ledger.MaxEntrySize {
			return nil, pactwatch.FieldErrorf(pactwatch.ETOOLARGE, field, "ledger entry of %d bytes, over %d", len(data), ledger.MaxEntrySize)
		}
		if _, err := ledger.ParseEntry(data); err != nil {
			return nil, &pactwatch.Error{Code: pactwatch.EINVALID, Field: field, Message: "the ledger entry would not read back: " + err.Error(), Err: err}
		}
		out[i] = encodedLeaf{Leaf: l, data: data, hash: tlog.RecordHash(data)}
	}
	return out, nil
}

// appendLeaves appends the leaves in order, writing entry rows and stored
// hashes, and returns the index of the first.
func (w *wtx) appendLeaves(leaves []encodedLeaf) (int64, error) {
	first := w.size
	entryRows := make([]any, 0, 6*len(leaves))
	hashRows := make([]any, 0, 4*len(leaves)+2)
	for _, l := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(w.size, l.hash, w)
		if err != nil {
			return 0, fmt.Errorf("ledger hashes for leaf %d: %w", w.size, err)
		}
		base := tlog.StoredHashIndex(0, w.size)
		for j, h := range hs {
			w.cache[base+int64(j)] = h
			hashRows = append(hashRows, base+int64(j), h[:])
		}
		entryRows = append(entryRows, w.size, l.Entry.Type, l.Entry.RecordID, l.data, nonNil(l.Salt), nonNil(l.PublicSalt))
		w.size++
	}
	if err := w.insert("ledger_entries", entryInsertCols, 6, entryRows); err != nil {
		return 0, err
	}
	if err := w.insert("ledger_hashes", "idx, hash", 2, hashRows); err != nil {
		return 0, err
	}
	return first, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// insertChunk is how many rows one multi-row INSERT writes at most: large
// enough to amortise statement overhead, small enough to stay prepared. It
// is a power of two: inserts are split into power-of-two chunks, so that
// log2(insertChunk)+1 prepared shapes per table cover every row count.
const insertChunk = 256

// insert writes rows (ncols values each, flattened) with multi-row INSERTs.
func (w *wtx) insert(table, cols string, ncols int, vals []any) error {
	rows := len(vals) / ncols
	for start, n := 0, 0; start < rows; start += n {
		n = insertChunk
		for n > rows-start {
			n /= 2
		}
		if _, err := w.exec(insertSQL(table, cols, ncols, n), vals[start*ncols:(start+n)*ncols]...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

var insertSQLCache sync.Map // string key → string

func insertSQL(table, cols string, ncols, rows int) string {
	key := table + "\x00" + strconv.Itoa(rows)
	if q, ok := insertSQLCache.Load(key); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	q := b.String()
	insertSQLCache.Store(key, q)
	return q
}

// queryer is what reads need from *sql.DB and *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// readHashes reads stored hashes by index; missing ones are absent from the
// map.
func readHashes(ctx context.Context, d *dialect, q queryer, indexes []int64) (map[int64]tlog.Hash, error) {
	found := make(map[int64]tlog.Hash, len(indexes))
	const chunk = 500
	for start := 0; start < len(indexes); start += chunk {
		part := indexes[start:min(start+chunk, len(indexes))]
		args := make([]any, len(part))
		for i, x := range part {
			args[i] = x
		}
		rows, err := q.QueryContext(ctx, d.rebind("SELECT idx, hash FROM ledger_hashes WHERE idx IN ("+placeholders(len(part))+")"), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var x int64
			var b []byte
			if err := rows.Scan(&x, &b); err != nil {
				rows.Close()
				return nil, err
			}
			if len(b) != tlog.HashSize {
				rows.Close()
				return nil, fmt.Errorf("stored hash %d has %d bytes", x, len(b))
			}
			found[x] = tlog.Hash(b)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return found, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

var (
	fileLocksMu sync.Mutex
	fileLocks   = map[string]*sync.Mutex{}
)

func fileLock(path string) *sync.Mutex {
	fileLocksMu.Lock()
	defer fileLocksMu.Unlock()
	m, ok := fileLocks[path]
	if !ok {
		m = new(sync.Mutex)
		fileLocks[path] = m
	}
	return m
}
