package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/recordform"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/postgres"
	"github.com/pactwatch/pactwatch/store/sqlite"
)

// The entry-driven audit (ledger.Audit with recordform.Fetcher) proves that every
// ledger entry's record is in the database unchanged. It cannot see a row
// that has no entry, nor the columns the store copies out of a record for
// its queries. rowAudit walks every table that holds ledger records and
// requires each row to be named by an entry of its type at the index the
// row gives (observations: seq-1), and the copied columns to equal the
// record's own fields. Reading the tables is SQL against the store's
// schema: the store interface deliberately has no "every row" method, and
// an auditor must see the rows as they are, not as the store reports them.

// rowAudit is the state of one walk over the tables.
type rowAudit struct {
	treeSize int64 // entries in the log (ledger_head)
	cpSize   int64 // entries the verified checkpoint covers
	rows     map[string]int64
	pending  int64 // rows whose entries are not yet in the checkpoint
	// err is the first row found wrong. The walk goes on after it, so the
	// entry audit that runs next has every evidence row, and a failure
	// of the entries themselves is reported before the rows' (a row
	// naming an altered entry is a consequence, not the cause).
	err error
	// evidence rows by leaf index, for the fetcher: an evidence entry's
	// record id is random, so its row is found by the entry's index.
	evidence map[int64]store.Evidence
}

// openRaw opens the database named by dsn (as store.Open reads it) for
// the table walk.
func openRaw(ctx context.Context, dsn string) (*sql.DB, func(), error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, closePool, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close(); closePool() }, nil
	}
	w, r, err := sqlite.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	if err != nil {
		return nil, nil, err
	}
	w.Close()
	return r, func() { r.Close() }, nil
}

