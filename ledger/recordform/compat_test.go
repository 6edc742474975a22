package recordform_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/ledger/recordform"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// TestSameBytesAsTheAPIPrincipal checks the key event form against how the
// server wrote key events before this package existed (the API's principal
// view, server.PrincipalView): entries already in ledgers must still match.
func TestSameBytesAsTheAPIPrincipal(t *testing.T) {
	at := time.Date(2026, 12, 1, 8, 30, 0, 5, time.UTC)
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)).Public().(ed25519.PublicKey)
	for _, p := range []store.Principal{
		{ID: "m1", Name: "Monitor", Role: vocab.RoleMonitor, PublicKey: pub, KeyID: "k", ValidFrom: at, ValidUntil: at.AddDate(2, 0, 0), Source: "agreement", CreatedAt: at},
		{ID: "g1", Name: "Liaison", Role: vocab.RoleGuarantorLiaison, Of: "uk", TokenHash: []byte("h"), ValidFrom: at, Source: "api", CreatedAt: at},
	} {
		for _, event := range []string{recordform.EventAdd, recordform.EventRevoke} {
			eventAt := at
			q := p
			if event == recordform.EventRevoke {
				eventAt = at.Add(time.Hour)
				q.RevokedAt = &eventAt
			}
			old := func(view client.Principal) []byte {
				b, err := json.Marshal(struct {
					Event     string           `json:"event"`
					At        time.Time        `json:"at"`
					Principal client.Principal `json:"principal"`
				}{event, eventAt, view})
				if err != nil {
					t.Fatal(err)
				}
				c, err := jcs.Transform(b)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			view := server.PrincipalView(q)
			wantC := old(view)
			view.Name = ""
			wantP := old(view)
			c, pubForm, err := recordform.KeyEvent(event, eventAt, p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(c, wantC) || !bytes.Equal(pubForm, wantP) {
				t.Errorf("%s %s:\n got %s\nwant %s\n got %s\nwant %s", p.ID, event, c, wantC, pubForm, wantP)
			}
		}
	}
}
