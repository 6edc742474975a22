package main

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/ledger/logserver"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/store"
)

// TestVerifyServerRecords audits a running server's records through the
// auditor endpoint: every record the server rebuilds matches its entry in
// the public tiles, and a principal row changed in the database is named
// by its entry.
func TestVerifyServerRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := filepath.Join(dir, dataDBName)
	fillAuditDB(t, dsn)
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	auditor, token, err := server.NewPrincipal(client.PrincipalRequest{Name: "auditor", Role: "auditor"}, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := server.AddPrincipal(ctx, st, auditor); err != nil {
		t.Fatal(err)
	}
	api, err := server.New(server.Config{
		Store: st, DataDir: dir, Extra: server.LedgerRoutes(),
		Mount: func(mux *http.ServeMux, writeError func(http.ResponseWriter, *http.Request, error)) {
			ls := logserver.New(st)
			ls.Error = writeError
			ls.Register(mux)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()

	args := []string{"verify", "--server", srv.URL, "--agreement", "../../examples/ukraine/agreement.yaml", "--quorum", "0", "--records"}
	if _, _, err := runCLI(t, args...); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Fatalf("--records without a token: %v", err)
	}
	out, _, err := runCLI(t, append(args, "--token", "pw_not-a-token")...)
	if err == nil || !strings.Contains(out, "FAILED") || !strings.Contains(out, "unauthorized") {
		t.Fatalf("bad token: %v\n%s", err, out)
	}
	args = append(args, "--token", token)
	out, _, err = runCLI(t, args...)
	if err != nil || !strings.Contains(out, "records     8 matched their digests; not checked: evidence 1") {
		t.Fatalf("verify --server --records: %v\n%s", err, out)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE principals SET role = 'admin' WHERE id = 'm1'"); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, args...)
	if err == nil || !strings.Contains(out, "FAILED      entries[6]: altered: record principal:m1:add does not match its digest") {
		t.Fatalf("verify --server --records after a principal row changed: %v\n%s", err, out)
	}
}
