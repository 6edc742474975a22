package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
)

var t0 = time.Date(2026, 11, 20, 6, 15, 0, 0, time.UTC)

func entryBytes(i int) []byte {
	typ := ledger.TypeObservation
	if i%10 == 0 {
		typ = ledger.TypeKey
	}
	return ledger.NewEntry(typ, fmt.Sprintf("rec-%05d", i), t0.Add(time.Duration(i)*time.Second),
		[]byte(fmt.Sprintf(`{"n":%d}`, i)), []byte("salt"), nil, nil).Marshal()
}

// auditLog is a log of n real entries and its checkpoint.
func auditLog(t *testing.T, n int) (*ledgertest.MemLog, ledger.Checkpoint) {
	t.Helper()
	m := ledgertest.New()
	for i := range n {
		m.Append(entryBytes(i))
	}
	root, err := ledger.TreeHash(context.Background(), m, int64(n))
	if err != nil {
		t.Fatal(err)
	}
	return m, ledger.Checkpoint{Origin: testOrigin, Size: int64(n), Hash: root}
}

func TestAuditCleanLog(t *testing.T) {
	ctx := context.Background()
	m, cp := auditLog(t, 600)
	rep, err := ledger.Audit(ctx, m, cp, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != 600 || rep.StoredHashes != tlog.StoredHashCount(600) || rep.ByType[ledger.TypeKey] != 60 || rep.ByType[ledger.TypeObservation] != 540 {
		t.Errorf("report %+v", rep)
	}
	// A grown log is consistent with the earlier checkpoint.
	prev := cp
	for i := 600; i < 700; i++ {
		m.Append(entryBytes(i))
	}
	root, _ := ledger.TreeHash(ctx, m, 700)
	rep, err = ledger.Audit(ctx, m, ledger.Checkpoint{Origin: testOrigin, Size: 700, Hash: root}, &prev, nil)
	if err != nil || !rep.Consistent {
		t.Fatalf("audit of the grown log: %+v, %v", rep, err)
	}
	// Empty log.
	empty, cp0 := auditLog(t, 0)
	if _, err := ledger.Audit(ctx, empty, cp0, nil, nil); err != nil {
		t.Errorf("empty log: %v", err)
	}
}

// TestAuditNamesTheFailingEntry tampers with the log in every way a
// database writer could and checks the audit names the entry.
func TestAuditNamesTheFailingEntry(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tamper    func(m *ledgertest.MemLog)
		wantIndex int64
		wantLevel int
	}{
		{"entry altered", func(m *ledgertest.MemLog) { m.SetEntry(417, entryBytes(9999)) }, 417, 0},
		{"entry garbled", func(m *ledgertest.MemLog) { m.SetEntry(3, []byte("garbage")) }, 3, 0},
		{"entry row deleted", func(m *ledgertest.MemLog) { m.DeleteRow(290) }, 290, 0},
		{"last entry row deleted", func(m *ledgertest.MemLog) { m.DeleteRow(599) }, 599, 0},
		{"entries swapped", func(m *ledgertest.MemLog) { m.SetEntry(100, entryBytes(101)); m.SetEntry(101, entryBytes(100)) }, 100, 0},
		{"leaf hash altered", func(m *ledgertest.MemLog) { m.SetHash(tlog.StoredHashIndex(0, 511), tlog.Hash{1}) }, 511, 0},
		{"interior hash altered", func(m *ledgertest.MemLog) { m.SetHash(tlog.StoredHashIndex(3, 5), tlog.Hash{2}) }, 40, 3},
		{"entry and its hashes rewritten", func(m *ledgertest.MemLog) { m.Rewrite(17, entryBytes(9999)) }, -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, cp := auditLog(t, 600)
			tc.tamper(m)
			_, err := ledger.Audit(context.Background(), m, cp, nil, nil)
			var ae *ledger.AuditError
			if !errors.As(err, &ae) {
				t.Fatalf("Audit: %v, want an AuditError", err)
			}
			if ae.Index != tc.wantIndex || ae.Level != tc.wantLevel {
				t.Errorf("Audit names entry %d level %d (%v), want entry %d level %d", ae.Index, ae.Level, err, tc.wantIndex, tc.wantLevel)
			}
			if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
				t.Errorf("code %q", pactwatch.ErrorCode(err))
			}
		})
	}
}

func TestAuditDetectsRollbackAndRewrittenPrefix(t *testing.T) {
	ctx := context.Background()
	m, cp := auditLog(t, 300)
	prev := cp
	prev.Size, prev.Hash = 400, tlog.Hash{9}
	if _, err := ledger.Audit(ctx, m, cp, &prev, nil); err == nil {
		t.Error("a checkpoint smaller than the one verified before passed")
	}
	prev = ledger.Checkpoint{Origin: testOrigin, Size: 200, Hash: tlog.Hash{7}}
	if _, err := ledger.Audit(ctx, m, cp, &prev, nil); err == nil {
		t.Error("a log whose first 200 entries changed root passed")
	}
}

