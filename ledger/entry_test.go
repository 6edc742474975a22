package ledger_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/ledger"
)

func TestEntryRoundTrip(t *testing.T) {
	e := ledger.NewEntry(ledger.TypeObservation, "5f0c", time.Date(2026, 11, 20, 6, 15, 0, 0, time.FixedZone("EET", 7200)),
		[]byte("canonical"), []byte("salt"), []byte("public"), []byte("psalt"))
	got, err := ledger.ParseEntry(e.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got != e || got.Time.Location() != time.UTC {
		t.Errorf("round trip: %+v, want %+v", got, e)
	}
	if e.Digest != ledger.SaltedDigest([]byte("salt"), []byte("canonical")) {
		t.Error("digest is not SHA-256(salt ‖ canonical)")
	}
	private := ledger.NewEntry(ledger.TypeKey, "k1", time.Unix(0, 0), []byte("c"), []byte("s"), nil, nil)
	if !bytes.Contains(private.Marshal(), []byte("public -\n")) {
		t.Errorf("a record without a public projection: %s", private.Marshal())
	}
}

func FuzzParseEntry(f *testing.F) {
	f.Add(ledger.NewEntry(ledger.TypeObservation, "x", time.Unix(1, 5), []byte("c"), []byte("s"), nil, nil).Marshal())
	f.Add(ledger.NewEntry(ledger.TypeKey, "y", time.Unix(2, 0), []byte("c"), []byte("s"), []byte("p"), []byte("q")).Marshal())
	f.Add([]byte("pactwatch-entry/v1\ntype a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ledger.ParseEntry(data)
		if err != nil {
			return
		}
		if !bytes.Equal(e.Marshal(), data) {
			t.Fatalf("ParseEntry(%q) round trips to %q", data, e.Marshal())
		}
	})
}
