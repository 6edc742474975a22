package witness_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pactwatch/pactwatch/witness"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	for _, content := range []string{"one\n", "two, longer\n", "3\n"} {
		if err := witness.WriteFileAtomic(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := witness.WriteFileAtomic(filepath.Join(dir, "missing", "x"), []byte("x"), 0o600); err == nil {
		t.Error("wrote into a missing folder")
	}
}

func TestCorruptStateRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json")
	os.WriteFile(p, []byte("{not json"), 0o600)
	cs, err := witness.NewCosigner("PRIVATE+KEY+w+00000000+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := witness.New(witness.Config{Signer: cs, StatePath: p}); err == nil {
		t.Error("a witness started on a corrupt state file (it could then cosign a rollback)")
	}
}
