package recordform

import (
	"bytes"
	"crypto/ed25519"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func principal() store.Principal {
	at := time.Date(2026, 12, 1, 8, 30, 0, 123456789, time.UTC)
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)).Public().(ed25519.PublicKey)
	return store.Principal{
		ID: "m1", Name: "Monitor One", Role: vocab.RoleMonitor, PublicKey: pub, KeyID: "kid",
		TokenHash: []byte("never shown"), ValidFrom: at, ValidUntil: at.AddDate(1, 0, 0), Source: "api", CreatedAt: at,
	}
}

// TestForms pins the canonical bytes: the digests of entries already in
// ledgers depend on them, so any change here breaks every past audit.
func TestForms(t *testing.T) {
	p := principal()
	revoked := p
	rt := p.CreatedAt.Add(time.Hour)
	revoked.RevokedAt = &rt
	addRevoked, _, err := KeyEvent(EventAdd, p.CreatedAt, revoked)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for _, tc := range []struct {
		event string
		at    time.Time
	}{{EventAdd, p.CreatedAt}, {EventRevoke, rt}} {
		c, pub, err := KeyEvent(tc.event, tc.at, p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(c, []byte("never shown")) || bytes.Contains(pub, []byte("Monitor One")) {
			t.Errorf("%s: token hash or name leaked: %s / %s", tc.event, c, pub)
		}
		if tc.event == EventAdd && !bytes.Equal(c, addRevoked) {
			t.Errorf("add event depends on the later revocation:\n%s\n%s", c, addRevoked)
		}
		got.Write(c)
		got.WriteByte('\n')
		got.Write(pub)
		got.WriteByte('\n')
	}
	ev, err := Evidence(store.Evidence{SHA256: "ab", Size: 3, MediaType: "image/jpeg", UploadedBy: "m1", UploadedAt: p.CreatedAt})
	if err != nil {
		t.Fatal(err)
	}
	got.Write(ev)
	got.WriteByte('\n')
	golden := filepath.Join("testdata", "forms.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("canonical forms changed:\n%s\nwant\n%s", got.Bytes(), want)
	}
	if _, _, err := KeyEvent("rename", rt, p); err == nil {
		t.Error("unknown event accepted")
	}
}

func TestParseKeyEventID(t *testing.T) {
	for _, tc := range []struct {
		id, p, e string
		ok       bool
	}{
		{"principal:m1:add", "m1", EventAdd, true},
		{KeyEventID("a-b", EventRevoke), "a-b", EventRevoke, true},
		{"principal::add", "", "", false},
		{"principal:m1:rename", "", "", false},
		{"evidence:x", "", "", false},
		{"principal:m1", "", "", false},
	} {
		p, e, ok := ParseKeyEventID(tc.id)
		if p != tc.p || e != tc.e || ok != tc.ok {
			t.Errorf("%q: got %q %q %v", tc.id, p, e, ok)
		}
	}
}

func FuzzParseKeyEventID(f *testing.F) {
	f.Add("principal:m1:add")
	f.Fuzz(func(t *testing.T, id string) {
		p, e, ok := ParseKeyEventID(id)
		if ok && KeyEventID(p, e) != id {
			t.Errorf("%q parsed as %q %q", id, p, e)
		}
	})
}
