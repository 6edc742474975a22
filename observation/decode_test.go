package observation

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/pactwatch/pactwatch"
)

// minimal is a complete signed-form observation with only required fields.
const minimal = `{"id":"0b7e6c1a-3f2d-4e5b-8a9c-1d2e3f4a5b6c","observed_at":"2026-11-20T06:15:00Z",` +
	`"time_precision":"minute","signed_at":"2026-11-20T06:17:42Z",` +
	`"target":{"lat":48.0159,"lon":37.8028,"uncertainty_m":500},"category":"explosion","count":3,` +
	`"source_type":"patrol","grade":"B2","reporter":"21fe31dfa154a261"}`

// with returns minimal with its closing brace replaced by extra members.
func with(extra string) string { return strings.TrimSuffix(minimal, "}") + "," + extra + "}" }

// without returns minimal with one top-level member removed.
func without(name string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(minimal), &m); err != nil {
		panic(err)
	}
	delete(m, name)
	b, _ := json.Marshal(m)
	return string(b)
}

func assertFieldError(t *testing.T, err error, field, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one on %q", field)
	}
	errs := FieldErrors(err)
	if errs[0].Code != pactwatch.EINVALID {
		t.Fatalf("code %s (%v), want %s", errs[0].Code, err, pactwatch.EINVALID)
	}
	if errs[0].Field != field || !strings.Contains(errs[0].Message, substr) {
		t.Fatalf("got %q: %q, want %q: …%s…", errs[0].Field, errs[0].Message, field, substr)
	}
}