type records map[int64][2][]byte

func (r records) Record(ctx context.Context, i int64, e ledger.Entry) ([]byte, []byte, error) {
	rec, ok := r[i]
	if !ok {
		return nil, nil, pactwatch.Errorf(pactwatch.ENOTFOUND, "no record %s", e.RecordID)
	}
	return rec[0], rec[1], nil
}

func TestAuditChecksRecords(t *testing.T) {
	ctx := context.Background()
	m, cp := auditLog(t, 50)
	recs := records{}
	for i := range 50 {
		recs[int64(i)] = [2][]byte{[]byte(fmt.Sprintf(`{"n":%d}`, i)), []byte("salt")}
	}
	if rep, err := ledger.Audit(ctx, m, cp, nil, recs); err != nil || rep.Records != 50 {
		t.Fatalf("%+v, %v", rep, err)
	}
	good := recs[33]
	recs[33] = [2][]byte{[]byte(`{"n":34}`), []byte("salt")}
	var ae *ledger.AuditError
	if _, err := ledger.Audit(ctx, m, cp, nil, recs); !errors.As(err, &ae) || ae.Index != 33 {
		t.Errorf("altered record: %v", err)
	}
	recs[33] = good
	recs[40] = [2][]byte{nil, nil}
	skip := skipping{records: recs, skip: 40}
	if rep, err := ledger.Audit(ctx, m, cp, nil, skip); err != nil || rep.Skipped[ledger.TypeKey] != 1 || rep.Records != 49 {
		t.Errorf("skipping record 40: %+v %v", rep, err)
	}
	delete(recs, 12)
	if _, err := ledger.Audit(ctx, m, cp, nil, recs); !errors.As(err, &ae) || ae.Index != 12 {
		t.Errorf("deleted record: %v", err)
	}
}

// skipping does not check one record, as a fetcher that cannot rebuild a
// kind's canonical bytes would.
type skipping struct {
	records
	skip int64
}

func (s skipping) Record(ctx context.Context, i int64, e ledger.Entry) ([]byte, []byte, error) {
	if i == s.skip {
		return nil, nil, fmt.Errorf("entry %d: %w", i, ledger.ErrRecordNotChecked)
	}
	return s.records.Record(ctx, i, e)
}

func TestAuditSince(t *testing.T) {
	ctx := context.Background()
	for _, prevSize := range []int64{1, 255, 256, 333, 600} {
		t.Run(fmt.Sprint(prevSize), func(t *testing.T) {
			m, _ := auditLog(t, 1000)
			prevRoot, _ := ledger.TreeHash(ctx, m, prevSize)
			prev := ledger.Checkpoint{Origin: testOrigin, Size: prevSize, Hash: prevRoot}
			root, _ := ledger.TreeHash(ctx, m, 1000)
			cp := ledger.Checkpoint{Origin: testOrigin, Size: 1000, Hash: root}
			rep, err := ledger.AuditSince(ctx, m, cp, prev, nil)
			if err != nil || rep.Size != 1000-prevSize || !rep.Consistent {
				t.Fatalf("AuditSince: %+v %v", rep, err)
			}
			m.SetEntry(prevSize+50, entryBytes(9999))
			var ae *ledger.AuditError
			if _, err := ledger.AuditSince(ctx, m, cp, prev, nil); !errors.As(err, &ae) || ae.Index != prevSize+50 {
				t.Errorf("altered new entry: %v", err)
			}
			m.SetEntry(prevSize+50, entryBytes(int(prevSize+50)))
			m.Rewrite(0, entryBytes(8888)) // the audited prefix, hashes and all
			if _, err := ledger.AuditSince(ctx, m, cp, prev, nil); !errors.As(err, &ae) || ae.Index != -1 {
				t.Errorf("rewritten prefix: %v", err)
			}
		})
	}
	m, cp := auditLog(t, 100)
	if _, err := ledger.AuditSince(ctx, m, cp, ledger.Checkpoint{Size: 101}, nil); err == nil {
		t.Error("rollback passed")
	}
	if _, err := ledger.AuditSince(ctx, m, ledger.Checkpoint{Size: 100, Hash: tlog.Hash{1}}, cp, nil); err == nil {
		t.Error("same-size fork passed")
	}
	if rep, err := ledger.AuditSince(ctx, m, cp, cp, nil); err != nil || rep.Size != 0 {
		t.Errorf("nothing new: %+v %v", rep, err)
	}
}
