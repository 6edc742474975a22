package server

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/assess"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/vocab"
)

const article5 = "The Parties agree that an armed attack against one or more of them shall be considered an attack against them all. " +
	"The Parties shall consult together whenever the territorial integrity of any of them is threatened."

// POST /api/v1/assess answers exactly what assess.Analyse (and so
// `pactwatch assess --json`) gives, for anonymous and signed-in callers.
func TestAssessMatchesAnalyser(t *testing.T) {
	f := newFixture(t)
	want, err := assess.Analyse(article5, assess.Options{Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	for _, role := range []vocab.Role{vocab.RolePublic, vocab.RoleAnalyst} {
		status, body := f.do(role, "POST", "/api/v1/assess", "application/json", mustJSON(t, map[string]string{"text": article5, "lang": "en"}))
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", role, status, body)
		}
		var got assess.Result
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		gotJSON, _ := json.Marshal(got)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("%s: got %s\nwant %s", role, gotJSON, wantJSON)
		}
		var raw map[string]json.RawMessage
		json.Unmarshal(body, &raw)
		if len(raw) != 1 || raw["clauses"] == nil {
			t.Errorf("body has members other than clauses: %s", body)
		}
	}
	// The client returns the same result.
	got, err := client.New(f.http.URL, "").Assess(context.Background(), article5, "en")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Clauses[0].Label, want.Clauses[0].Label) || len(got.Clauses) != len(want.Clauses) {
		t.Errorf("client: %+v", got)
	}
}

// Every refusal names what is wrong.
func TestAssessErrors(t *testing.T) {
	f := newFixture(t)
	huge := strings.Repeat("The Parties shall consult. ", assess.MaxInput/27+1)
	tests := []struct {
		name, contentType, body string
		status                  int
		code, field             string
	}{
		{"empty body", "application/json", "", 400, pactwatch.EINVALID, "body"},
		{"not JSON", "application/json", "text=hello", 400, pactwatch.EINVALID, "body"},
		{"unknown member", "application/json", `{"text":"x","language":"en"}`, 400, pactwatch.EINVALID, "body"},
		{"two objects", "application/json", `{"text":"x"}{"text":"y"}`, 400, pactwatch.EINVALID, "body"},
		{"form post", "application/x-www-form-urlencoded", `{"text":"x"}`, 400, pactwatch.EINVALID, "Content-Type"},
		{"blank text", "application/json", `{"text":"  \n "}`, 400, pactwatch.EINVALID, "text"},
		{"no text", "application/json", `{"lang":"en"}`, 400, pactwatch.EINVALID, "text"},
		{"bad lang", "application/json", `{"text":"The Parties shall consult.","lang":"de"}`, 400, pactwatch.EINVALID, "lang"},
		{"text too large", "application/json", string(mustJSON(t, map[string]string{"text": huge[:assess.MaxInput+1]})), 413, pactwatch.ETOOLARGE, "text"},
		{"body too large", "application/json", string(mustJSON(t, map[string]string{"text": strings.Repeat("\u0001", maxAssessBody/6+1)})), 413, pactwatch.ETOOLARGE, "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.do(vocab.RolePublic, "POST", "/api/v1/assess", tt.contentType, []byte(tt.body))
			var e struct {
				Error struct{ Code, Field string } `json:"error"`
			}
			json.Unmarshal(body, &e)
			if status != tt.status || e.Error.Code != tt.code || e.Error.Field != tt.field {
				t.Errorf("got %d %s, want %d %s field %s", status, body, tt.status, tt.code, tt.field)
			}
		})
	}
}
