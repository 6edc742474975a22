package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
)

// fakeLedger returns a checkpoint of 1234 entries signed by the log and
// one of the two test witnesses; with err set it fails with it.
type fakeLedger struct{ err error }

var testRoot = sha256.Sum256([]byte("root"))

func (f fakeLedger) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	if f.err != nil {
		return 0, nil, f.err
	}
	root := base64.StdEncoding.EncodeToString(testRoot[:])
	note := "pactwatch.example/test\n1234\n" + root + "\n\n" +
		"— pactwatch.example/test AAAAAQ==\n" +
		"— press-witness.example AAAAAg==\n"
	return 1234, []byte(note), nil
}

var testWitnesses = []Witness{{Name: "press-witness.example", URL: "https://press.example/witness"}, {Name: "guarantor-witness.example"}}

func newLedgerHandler(t *testing.T, l LedgerData) *Handler {
	t.Helper()
	h, err := New(Options{Map: newFakeMap(0), Now: func() time.Time { return testNow }, Ledger: l,
		Witnesses: testWitnesses, WitnessQuorum: 1})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h
}

func TestLedgerPage(t *testing.T) {
	h := newLedgerHandler(t, fakeLedger{})
	rec := get(t, h, "http://mission.example/ledger?lang=en")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /ledger: %d", rec.Code)
	}
	body := strings.ReplaceAll(rec.Body.String(), "&#43;", "+") // html/template's "+"
	for _, s := range []string{
		`<dd id="cp-size">1,234</dd>`,
		"<code>" + base64.StdEncoding.EncodeToString(testRoot[:]) + "</code>",
		"<code>pactwatch.example/test</code>",
		"1 of 2 witnesses cosigned (quorum 1)",
		"<li>press-witness.example: cosigned</li>",
		"<li>guarantor-witness.example: not cosigned</li>",
		"press-witness.example — <code>https://press.example/witness</code>",
		`<code id="verify-cmd">pactwatch verify --server http://mission.example</code>`,
		"A checkpoint is published once 1 witness has cosigned it.",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("ledger page lacks %q", s)
		}
	}
	// The signed note is shown as is, for copying.
	if !strings.Contains(body, "— press-witness.example AAAAAg==") {
		t.Error("ledger page does not show the signed note")
	}
	// In Ukrainian the size is grouped the Ukrainian way.
	if uk := get(t, h, "/ledger?lang=uk").Body.String(); !strings.Contains(uk, "<dd id=\"cp-size\">1\u00a0234</dd>") {
		t.Error("entries not formatted for uk")
	}
}

// TestLedgerPageStates: before the first checkpoint the page says so; a
// store error is a 500 page that does not leak it; a malformed note too.
func TestLedgerPageStates(t *testing.T) {
	tests := []struct {
		name   string
		ledger LedgerData
		status int
		want   string
	}{
		{"no checkpoint yet", fakeLedger{err: pactwatch.Errorf(pactwatch.ENOTFOUND, "no checkpoint")}, http.StatusOK, "No checkpoint has been signed yet."},
		{"no ledger", nil, http.StatusOK, "No checkpoint has been signed yet."},
		{"store down", fakeLedger{err: errors.New("database on fire")}, http.StatusInternalServerError, "Something went wrong"},
		{"unavailable", fakeLedger{err: pactwatch.Errorf(pactwatch.EUNAVAILABLE, "follower")}, http.StatusServiceUnavailable, "temporarily unavailable"},
		{"malformed note", badNote{}, http.StatusInternalServerError, "Something went wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newLedgerHandler(t, tt.ledger)
			h.opts.Logger = discardLogger()
			rec := get(t, h, "/ledger?lang=en")
			body := rec.Body.String()
			if rec.Code != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%d, want %d with %q", rec.Code, tt.status, tt.want)
			}
			if strings.Contains(body, "on fire") {
				t.Error("the page shows the internal error")
			}
		})
	}
}

type badNote struct{}

func (badNote) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	return 1, []byte("origin\nnot a number\nroot\n\n— x y\n"), nil
}

// discardLogger keeps the errors a test provokes out of its output.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