func TestDecodeAccepts(t *testing.T) {
	o, err := Decode([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if o.Target == nil || o.Target.Lat != 48.0159 || o.Count != 3 || o.Grade != "B2" {
		t.Fatalf("decoded %+v", o)
	}
	if !o.ObservedAt.Equal(time.Date(2026, 11, 20, 6, 15, 0, 0, time.UTC)) {
		t.Fatalf("observed_at %v", o.ObservedAt)
	}
	// Whitespace, member order and equivalent number spellings do not
	// matter: RFC 8785 normalises them.
	spaced := strings.ReplaceAll(strings.ReplaceAll(minimal, ",", ",\n  "), `"count":3`, `"count":3`)
	spaced = strings.Replace(spaced, `"uncertainty_m":500`, `"uncertainty_m":5E2`, 1)
	if _, err := Decode([]byte(" \n" + spaced + "\n")); err != nil {
		t.Fatalf("reformatted: %v", err)
	}
	if _, err := Decode([]byte(with(`"signature":"` + strings.Repeat("A", 86) + `=="`))); err != nil {
		t.Fatalf("with signature: %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, in, field, substr string
	}{
		{"empty", "", "", "empty"},
		{"array", `[` + minimal + `]`, "", "want an object"},
		{"trailing data", minimal + `{}`, "", "malformed JSON"},
		{"truncated", minimal[:40], "id", "unexpected EOF"},
		{"unknown field", with(`"colour":"red"`), "colour", "unknown field"},
		{"unknown nested", with(`"observer":{"lat":1,"lon":2,"uncertainty_m":3,"alt":4}`), "observer.alt", "unknown field"},
		{"case differs", strings.Replace(minimal, `"count"`, `"Count"`, 1), "Count", "unknown field"},
		{"duplicate key", with(`"count":4`), "count", "duplicate"},
		{"wrong type", strings.Replace(minimal, `"count":3`, `"count":"3"`, 1), "count", "want an integer, got a string"},
		{"fractional count", strings.Replace(minimal, `"count":3`, `"count":3.5`, 1), "count", "whole number"},
		{"lat as string", strings.Replace(minimal, `"lat":48.0159`, `"lat":"48"`, 1), "target.lat", "want a number, got a string"},
		{"evidence not strings", with(`"evidence":[1]`), "evidence[0]", "want a string"},
		{"bad time", strings.Replace(minimal, `"2026-11-20T06:15:00Z"`, `"20 Nov 2026"`, 1), "observed_at", "RFC 3339"},
		{"offset time", strings.Replace(minimal, `"2026-11-20T06:15:00Z"`, `"2026-11-20T08:15:00+02:00"`, 1), "observed_at", "UTC"},
		{"trailing zero fraction", strings.Replace(minimal, `"2026-11-20T06:17:42Z"`, `"2026-11-20T06:17:42.000Z"`, 1), "signed_at", "trailing zeros"},
		{"missing count", without("count"), "count", "required field is missing"},
		{"missing reporter", without("reporter"), "reporter", "required field is missing"},
		{"missing lat", strings.Replace(minimal, `"lat":48.0159,`, ``, 1), "target.lat", "required field is missing"},
		{"null position", with(`"observer":null`), "observer", "null"},
		{"null string", strings.Replace(minimal, `"grade":"B2"`, `"grade":null`, 1), "grade", "null"},
		{"explicit zero calibre", with(`"calibre_mm":0`), "calibre_mm", "left out"},
		{"empty evidence", with(`"evidence":[]`), "evidence", "left out"},
		{"empty narrative", with(`"narrative":""`), "narrative", "left out"},
		{"invalid utf-8", with("\"narrative\":\"\xff\""), "narrative", "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			assertFieldError(t, err, tt.field, tt.substr)
		})
	}
}

func TestDecodeBatch(t *testing.T) {
	one, err := DecodeBatch([]byte(minimal))
	if err != nil || len(one) != 1 {
		t.Fatalf("single object: %v, %d", err, len(one))
	}
	second := strings.Replace(minimal, "0b7e6c1a", "1b7e6c1a", 1)
	many, err := DecodeBatch([]byte(`{"observations":[` + minimal + `,` + second + `]}`))
	if err != nil || len(many) != 2 || many[1].ID[0] != '1' {
		t.Fatalf("batch: %v, %+v", err, many)
	}

	bad := strings.Replace(minimal, `"category":"explosion"`, `"category":7`, 1)
	_, err = DecodeBatch([]byte(`{"observations":[` + minimal + `,` + bad + `,` + with(`"x":1`) + `]}`))
	errs := FieldErrors(err)
	if len(errs) != 2 || errs[0].Field != "observations[1].category" || errs[1].Field != "observations[2].x" {
		t.Fatalf("batch errors: %v", errs)
	}
	if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("code %s", pactwatch.ErrorCode(err))
	}

	for _, tt := range []struct{ in, field, substr string }{
		{`{"observations":[]}`, "observations", "empty batch"},
		{`{"observations":{}}`, "observations", "want an array"},
		{`{"observations":[` + minimal + `],"extra":1}`, "extra", "unknown field"},
		{`{"observations":[1]}`, "observations[0]", "want an object"},
		{`{"observations":[` + minimal + `]} {}`, "", "after the batch"},
		{`{"observations":[` + minimal + `,]}`, "observations", "malformed JSON"},
		{`{"observations":[` + minimal + `],"observations":[]}`, "observations", "duplicate"},
		{`{"x":1,"observations":[` + minimal + `]}`, "x", "unknown field"},
		{`{"observations":`, "observations", "unexpected EOF"},
		{`[` + minimal + `]`, "", "want an object"},
	} {
		_, err := DecodeBatch([]byte(tt.in))
		assertFieldError(t, err, tt.field, tt.substr)
	}
}

func TestDecodeBatchCapsErrors(t *testing.T) {
	items := make([]string, MaxErrors+20)
	for i := range items {
		items[i] = `{}`
	}
	_, err := DecodeBatch([]byte(`{"observations":[` + strings.Join(items, ",") + `]}`))
	if n := len(FieldErrors(err)); n != MaxErrors {
		t.Fatalf("%d errors, want %d", n, MaxErrors)
	}
}

func TestDecodeUnsigned(t *testing.T) {
	draft := without("reporter")
	if _, err := Decode([]byte(draft)); err == nil {
		t.Fatal("Decode accepted an observation without reporter")
	}
	obs, err := DecodeUnsigned([]byte(`{"observations":[` + draft + `]}`))
	if err != nil || len(obs) != 1 {
		t.Fatalf("DecodeUnsigned: %v", err)
	}
	noTime := strings.Replace(draft, `"signed_at":"2026-11-20T06:17:42Z",`, "", 1)
	unsignedAt, err := DecodeUnsigned([]byte(noTime))
	if err != nil || !unsignedAt[0].SignedAt.IsZero() {
		t.Fatalf("DecodeUnsigned without signed_at: %v", err)
	}
	_, priv, _ := ed25519.GenerateKey(nil)
	if err := Sign(&obs[0], priv); err != nil {
		t.Fatal(err)
	}
	if err := Verify(obs[0], priv.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	// Still strict about everything else.
	_, err = DecodeUnsigned([]byte(strings.Replace(draft, `"count":3`, `"count":"3"`, 1)))
	assertFieldError(t, err, "count", "want an integer")
}

func TestFieldErrorsOfOtherErrors(t *testing.T) {
	if FieldErrors(nil) != nil {
		t.Fatal("nil error has field errors")
	}
	errs := FieldErrors(errors.New("boom"))
	if len(errs) != 1 || errs[0].Code != pactwatch.EINTERNAL {
		t.Fatalf("%v", errs)
	}
}

// FuzzDecode checks that Decode never panics, that every error is an
// EINVALID *pactwatch.Error, and that whatever it accepts re-encodes to an
// equivalent body it accepts again with the same signing bytes (the
// property signatures rely on), canonicalised as github.com/gowebpki/jcs does.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(with(`"observer":{"lat":1,"lon":2,"uncertainty_m":3}`)))
	f.Add([]byte(`{"observations":[` + minimal + `]}`))
	f.Add([]byte(with(`"narrative":"Снаряди\n\u0000"`)))
	f.Add([]byte(`{"a":1,"a":2}`))
	for _, v := range loadVectors(f) {
		f.Add([]byte(v.Observation))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obs, err := DecodeBatch(data)
		if err != nil {
			for _, e := range FieldErrors(err) {
				if e.Code != pactwatch.EINVALID {
					t.Fatalf("code %s: %v", e.Code, e)
				}
			}
			return
		}
		for _, o := range obs {
			first, err := SigningBytes(o)
			if err != nil {
				t.Fatalf("accepted but cannot sign: %v", err)
			}
			again, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			o2, err := Decode(again)
			if err != nil {
				t.Fatalf("re-encoding rejected: %v\n%s", err, again)
			}
			second, _ := SigningBytes(o2)
			if string(first) != string(second) {
				t.Fatalf("signing bytes changed:\n%s\n%s", first, second)
			}
			// A second RFC 8785 implementation must agree.
			ref, err := jcs.Transform(again)
			if err != nil {
				t.Fatal(err)
			}
			ours, _ := canonicalObservation(o)
			if string(ref) != string(ours) {
				t.Fatalf("canonical forms differ:\njcs  %s\nours %s", ref, ours)
			}
		}
	})
}
