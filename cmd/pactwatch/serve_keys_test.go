package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/store"
)

// The agreement's keys become principals once; a key a later version
// drops is revoked.
func TestSyncAgreementKeys(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	agr, err := agreement.Default()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for range 2 {
		if err := syncAgreementKeys(ctx, st, agr, now); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := st.Principals(ctx)
	if err != nil || len(ps) != len(agr.Keys) {
		t.Fatalf("%d principals for %d keys, %v", len(ps), len(agr.Keys), err)
	}
	size, _ := st.TreeSize(ctx)
	if size != int64(len(agr.Keys)) {
		t.Errorf("ledger size %d after two syncs, want one entry per key", size)
	}
	dropped := agr.Keys[0].ID
	agr.Keys = agr.Keys[1:]
	if err := syncAgreementKeys(ctx, st, agr, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	p, err := st.Principal(ctx, dropped)
	if err != nil || p.RevokedAt == nil || !p.RevokedAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("dropped key %s: %+v %v", dropped, p.RevokedAt, err)
	}
	for _, k := range agr.Keys {
		if p, _ := st.Principal(ctx, k.ID); p.RevokedAt != nil {
			t.Errorf("key %s revoked", k.ID)
		}
	}
}