// auditRows walks observations, principals, principal_revocations,
// evidence and records. The returned error is a failure to read them; the
// first row found wrong, named by table and row, is in rowAudit.err.
func auditRows(ctx context.Context, db *sql.DB, treeSize, cpSize int64) (*rowAudit, error) {
	a := &rowAudit{treeSize: treeSize, cpSize: cpSize, rows: map[string]int64{}, evidence: map[int64]store.Evidence{}}
	for _, walk := range []func(context.Context, *sql.DB) error{a.observations, a.principals, a.revocations, a.evidenceRows, a.records} {
		if err := walk(ctx, db); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// rowError names a row that does not match the ledger.
func rowError(table, row, format string, args ...any) error {
	return pactwatch.FieldErrorf(pactwatch.EINVALID, table, "%s row %s: %s", table, row, fmt.Sprintf(format, args...))
}

// entry checks that the entry at idx (its bytes data, nil if there is
// none) is of type typ and, unless id is "", for record id.
func (a *rowAudit) entry(table, row string, idx int64, data []byte, typ, id string) (ledger.Entry, error) {
	a.rows[table]++
	switch {
	case idx < 0 || idx >= a.treeSize:
		return ledger.Entry{}, rowError(table, row, "points at ledger index %d, outside the log's %d entries: a row without its entry", idx, a.treeSize)
	case data == nil:
		return ledger.Entry{}, rowError(table, row, "no ledger entry at index %d: a row without its entry", idx)
	}
	e, err := ledger.ParseEntry(data)
	if err != nil {
		return e, rowError(table, row, "the ledger entry at index %d does not parse: %v", idx, err)
	}
	if e.Type != typ || (id != "" && e.RecordID != id) {
		return e, rowError(table, row, "the ledger entry at index %d is %s %q, not %s %q: a row without its entry", idx, e.Type, e.RecordID, typ, id)
	}
	if idx >= a.cpSize {
		a.pending++
	}
	return e, nil
}

// fail records a wrong row; the walk continues.
func (a *rowAudit) fail(err error) {
	if a.err == nil {
		a.err = err
	}
}

func (a *rowAudit) observations(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT o.seq, o.id, o.observed_at, o.category, o.reporter,
		o.observer_lat, o.observer_lon, o.target_lat, o.target_lon, o.origin_lat, o.origin_lon, o.body, e.data
		FROM observations o LEFT JOIN ledger_entries e ON e.idx = o.seq - 1 ORDER BY o.seq`)
	if err != nil {
		return pactwatch.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq, observedAt int64
		var id, category, reporter string
		var pos [6]sql.NullFloat64
		var body, data []byte
		if err := rows.Scan(&seq, &id, &observedAt, &category, &reporter, &pos[0], &pos[1], &pos[2], &pos[3], &pos[4], &pos[5], &body, &data); err != nil {
			return pactwatch.Internal(err)
		}
		row := fmt.Sprintf("seq %d (id %s)", seq, id)
		if _, err := a.entry("observations", row, seq-1, data, ledger.TypeObservation, id); err != nil {
			a.fail(err)
		}
		var o observation.Observation
		if err := json.Unmarshal(body, &o); err != nil {
			a.fail(rowError("observations", row, "body: %v", err))
		} else if err := checkObservationColumns(o, id, observedAt, category, reporter, pos); err != nil {
			a.fail(rowError("observations", row, "%v", err))
		}
	}
	return rows.Err()
}

// checkObservationColumns compares the query columns with the body they
// were copied from: the API filters on them, so an edited column hides an
// observation from a query while its body still matches the ledger.
func checkObservationColumns(o observation.Observation, id string, observedAt int64, category, reporter string, pos [6]sql.NullFloat64) error {
	var want int64
	if !o.ObservedAt.IsZero() {
		want = o.ObservedAt.UnixNano()
	}
	switch {
	case o.ID != id:
		return fmt.Errorf("column id %q but the body's id is %q", id, o.ID)
	case observedAt != want:
		return fmt.Errorf("column observed_at %s but the body says %s", time.Unix(0, observedAt).UTC().Format(time.RFC3339Nano), o.ObservedAt.UTC().Format(time.RFC3339Nano))
	case category != string(o.Category):
		return fmt.Errorf("column category %q but the body says %q", category, o.Category)
	case reporter != o.Reporter:
		return fmt.Errorf("column reporter %q but the body says %q", reporter, o.Reporter)
	}
	for i, p := range []*observation.Position{o.Observer, o.Target, o.Origin} {
		name := [...]string{"observer", "target", "origin"}[i]
		lat, lon := pos[2*i], pos[2*i+1]
		switch {
		case p == nil && (lat.Valid || lon.Valid):
			return fmt.Errorf("columns %s_lat/%s_lon are set but the body has no %s", name, name, name)
		case p != nil && (!lat.Valid || !lon.Valid || lat.Float64 != p.Lat || lon.Float64 != p.Lon):
			return fmt.Errorf("columns %s_lat/%s_lon (%s, %s) differ from the body's %s (%v, %v)", name, name, nullString(lat), nullString(lon), name, p.Lat, p.Lon)
		}
	}
	return nil
}

func nullString(f sql.NullFloat64) string {
	if !f.Valid {
		return "NULL"
	}
	return fmt.Sprint(f.Float64)
}

func (a *rowAudit) principals(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT p.id, p.leaf_index, e.data
		FROM principals p LEFT JOIN ledger_entries e ON e.idx = p.leaf_index ORDER BY p.id`)
	if err != nil {
		return pactwatch.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var idx int64
		var data []byte
		if err := rows.Scan(&id, &idx, &data); err != nil {
			return pactwatch.Internal(err)
		}
		if _, err := a.entry("principals", "id "+id, idx, data, ledger.TypeKey, recordform.KeyEventID(id, recordform.EventAdd)); err != nil {
			a.fail(err)
		}
	}
	return rows.Err()
}

// revocations checks principal_revocations against the ledger and against
// principals.revoked_at, which is what the server reads: a revocation
// counts only when both agree with a revoke entry.
func (a *rowAudit) revocations(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT p.id, p.revoked_at, r.principal_id, r.revoked_at, r.leaf_index, e.data
		FROM principals p FULL OUTER JOIN principal_revocations r ON r.principal_id = p.id
		LEFT JOIN ledger_entries e ON e.idx = r.leaf_index
		WHERE p.revoked_at IS NOT NULL OR r.principal_id IS NOT NULL ORDER BY 1, 3`)
	if err != nil {
		return pactwatch.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid, rid sql.NullString
		var pAt, rAt, idx sql.NullInt64
		var data []byte
		if err := rows.Scan(&pid, &pAt, &rid, &rAt, &idx, &data); err != nil {
			return pactwatch.Internal(err)
		}
		switch {
		case !rid.Valid:
			a.fail(rowError("principals", "id "+pid.String, "revoked_at is set but principal_revocations has no row for it"))
			continue
		case !pid.Valid:
			a.fail(rowError("principal_revocations", "principal_id "+rid.String, "no such principal"))
		case !pAt.Valid || pAt.Int64 != rAt.Int64:
			a.fail(rowError("principal_revocations", "principal_id "+rid.String, "revoked_at %d but principals.revoked_at is %s", rAt.Int64, nullInt(pAt)))
		}
		if _, err := a.entry("principal_revocations", "principal_id "+rid.String, idx.Int64, data, ledger.TypeKey, recordform.KeyEventID(rid.String, recordform.EventRevoke)); err != nil {
			a.fail(err)
		}
	}
	return rows.Err()
}

func nullInt(n sql.NullInt64) string {
	if !n.Valid {
		return "NULL"
	}
	return fmt.Sprint(n.Int64)
}

func (a *rowAudit) evidenceRows(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT v.sha256, v.size, v.media_type, v.uploaded_by, v.uploaded_at, v.leaf_index, e.data
		FROM evidence v LEFT JOIN ledger_entries e ON e.idx = v.leaf_index ORDER BY v.leaf_index`)
	if err != nil {
		return pactwatch.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ev store.Evidence
		var at, idx int64
		var data []byte
		if err := rows.Scan(&ev.SHA256, &ev.Size, &ev.MediaType, &ev.UploadedBy, &at, &idx, &data); err != nil {
			return pactwatch.Internal(err)
		}
		row := "sha256 " + ev.SHA256
		// Evidence record ids are random (see server/evidence.go): the
		// row is tied to its entry by the index, which must be its own.
		if _, err := a.entry("evidence", row, idx, data, ledger.TypeEvidence, ""); err != nil {
			a.fail(err)
			continue
		}
		if other, dup := a.evidence[idx]; dup {
			a.fail(rowError("evidence", row, "shares the ledger entry at index %d with sha256 %s: a row without its entry", idx, other.SHA256))
			continue
		}
		if at != 0 {
			ev.UploadedAt = time.Unix(0, at).UTC()
		}
		a.evidence[idx] = ev
	}
	return rows.Err()
}

func (a *rowAudit) records(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT r.leaf_index, r.id, r.type, e.data
		FROM records r LEFT JOIN ledger_entries e ON e.idx = r.leaf_index ORDER BY r.leaf_index`)
	if err != nil {
		return pactwatch.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var id, typ string
		var data []byte
		if err := rows.Scan(&idx, &id, &typ, &data); err != nil {
			return pactwatch.Internal(err)
		}
		if _, err := a.entry("records", "id "+id, idx, data, typ, id); err != nil {
			a.fail(err)
		}
	}
	return rows.Err()
}
