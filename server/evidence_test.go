package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/vocab"
)

func TestEvidenceUploadAndDownload(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxEvidence = 1 << 10 })
	ctx := context.Background()
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{7}, 200)...)
	sum := sha256.Sum256(jpeg)
	want := hex.EncodeToString(sum[:])
	mon := f.client(vocab.RoleMonitor)
	res, err := mon.UploadEvidence(ctx, bytes.NewReader(jpeg), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if res.SHA256 != want || res.Size != int64(len(jpeg)) || res.Existed {
		t.Fatalf("%+v, want %s", res, want)
	}
	before, _ := f.store.TreeSize(ctx)
	again, err := mon.UploadEvidence(ctx, bytes.NewReader(jpeg), "image/jpeg")
	if err != nil || !again.Existed {
		t.Fatalf("second upload: %+v %v", again, err)
	}
	if after, _ := f.store.TreeSize(ctx); after != before {
		t.Errorf("a duplicate upload appended %d entries", after-before)
	}
	// One file on disk, one ledger entry.
	if _, err := os.Stat(filepath.Join(f.srv.evDir, want[:2], want)); err != nil {
		t.Fatal(err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(f.srv.evDir, "tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	// The entry's record id does not reveal the file's hash.
	size, _ := f.store.TreeSize(ctx)
	entries, err := f.store.Entries(ctx, size-1, size)
	if err != nil || !strings.Contains(string(entries[0]), "type evidence") || strings.Contains(string(entries[0]), want) {
		t.Errorf("last entry %q, %v", entries, err)
	}
	body, h, err := f.client(vocab.RoleAnalyst).Evidence(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	got := new(bytes.Buffer)
	got.ReadFrom(body)
	body.Close()
	if !bytes.Equal(got.Bytes(), jpeg) {
		t.Error("downloaded bytes differ")
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("Content-Type") != "image/jpeg" {
		t.Errorf("headers: %v", h)
	}
	if strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("a JPEG is served inline, got %q", h.Get("Content-Disposition"))
	}
	// The public may not read evidence; a liaison neither.
	if _, _, err := f.client(vocab.RolePublic).Evidence(ctx, want); client.HTTPStatus(err) != 401 {
		t.Errorf("public: %v", err)
	}
	if _, _, err := f.client(vocab.RolePartyLiaison).Evidence(ctx, want); client.HTTPStatus(err) != 403 {
		t.Errorf("party liaison: %v", err)
	}
	// Over the size limit: 413 and nothing kept.
	_, err = mon.UploadEvidence(ctx, bytes.NewReader(make([]byte, 2<<10)), "image/png")
	if client.HTTPStatus(err) != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %v", err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(f.srv.evDir, "tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left after a refused upload: %v", tmp)
	}
	if _, _, err := f.client(vocab.RoleAdmin).Evidence(ctx, strings.Repeat("0", 64)); client.HTTPStatus(err) != 404 {
		t.Errorf("unknown hash: %v", err)
	}
	if _, _, err := f.client(vocab.RoleAdmin).Evidence(ctx, "xyz"); client.HTTPStatus(err) != 400 {
		t.Errorf("malformed hash: %v", err)
	}
}

// Anything a browser could run goes out as an opaque attachment.
func TestEvidenceActiveContent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, mediaType string
		body            string
	}{
		{"html", "text/html", "<html><script>alert(1)</script></html>"},
		{"svg", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`},
		{"svg declared as png", "image/png", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`},
		{"html declared as text", "text/plain", "<!DOCTYPE html><body onload=alert(1)>"},
		{"javascript", "application/javascript", "alert(1)"},
		{"pdf", "application/pdf", "%PDF-1.4\n"},
		{"xml", "application/xml", `<?xml version="1.0"?><x/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.client(vocab.RoleMonitor).UploadEvidence(ctx, strings.NewReader(tc.body), tc.mediaType)
			if err != nil {
				t.Fatal(err)
			}
			body, h, err := f.client(vocab.RoleAdmin).Evidence(ctx, res.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			body.Close()
			if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("served as %q, %q", h.Get("Content-Type"), h.Get("Content-Disposition"))
			}
		})
	}
}

func TestActive(t *testing.T) {
	for _, tc := range []struct {
		declared, head string
		want           bool
	}{
		{"image/jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", false},
		{"image/png", "\x89PNG\r\n\x1a\n", false},
		{"text/plain", "hello, world", false},
		{"text/plain", "<script>x</script>", true},
		{"image/png", "<svg/>", true},
		{"text/html", "hello", true},
		{"image/svg+xml", "x", true},
		{"application/octet-stream", "<HTML>", true},
	} {
		if got := Active(tc.declared, []byte(tc.head)); got != tc.want {
			t.Errorf("Active(%q, %q) = %v", tc.declared, tc.head, got)
		}
	}
}

func TestListObservations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mon := f.client(vocab.RoleMonitor)
	var ids []string
	for i := range 7 {
		o := f.obs(nil, func(o *observationT) {
			if i%2 == 1 {
				o.Category = vocab.BurstOfFire
			}
			o.Target.Lon = 37.0 + float64(i)*0.1
			o.Observer = &positionT{Lat: 48.2, Lon: 37.5, UncertaintyM: 10}
			o.Narrative = "secret narrative"
			o.Language = "en"
		})
		if _, _, err := mon.Submit(ctx, o); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	// Pages of 3, in acceptance order.
	var seen []string
	cursor := ""
	for {
		page, err := f.client(vocab.RoleAdmin).Observations(ctx, client.Query{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Observations {
			var r struct{ ID, Reporter string }
			json.Unmarshal(raw, &r)
			if r.Reporter == "" {
				t.Errorf("admin sees a redacted record: %s", raw)
			}
			seen = append(seen, r.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Errorf("pages gave %v, want %v", seen, ids)
	}
	// Category filter.
	page, err := f.client(vocab.RoleAnalyst).Observations(ctx, client.Query{Category: "burst_of_fire"})
	if err != nil || len(page.Observations) != 3 {
		t.Errorf("category filter: %d, %v", len(page.Observations), err)
	}
	// The public sees projections: no reporter, narrative or exact observer.
	page, err = f.client(vocab.RolePublic).Observations(ctx, client.Query{})
	if err != nil || len(page.Observations) != 7 {
		t.Fatalf("public: %d, %v", len(page.Observations), err)
	}
	for _, raw := range page.Observations {
		s := string(raw)
		if strings.Contains(s, "reporter") || strings.Contains(s, "secret") || strings.Contains(s, "signature") || strings.Contains(s, "principal") {
			t.Errorf("public projection leaks: %s", s)
		}
	}
	// A bbox around the observer only: the public must not find the
	// observations through it; an analyst does.
	bbox := &[4]float64{37.49, 48.19, 37.51, 48.21}
	page, _ = f.client(vocab.RolePublic).Observations(ctx, client.Query{BBox: bbox})
	if len(page.Observations) != 0 {
		t.Errorf("the public located observations by their observer's position: %d", len(page.Observations))
	}
	page, _ = f.client(vocab.RoleAnalyst).Observations(ctx, client.Query{BBox: bbox})
	if len(page.Observations) != 7 {
		t.Errorf("analyst bbox: %d", len(page.Observations))
	}
	// Filtering by reporter is not for the public.
	if _, err := f.client(vocab.RolePublic).Observations(ctx, client.Query{Reporter: "0123456789abcdef"}); client.HTTPStatus(err) != 403 {
		t.Errorf("public reporter filter: %v", err)
	}
	// One observation: redacted for a party liaison, full for its own monitor.
	raw, err := f.client(vocab.RolePartyLiaison).Observation(ctx, ids[0])
	if err != nil || strings.Contains(string(raw), "reporter") {
		t.Errorf("liaison sees %s, %v", raw, err)
	}
	raw, err = mon.Observation(ctx, ids[0])
	if err != nil || !strings.Contains(string(raw), "reporter") {
		t.Errorf("own monitor sees %s, %v", raw, err)
	}
}

func TestListObservationsBadQuery(t *testing.T) {
	f := newFixture(t)
	for _, q := range []struct{ query, field string }{
		{"from=yesterday", "from"},
		{"bbox=1,2,3", "bbox"},
		{"bbox=10,50,0,40", "bbox"},
		{"bbox=0,-91,1,1", "bbox"},
		{"category=fireworks", "category"},
		{"cursor=-1", "cursor"},
		{"limit=0", "limit"},
		{"limit=100001", "limit"},
		{"colour=red", "colour"},
	} {
		status, body := f.do(vocab.RoleAdmin, "GET", "/api/v1/observations?"+q.query, "", nil)
		if e := decodeAPIError(t, body); status != 400 || e.Error.Field != q.field {
			t.Errorf("%s: %d %s", q.query, status, body)
		}
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	f.post(vocab.RoleMonitor, "/api/v1/observations", "application/json", mustJSON(t, f.obs(nil)))
	f.post(vocab.RoleMonitor, "/api/v1/observations", "application/json", []byte(`{"id":1}`))
	status, body := f.do("", "GET", "/metrics", "", nil)
	if status != 200 {
		t.Fatal(status)
	}
	s := string(body)
	for _, want := range []string{
		`pactwatch_http_requests_total{route="POST /api/v1/observations",status="201"} 1`,
		`pactwatch_http_requests_total{route="POST /api/v1/observations",status="400"} 1`,
		`pactwatch_observations_accepted_total 1`,
		`pactwatch_observations_rejected_total{reason="invalid:id"} 1`,
		`pactwatch_http_request_duration_seconds_bucket{route="POST /api/v1/observations",le="+Inf"} 2`,
		`pactwatch_ledger_entries `,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("metrics lack %q:\n%s", want, s)
		}
	}
}
