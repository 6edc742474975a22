package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
)

func TestRebind(t *testing.T) {
	tests := []struct{ in, sqlite, pg string }{
		{"SELECT 1", "SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE x = ? AND y IN (?, ?)", "SELECT a FROM t WHERE x = ? AND y IN (?, ?)", "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)"},
		{insertSQL("t", "a, b", 2, 2), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)", "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"},
	}
	for _, tc := range tests {
		if got := sqliteDialect.rebind(tc.in); got != tc.sqlite {
			t.Errorf("sqlite rebind(%q) = %q, want %q", tc.in, got, tc.sqlite)
		}
		if got := pgDialect.rebind(tc.in); got != tc.pg {
			t.Errorf("postgres rebind(%q) = %q, want %q", tc.in, got, tc.pg)
		}
	}
}

func TestOpenRefusesBadDSNs(t *testing.T) {
	for _, dsn := range []string{"", "sqlite:", "mysql://u@h/db", "file:///x.db"} {
		s, err := Open(context.Background(), dsn, Options{})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		var pe *pactwatch.Error
		if !errors.As(err, &pe) || pe.Code != pactwatch.EINVALID || pe.Field != "db" {
			t.Errorf("Open(%q) = %v, want EINVALID on field db", dsn, err)
		}
	}
}

func TestOpenBarePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bare.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*DB); !ok || s.(*DB).d != sqliteDialect {
		t.Fatalf("a bare path opened %T, want SQLite", s)
	}
}

func TestAsError(t *testing.T) {
	tests := []struct {
		err  error
		code string
	}{
		{pactwatch.Errorf(pactwatch.ENOTFOUND, "x"), pactwatch.ENOTFOUND},
		{errors.New("constraint failed: UNIQUE constraint failed: ledger_entries.record_id (2067)"), pactwatch.ECONFLICT},
		{errors.New(`ERROR: duplicate key value violates unique constraint "records_id_key" (SQLSTATE 23505)`), pactwatch.ECONFLICT},
		{fmt.Errorf("begin: %w", io.ErrUnexpectedEOF), pactwatch.EUNAVAILABLE},
		{errors.New("FATAL: terminating connection due to administrator command (SQLSTATE 57P01)"), pactwatch.EUNAVAILABLE},
		{errors.New("failed to connect to `user=x database=y`: dial error"), pactwatch.EUNAVAILABLE},
		{errors.New("database is locked (5) (SQLITE_BUSY)"), pactwatch.EUNAVAILABLE},
		{errors.New(`ERROR: syntax error at or near "SELEC" (SQLSTATE 42601)`), pactwatch.EINTERNAL},
		{errors.New(`ERROR: invalid byte sequence for encoding "UTF8": 0x00 (SQLSTATE 22021)`), pactwatch.EINVALID},
		{fmt.Errorf("insert: %w", context.DeadlineExceeded), pactwatch.EUNAVAILABLE},
	}
	for _, tc := range tests {
		if got := pactwatch.ErrorCode(asError(tc.err)); got != tc.code {
			t.Errorf("asError(%q) has code %q, want %q", tc.err, got, tc.code)
		}
	}
}

func TestCheckTime(t *testing.T) {
	tests := []struct {
		t  time.Time
		ok bool
	}{
		{time.Time{}, true}, // none
		{MinTime, true},
		{MinTime.Add(-time.Nanosecond), false},
		{MaxTime.Add(-time.Nanosecond), true},
		{MaxTime, false},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), false},
		{time.Unix(0, 0), false}, // stored as 0, read back as none
		{time.Unix(0, 1), true},
		{time.Date(2026, 11, 22, 0, 0, 0, 0, time.FixedZone("X", 3600)), true},
	}
	for _, tc := range tests {
		err := CheckTime("valid_until", tc.t)
		if (err == nil) != tc.ok {
			t.Errorf("CheckTime(%v) = %v, want ok %v", tc.t, err, tc.ok)
		}
		if err != nil && pactwatch.ErrorCode(err) != pactwatch.EINVALID {
			t.Errorf("CheckTime(%v) = %v, want EINVALID", tc.t, err)
		}
		if tc.ok && !tc.t.IsZero() && !fromNanos(nanos(tc.t)).Equal(tc.t) {
			t.Errorf("%v does not round-trip: %v", tc.t, fromNanos(nanos(tc.t)))
		}
	}
	// Out of range, nanos saturates instead of wrapping, so that a query
	// bound stays on its side.
	if nanos(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)) != math.MaxInt64 || nanos(time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)) != math.MinInt64 {
		t.Error("nanos wraps out-of-range times")
	}
}

// FuzzRebind checks that PostgreSQL placeholders are numbered in order and
// that nothing else in the query changes.
func FuzzRebind(f *testing.F) {
	f.Add("SELECT a FROM t WHERE x = ? AND y IN (?, ?)")
	f.Add("?")
	f.Add("no placeholders")
	f.Fuzz(func(t *testing.T, q string) {
		parts := strings.Split(q, "?")
		var want strings.Builder
		for i, p := range parts {
			if i > 0 {
				want.WriteString("$" + strconv.Itoa(i))
			}
			want.WriteString(p)
		}
		if got := pgDialect.rebind(q); got != want.String() {
			t.Fatalf("rebind(%q) = %q, want %q", q, got, want.String())
		}
		if sqliteDialect.rebind(q) != q {
			t.Fatal("SQLite query rewritten")
		}
	})
}

// The committer holds a group open only while requests arrive
// concurrently.
func TestHoldOpen(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name        string
		delay       time.Duration
		n, last     int
		since       time.Duration
		wantHolding bool
	}{
		{"lone request on a fresh store", ms, 1, 0, time.Hour, false},
		{"lone request after lone requests", ms, 1, 1, 0, false},
		{"lone request long after a busy moment", ms, 1, 8, 5 * ms, false},
		{"lone request right after a busy group", ms, 1, 8, ms, true},
		{"several requests waiting", ms, 3, 0, time.Hour, true},
		{"delay switched off", -1, 3, 8, 0, false},
		{"no delay", 0, 3, 8, 0, false},
	} {
		if got := holdOpen(c.delay, c.n, c.last, c.since); got != c.wantHolding {
			t.Errorf("%s: holdOpen = %v, want %v", c.name, got, c.wantHolding)
		}
	}
}

// A lone write is committed at once, however long the commit delay.
func TestLoneWriteNotDelayed(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), Options{CommitDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 3 {
		done := make(chan error, 1)
		go func() {
			_, err := s.AppendRecords(context.Background(), []GenericRecord{lone(i)})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("write %d held back by the commit delay", i)
		}
	}
}

func lone(i int) GenericRecord {
	id := fmt.Sprintf("lone-%d", i)
	at := time.Date(2027, 1, 20, 12, 0, 0, 0, time.UTC)
	body := []byte(`{}`)
	return GenericRecord{Type: ledger.TypeDecision, ID: id, Time: at, Body: body,
		Leaf: Leaf{Entry: ledger.NewEntry(ledger.TypeDecision, id, at, body, make([]byte, 32), nil, nil), Salt: make([]byte, 32)}}
}
