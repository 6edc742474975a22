package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch"
)

// Server errors come back as *pactwatch.Error (or *BatchError) with the
// server's code, field and message, and their HTTP status.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		status      int
		body        string
		code, field string
		items       int
	}{
		{400, `{"error":{"code":"invalid","field":"target.lat","message":"want a latitude"}}`, pactwatch.EINVALID, "target.lat", 0},
		{400, `{"error":{"code":"invalid","message":"batch","items":[{"index":2,"code":"invalid","field":"observations[2].count","message":"x"}]}}`, pactwatch.EINVALID, "", 1},
		{409, `{"error":{"code":"conflict","field":"id","message":"other body"}}`, pactwatch.ECONFLICT, "id", 0},
		{502, `<html>bad gateway</html>`, pactwatch.EUNAVAILABLE, "", 0},
		{413, ``, pactwatch.ETOOLARGE, "", 0},
		{500, `{}`, pactwatch.EINTERNAL, "", 0},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer tok" {
				t.Errorf("authorization %q", r.Header.Get("Authorization"))
			}
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		_, err := New(srv.URL, "tok").Whoami(context.Background())
		srv.Close()
		if HTTPStatus(err) != tc.status || pactwatch.ErrorCode(err) != tc.code {
			t.Errorf("%d %s: got %v (status %d, code %s)", tc.status, tc.body, err, HTTPStatus(err), pactwatch.ErrorCode(err))
			continue
		}
		var pe *pactwatch.Error
		if errors.As(err, &pe) && pe.Field != tc.field {
			t.Errorf("%s: field %q", tc.body, pe.Field)
		}
		var be *BatchError
		if got := errors.As(err, &be); got != (tc.items > 0) || (got && len(be.Items) != tc.items) {
			t.Errorf("%s: batch error %v", tc.body, be)
		}
	}
	// No answer at all: status 0.
	_, err := New("http://127.0.0.1:1", "").Whoami(context.Background())
	if err == nil || HTTPStatus(err) != 0 {
		t.Errorf("unreachable: %v", err)
	}
}

func TestEncodeBatch(t *testing.T) {
	b, err := EncodeBatch(nil)
	if err != nil || string(b) != `{"observations":[]}` {
		t.Errorf("%s %v", b, err)
	}
}

func FuzzDecodeError(f *testing.F) {
	f.Add(400, []byte(`{"error":{"code":"invalid","field":"x","message":"y","items":[{"index":1}]}}`))
	f.Add(500, []byte(`not json`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &http.Response{StatusCode: status, Status: http.StatusText(status), Body: io.NopCloser(bytes.NewReader(body))}
		err := decodeError(resp)
		if err == nil || pactwatch.ErrorCode(err) == "" {
			t.Fatalf("no error for %d %q", status, body)
		}
		if strings.TrimSpace(err.Error()) == "" && pactwatch.ErrorCode(err) == pactwatch.EINTERNAL {
			t.Fatalf("empty message for %d %q", status, body)
		}
	})
}

// A 429 is retried after Retry-After, with the same body.
func TestRetryRateLimited(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		b, _ := io.ReadAll(r.Body)
		if string(b) != "{}" {
			t.Errorf("body %q on call %d", b, calls)
		}
		if calls < 3 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
			io.WriteString(w, `{"error":{"code":"rate_limited","message":"slow down"}}`)
			return
		}
		io.WriteString(w, `{"id":"p1"}`)
	}))
	defer srv.Close()
	p, err := New(srv.URL, "").RevokePrincipal(context.Background(), "p1")
	if err != nil || p.ID != "p1" || calls != 3 {
		t.Fatalf("%+v %v after %d calls", p, err, calls)
	}
}
