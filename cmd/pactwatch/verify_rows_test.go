package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/recordform"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

// fillAuditDB writes a small ledger the way the server writes it: a
// decision (index 0), five observations (indexes 1-5, seq 2-6), a
// principal added (6) and revoked (7), an evidence file (8); then signs a
// checkpoint.
func fillAuditDB(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	body := []byte(`{"n":0}`)
	if _, err := st.AppendRecords(ctx, []store.GenericRecord{{Type: ledger.TypeDecision, ID: "decision-0", Time: at, Body: body, Leaf: storetest.LeafFor(ledger.TypeDecision, "decision-0", at, body)}}); err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	var obs []observation.Record
	var leaves []store.Leaf
	for i := range 5 {
		rec, _ := storetest.Obs(i, vocab.Category("explosion"), at, &observation.Position{Lat: 48.5 + float64(i)/10, Lon: 37.9})
		rec.PrincipalID = "m1"
		if err := observation.Sign(&rec.Observation, priv); err != nil {
			t.Fatal(err)
		}
		canonical, err := observation.CanonicalRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		obs = append(obs, rec)
		leaves = append(leaves, storetest.LeafFor(ledger.TypeObservation, rec.ID, rec.ReceivedAt, canonical))
	}
	if _, err := st.InsertObservations(ctx, obs, leaves); err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	p := store.Principal{ID: "m1", Name: "Monitor", Role: vocab.RoleMonitor, PublicKey: pub, KeyID: observation.KeyID(pub), ValidFrom: at, Source: "api", CreatedAt: at}
	c, _, err := recordform.KeyEvent(recordform.EventAdd, at, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutPrincipal(ctx, p, storetest.LeafFor(ledger.TypeKey, recordform.KeyEventID("m1", recordform.EventAdd), at, c)); err != nil {
		t.Fatal(err)
	}
	revokedAt := at.Add(time.Hour)
	if c, _, err = recordform.KeyEvent(recordform.EventRevoke, revokedAt, p); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokePrincipal(ctx, "m1", revokedAt, storetest.LeafFor(ledger.TypeKey, recordform.KeyEventID("m1", recordform.EventRevoke), revokedAt, c)); err != nil {
		t.Fatal(err)
	}
	ev := store.Evidence{SHA256: strings.Repeat("ab", 32), Size: 3, MediaType: "image/jpeg", UploadedBy: "m1", UploadedAt: at}
	if c, err = recordform.Evidence(ev); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutEvidence(ctx, ev, storetest.LeafFor(ledger.TypeEvidence, "evidence:5a0c3d9e-1f1e-4a43-9d55-8f0c2b7e9a11", at, c)); err != nil {
		t.Fatal(err)
	}
	logKey, err := os.ReadFile("../../examples/ukraine/keys/log.key")
	if err != nil {
		t.Fatal(err)
	}
	s, v, err := ledger.LoadLogKey(string(logKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&ledger.Checkpointer{Source: st, Store: st, Signer: s, Verifier: v}).Publish(ctx); err != nil {
		t.Fatal(err)
	}
}

// rowTamperCases are changes made directly in the database that only the
// table walk and the key event/evidence checks of `verify --records` see.
// The SQL runs unchanged on SQLite and PostgreSQL.
var rowTamperCases = []struct {
	name string
	sql  []string
	want string
}{
	{"observation row inserted beyond the log",
		[]string{"INSERT INTO observations (seq, id, observed_at, category, reporter, received_at, principal_id, body) SELECT 1000, 'forged-1', observed_at, category, reporter, received_at, principal_id, body FROM observations WHERE seq = 2"},
		"observations row seq 1000 (id forged-1): points at ledger index 999, outside the log's 9 entries"},
	{"observation row inserted over another kind's entry",
		[]string{"INSERT INTO observations (seq, id, observed_at, category, reporter, received_at, principal_id, body) SELECT 1, 'forged-2', observed_at, category, reporter, received_at, principal_id, body FROM observations WHERE seq = 2"},
		`observations row seq 1 (id forged-2): the ledger entry at index 0 is decision "decision-0", not observation "forged-2"`},
	{"observation seq moved",
		[]string{"UPDATE observations SET seq = 7 WHERE seq = 6"},
		`observations row seq 7 (id 00000000-0000-4000-8000-000000000004): the ledger entry at index 6 is key "principal:m1:add", not observation`},
	{"category column changed",
		[]string{"UPDATE observations SET category = 'other' WHERE seq = 3"},
		`observations row seq 3 (id 00000000-0000-4000-8000-000000000001): column category "other" but the body says "explosion"`},
	{"target column moved",
		[]string{"UPDATE observations SET target_lat = NULL WHERE seq = 4"},
		"observations row seq 4 (id 00000000-0000-4000-8000-000000000002): columns target_lat/target_lon (NULL, 37.9) differ from the body's target (48.7, 37.9)"},
	{"observed_at column changed",
		[]string{"UPDATE observations SET observed_at = observed_at + 1 WHERE seq = 5"},
		"observations row seq 5 (id 00000000-0000-4000-8000-000000000003): column observed_at"},
	{"principal key and role swapped",
		[]string{"UPDATE principals SET role = 'admin', key_id = 'attacker' WHERE id = 'm1'"},
		"entries[6]: altered: record principal:m1:add"},
	{"principal's public key swapped",
		[]string{"UPDATE principals SET public_key = (SELECT salt FROM ledger_entries WHERE idx = 0)"},
		"entries[1]: invalid: record 00000000-0000-4000-8000-000000000000: its monitor signature does not verify under the key of principal m1"},
	{"revocation undone",
		[]string{"DELETE FROM principal_revocations", "UPDATE principals SET revoked_at = NULL"},
		"entries[7]: invalid: record principal:m1:revoke: the ledger records the revocation of principal m1 but its row is not revoked"},
	{"revocation row deleted",
		[]string{"DELETE FROM principal_revocations"},
		"principals row id m1: revoked_at is set but principal_revocations has no row for it"},
	{"revocation time changed",
		[]string{"UPDATE principals SET revoked_at = revoked_at + 1000", "UPDATE principal_revocations SET revoked_at = revoked_at + 1000"},
		"entries[7]: altered: record principal:m1:revoke"},
	{"principal inserted without entry",
		[]string{"INSERT INTO principals (id, name, role, of_id, public_key, key_id, valid_from, valid_until, source, created_at, leaf_index) SELECT 'ghost', name, 'admin', of_id, public_key, 'ghost-key', valid_from, valid_until, source, created_at, leaf_index FROM principals WHERE id = 'm1'"},
		`principals row id ghost: the ledger entry at index 6 is key "principal:m1:add", not key "principal:ghost:add"`},
	{"evidence altered",
		[]string{"UPDATE evidence SET uploaded_by = 'someone-else'"},
		"entries[8]: altered: record evidence:5a0c3d9e-1f1e-4a43-9d55-8f0c2b7e9a11"},
	{"evidence deleted",
		[]string{"DELETE FROM evidence"},
		"entries[8]: deleted: record evidence:5a0c3d9e-1f1e-4a43-9d55-8f0c2b7e9a11"},
	{"evidence inserted without entry",
		[]string{"INSERT INTO evidence (sha256, size, media_type, uploaded_by, uploaded_at, leaf_index) SELECT 'cdcd', size, media_type, uploaded_by, uploaded_at, leaf_index FROM evidence"},
		"evidence row sha256 cdcd: shares the ledger entry at index 8 with sha256 abab"},
	{"generic record inserted without entry",
		[]string{"INSERT INTO records (leaf_index, id, type, time, body) SELECT 1, 'decision-forged', type, time, body FROM records WHERE id = 'decision-0'"},
		`records row id decision-forged: the ledger entry at index 1 is observation "00000000-0000-4000-8000-000000000000", not decision "decision-forged"`},
}

func runRowTamperCases(t *testing.T, open func(t *testing.T) (verifyArgs []string, exec func(string) error)) {
	agreementFile := "../../examples/ukraine/agreement.yaml"
	for _, tc := range rowTamperCases {
		t.Run(tc.name, func(t *testing.T) {
			args, exec := open(t)
			args = append([]string{"verify"}, append(args, "--agreement", agreementFile, "--quorum", "0", "--records")...)
			out, _, err := runCLI(t, args...)
			if err != nil || !strings.Contains(out, "rows        evidence 1, observations 5, principal_revocations 1, principals 1, records 1: each named by its entry") {
				t.Fatalf("untouched: %v\n%s", err, out)
			}
			for _, q := range tc.sql {
				if err := exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			out, _, err = runCLI(t, args...)
			if err == nil || !strings.Contains(out, "FAILED") || !strings.Contains(out, tc.want) {
				t.Fatalf("verify after %s: %v, want %q in\n%s", tc.name, err, tc.want, out)
			}
		})
	}
}

func TestVerifyRowsSQLite(t *testing.T) {
	runRowTamperCases(t, func(t *testing.T) ([]string, func(string) error) {
		dir := t.TempDir()
		dsn := filepath.Join(dir, dataDBName)
		fillAuditDB(t, dsn)
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return []string{"--data", dir}, func(q string) error { _, err := db.Exec(q); return err }
	})
}

func TestVerifyRowsPostgres(t *testing.T) {
	admin := storetest.PostgresURL(t)
	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adminDB.Close()
	runRowTamperCases(t, func(t *testing.T) ([]string, func(string) error) {
		schema := fmt.Sprintf("verifyrows_%x", sha256.Sum256([]byte(t.Name())))[:40]
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
		fillAuditDB(t, u.String())
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		// An owner of the database can switch off the foreign keys.
		return []string{"--db", u.String()}, func(q string) error {
			_, err := db.Exec("SET session_replication_role = replica; " + q)
			return err
		}
	})
}
