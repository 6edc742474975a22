package ledger_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

// dbLog fills a store with n generic records through the store's own
// transactions and publishes a signed checkpoint of them.
func dbLog(t *testing.T, dsn string, n int) (logVKey string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += 100 {
		var recs []store.GenericRecord
		for i := start; i < min(n, start+100); i++ {
			id := fmt.Sprintf("report-%04d", i)
			body := []byte(fmt.Sprintf(`{"n":%d}`, i))
			recs = append(recs, store.GenericRecord{Type: ledger.TypeReport, ID: id, Time: at, Body: body, Leaf: storetest.LeafFor(ledger.TypeReport, id, at, body)})
		}
		if _, err := st.AppendRecords(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	lsk, lvk, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{5}, 32)), "ledger.example.org/db")
	if err != nil {
		t.Fatal(err)
	}
	s, v, err := ledger.LoadLogKey(lsk)
	if err != nil {
		t.Fatal(err)
	}
	cp := &ledger.Checkpointer{Source: st, Store: st, Signer: s, Verifier: v}
	if ok, err := cp.Publish(ctx); !ok || err != nil {
		t.Fatalf("Publish: %v %v", ok, err)
	}
	return lvk
}

// tamperCases alter the ledger tables directly, as someone with database
// access would, and say which entry verify must name.
var tamperCases = []struct {
	name  string
	sql   []string
	entry string
}{
	{"entry altered", []string{"UPDATE ledger_entries SET data = (SELECT data FROM ledger_entries WHERE idx = 124) WHERE idx = 123"}, "entries[123]"},
	{"entry deleted", []string{"DELETE FROM ledger_entries WHERE idx = 290"}, "entries[290]"},
	{"last entry deleted", []string{"DELETE FROM ledger_entries WHERE idx = 599"}, "entries[599]"},
	{"entries reordered", []string{
		"UPDATE ledger_entries SET idx = -1 WHERE idx = 400",
		"UPDATE ledger_entries SET idx = 400 WHERE idx = 401",
		"UPDATE ledger_entries SET idx = 401 WHERE idx = -1",
	}, "entries[400]"},
	{"leaf hash altered", []string{fmt.Sprintf("UPDATE ledger_hashes SET hash = (SELECT hash FROM ledger_hashes WHERE idx = 0) WHERE idx = %d", tlog.StoredHashIndex(0, 77))}, "entries[77]"},
	{"interior hash altered", []string{fmt.Sprintf("UPDATE ledger_hashes SET hash = (SELECT hash FROM ledger_hashes WHERE idx = 0) WHERE idx = %d", tlog.StoredHashIndex(4, 3))}, "entries[48]"},
}

// auditDB audits the database as `pactwatch verify --db` does: the stored
// checkpoint, signed by the log key, against every stored entry and hash.
func auditDB(t *testing.T, dsn, logVKey string) error {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, msg, err := st.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(logVKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, err := ledger.VerifyCosigned(msg, v, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ledger.Audit(ctx, st, cp, nil, nil)
	return err
}

// runTamperCases runs every tamper case on a fresh database; exec runs one
// statement as the attacker.
func runTamperCases(t *testing.T, newDB func(t *testing.T) (dsn string, exec func(string) error)) {
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			dsn, exec := newDB(t)
			lvk := dbLog(t, dsn, 600)
			if err := auditDB(t, dsn, lvk); err != nil {
				t.Fatalf("audit of the intact database: %v", err)
			}
			for _, q := range tc.sql {
				if err := exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			err := auditDB(t, dsn, lvk)
			if err == nil || !strings.HasPrefix(pactwatch.ErrorMessage(err), tc.entry+":") {
				t.Fatalf("audit after %s: %v, want %s named", tc.name, err, tc.entry)
			}
		})
	}
}

func TestAuditCatchesDBTamperingSQLite(t *testing.T) {
	runTamperCases(t, func(t *testing.T) (string, func(string) error) {
		path := filepath.Join(t.TempDir(), "pactwatch.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return path, func(q string) error { _, err := db.Exec(q); return err }
	})
}

func TestAuditCatchesDBTamperingPostgres(t *testing.T) {
	admin := storetest.PostgresURL(t)
	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adminDB.Close()
	runTamperCases(t, func(t *testing.T) (string, func(string) error) {
		schema := fmt.Sprintf("audittest_%x", sha256.Sum256([]byte(t.Name())))[:40]
		if _, err := adminDB.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { adminDB.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE") })
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		// An attacker with the database's owner rights switches off the
		// foreign keys that protect records' leaves.
		return u.String(), func(q string) error {
			_, err := db.Exec("SET session_replication_role = replica; " + q)
			return err
		}
	})
}
