package ledger_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testKey is a deterministic Ed25519 note key, so signed notes are golden.
func testKey(t testing.TB, name string, seed byte) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)), name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestCheckpointGoldenAndFormatsInterop(t *testing.T) {
	ctx := context.Background()
	v := loadVectors(t)
	m := vectorLog(t, v)
	root, err := ledger.TreeHash(ctx, m, 8)
	if err != nil {
		t.Fatal(err)
	}
	signer, verifier := testKey(t, "ledger.example.org/ukraine", 1)
	cp := ledger.Checkpoint{Origin: "ledger.example.org/ukraine", Size: 8, Hash: root}
	signed, err := cp.Sign(signer)
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/checkpoint.golden"
	if *update {
		os.WriteFile(golden, signed, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(signed, want) {
		t.Errorf("signed checkpoint:\n%s\nwant:\n%s", signed, want)
	}

	// transparency-dev/formats parses and verifies it independently.
	fc, _, _, err := log.ParseCheckpoint(signed, "ledger.example.org/ukraine", verifier)
	if err != nil {
		t.Fatalf("formats/log.ParseCheckpoint: %v", err)
	}
	if fc.Size != 8 || !bytes.Equal(fc.Hash, root[:]) || fc.Origin != cp.Origin {
		t.Errorf("formats parsed %+v", fc)
	}
	if !bytes.Equal(fc.Marshal(), cp.Marshal()) {
		t.Errorf("formats marshals the body differently:\n%s\nvs\n%s", fc.Marshal(), cp.Marshal())
	}

	got, _, err := ledger.OpenCheckpoint(signed, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != 8 || got.Hash != root {
		t.Errorf("OpenCheckpoint = %+v", got)
	}
	_, other := testKey(t, "ledger.example.org/ukraine", 2)
	if _, _, err := ledger.OpenCheckpoint(signed, other); pactwatch.ErrorCode(err) != pactwatch.EFORBIDDEN {
		t.Errorf("OpenCheckpoint with another key: %v, want forbidden", err)
	}
	tampered := bytes.Replace(signed, []byte("\n8\n"), []byte("\n9\n"), 1)
	if _, _, err := ledger.OpenCheckpoint(tampered, verifier); pactwatch.ErrorCode(err) != pactwatch.EFORBIDDEN {
		t.Errorf("OpenCheckpoint of an altered body: %v, want forbidden", err)
	}
	if _, err := (ledger.Checkpoint{Origin: "other", Size: 1}).Sign(signer); err == nil {
		t.Error("signed a checkpoint whose origin is not the key's name")
	}
}

func TestParseCheckpoint(t *testing.T) {
	const root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"o\n0\n" + root + "\n", true},
		{"o\n12\n" + root + "\next one\n", true},
		{"o\n012\n" + root + "\n", false},
		{"o\n-1\n" + root + "\n", false},
		{"o\n+1\n" + root + "\n", false},
		{"o\n1\n" + root, false},
		{"\n1\n" + root + "\n", false},
		{"o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n", false},
		{"o\n1\nAAAA\n", false},
		{"o\n99999999999999999999\n" + root + "\n", false},
		{"o\n1\n" + root + "\nno newline", false},
		{"o\n1\n" + root + "\n\n", false},
	} {
		c, err := ledger.ParseCheckpoint([]byte(tc.text))
		if (err == nil) != tc.ok {
			t.Errorf("ParseCheckpoint(%q) = %v, ok want %v", tc.text, err, tc.ok)
			continue
		}
		if err == nil && string(c.Marshal()) != tc.text {
			t.Errorf("round trip of %q gives %q", tc.text, c.Marshal())
		}
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Add([]byte("o\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ledger.ParseCheckpoint(text)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Marshal(), text) {
			t.Fatalf("ParseCheckpoint(%q) round trips to %q", text, c.Marshal())
		}
	})
}

var _ = ledgertest.New
