package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportRefusesBadSignedAt(t *testing.T) {
	_, _, err := runCLI(t, "import", "--format", "acled", "--dry-run", "--signed-at", "yesterday", "../../intake/testdata/acled.csv")
	if err == nil || !strings.Contains(userMessage(err), "signed-at") {
		t.Fatalf("got %v, want an error naming signed-at", err)
	}
}

// With the mission's import-id key, ids are keyed: not the public UUIDv5s.
func TestImportIDKeyChangesIDs(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id.key")
	if err := os.WriteFile(key, []byte("c2VjcmV0LWltcG9ydC1pZC1rZXktZm9yLXRlc3Rz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	public, _, err := runCLI(t, "import", "--format", "acled", "--dry-run", "../../intake/testdata/acled.csv")
	if err != nil {
		t.Fatal(err)
	}
	keyed, _, err := runCLI(t, "import", "--format", "acled", "--dry-run", "--id-key", key, "../../intake/testdata/acled.csv")
	if err != nil {
		t.Fatal(err)
	}
	if public == keyed || !strings.Contains(keyed, "would be imported") {
		t.Fatalf("ids did not change with --id-key:\n%s", keyed)
	}
}
