package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
	"github.com/pactwatch/pactwatch/ledger/logserver"
	"github.com/pactwatch/pactwatch/ledger/recordform"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
	"github.com/pactwatch/pactwatch/witness"
)

// TestVerifyOfflineData audits a SQLite data folder offline, records
// included, then names each row altered or deleted directly in the database. (ledger's tests run every kind of
// tampering on SQLite and PostgreSQL.)
func TestVerifyOfflineData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := filepath.Join(dir, dataDBName)
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var recs []store.GenericRecord
	for i := range 300 {
		id, body := fmt.Sprintf("decision-%d", i), []byte(fmt.Sprintf(`{"n":%d}`, i))
		recs = append(recs, store.GenericRecord{Type: ledger.TypeDecision, ID: id, Time: at, Body: body, Leaf: storetest.LeafFor(ledger.TypeDecision, id, at, body)})
	}
	if _, err := st.AppendRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// Observations, committed as the server commits them: the salted
	// digest of observation.CanonicalRecord.
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, 32))
	var obs []observation.Record
	var leaves []store.Leaf
	for i := range 50 {
		rec, _ := storetest.Obs(i, vocab.Category("explosion"), at, nil)
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
	// The monitor who signed them, with its key event (verify checks
	// each observation's signature under this key).
	pub := priv.Public().(ed25519.PublicKey)
	p := store.Principal{ID: obs[0].PrincipalID, Name: "monitor", Role: vocab.RoleMonitor, PublicKey: pub, KeyID: observation.KeyID(pub), ValidFrom: at, Source: "api", CreatedAt: at}
	keyEvent, _, err := recordform.KeyEvent(recordform.EventAdd, at, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutPrincipal(ctx, p, storetest.LeafFor(ledger.TypeKey, recordform.KeyEventID(p.ID, recordform.EventAdd), at, keyEvent)); err != nil {
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
	st.Close()

	// The agreement pins the log key; its witnesses did not cosign this
	// offline checkpoint, so the quorum is lowered explicitly.
	agreementFile := "../../examples/ukraine/agreement.yaml"
	out, _, err := runCLI(t, "verify", "--data", dir, "--agreement", agreementFile, "--quorum", "0", "--records")
	if err != nil || !strings.Contains(out, "351 audited (decision 300, key 1, observation 50)") || !strings.Contains(out, "records     351 matched") {
		t.Fatalf("verify --data: %v\n%s", err, out)
	}
	// Without --agreement, the embedded example's (serve's default) is used.
	if out, _, err := runCLI(t, "verify", "--data", dir, "--quorum", "0"); err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify --data with the embedded agreement: %v\n%s", err, out)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		name, sql, want string
	}{
		// A record row changed or deleted behind its entry: only the
		// record check (--records) sees it.
		{"observation altered", "UPDATE observations SET received_at = received_at + 1 WHERE id = '00000000-0000-4000-8000-000000000007'", "entries[307]: altered: record 00000000-0000-4000-8000-000000000007"},
		{"record deleted", "DELETE FROM records WHERE id = 'decision-150'", "entries[150]: deleted: record decision-150"},
		{"entry altered", "UPDATE ledger_entries SET data = (SELECT data FROM ledger_entries WHERE idx = 0) WHERE idx = 111", "entries[111]: altered"},
	} {
		if _, err := db.Exec(tc.sql); err != nil {
			t.Fatal(err)
		}
		out, _, err = runCLI(t, "verify", "--data", dir, "--agreement", agreementFile, "--quorum", "0", "--records")
		if err == nil || !strings.Contains(out, "FAILED      "+tc.want) {
			t.Fatalf("verify --data after %s: %v, want %q in\n%s", tc.name, err, tc.want, out)
		}
	}
}

// TestVerifyWithDemoAgreement runs the example's own keys end to end: the
// demo log key signs, the press witness (its demo key) cosigns through the
// witness CLI, and `verify --agreement` takes the log key, witness keys
// and quorum from the agreement.
func TestVerifyWithDemoAgreement(t *testing.T) {
	ctx := context.Background()
	keys := "../../examples/ukraine/keys/"
	logKey, err := os.ReadFile(keys + "log.key")
	if err != nil {
		t.Fatal(err)
	}
	s, v, err := ledger.LoadLogKey(string(logKey))
	if err != nil {
		t.Fatal(err)
	}
	// The witness CLI reads the key file; copy it so its mode is 0600.
	wkey, err := os.ReadFile(keys + "witness-press-witness.example.key")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "w.key"), wkey, 0o600)
	pubLog := fmt.Sprintf("%s+%08x+", v.Name(), v.KeyHash())
	agreementLogKey := ""
	if data, err := os.ReadFile("../../examples/ukraine/agreement.yaml"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.TrimSpace(line); strings.HasPrefix(f, "public_key: "+pubLog) {
				agreementLogKey = strings.TrimPrefix(f, "public_key: ")
			}
		}
	}
	if agreementLogKey == "" {
		t.Fatalf("the agreement does not pin the demo log key %s…", pubLog)
	}
	wurl, wvkey := startWitnessCLI(t, filepath.Join(dir, "w.key"), agreementLogKey, filepath.Join(dir, "state.json"))
	wc, err := witness.NewClient(wurl, wvkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := ledgertest.New()
	for i := range 10 {
		m.Append(ledger.NewEntry(ledger.TypeAgreement, fmt.Sprintf("agreement-%d", i), time.Unix(0, 0), []byte("a"), []byte("s"), nil, nil).Marshal())
	}
	if _, err := (&ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v, Witnesses: []ledger.WitnessClient{wc}, Quorum: 1}).Publish(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	logserver.New(m).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	out, _, err := runCLI(t, "verify", "--server", srv.URL, "--agreement", "../../examples/ukraine/agreement.yaml")
	if err != nil || !strings.Contains(out, "cosigned    by 1 of 2 witnesses [press-witness.example], 1 required") {
		t.Fatalf("verify --agreement: %v\n%s", err, out)
	}
}
