// Package client is a Go client for pactwatch's HTTP API, used by the
// pactwatch CLI itself (submit, import, bench) and usable by any Go
// program. Errors the server returns come back as *pactwatch.Error with
// the server's code, field and message; a rejected batch also lists its
// bad items (BatchError).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
)

// Client calls one pactwatch server with one bearer token.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string // bearer token; "" calls as the public
	HTTP    *http.Client
}

// New returns a client with a default HTTP client (60 s timeout).
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// MaxRateRetries is how many times a request refused with 429 (too many
// requests) is sent again after the server's Retry-After.
const MaxRateRetries = 3

// ItemError is one rejected item of a batch.
type ItemError struct {
	Index   int    `json:"index"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// BatchError is a rejected batch: the error and every bad item. Nothing of
// the batch was stored.
type BatchError struct {
	Err   *pactwatch.Error
	Items []ItemError
}

func (e *BatchError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	for _, it := range e.Items {
		fmt.Fprintf(&b, "\n  item %d: %s: %s", it.Index, it.Field, it.Message)
	}
	return b.String()
}

func (e *BatchError) Unwrap() error { return e.Err }

// HTTPStatus returns the HTTP status a server error came with (0 for errors
// that are not the server's answer, such as a network failure).
func HTTPStatus(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return 0
}

type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// BatchResult is one stored observation of a batch.
type BatchResult struct {
	ID         string    `json:"id"`
	Seq        int64     `json:"seq"`
	ReceivedAt time.Time `json:"received_at"`
	Existed    bool      `json:"existed"` // already stored with identical signed bytes
}

// BatchResponse answers a batch submission.
type BatchResponse struct {
	Observations []BatchResult `json:"observations"`
}

// EvidenceResponse answers an evidence upload.
type EvidenceResponse struct {
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
	Existed   bool   `json:"existed"`
}

// PrincipalRequest creates a principal (admin only).
type PrincipalRequest struct {
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Of         string     `json:"of,omitempty"`
	PublicKey  string     `json:"public_key,omitempty"` // base64 raw 32-byte ed25519 key
	ValidFrom  *time.Time `json:"valid_from,omitempty"` // default: now
	ValidUntil *time.Time `json:"valid_until,omitempty"`
}

// Principal is a principal as the API shows it (never its token).
type Principal struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Of         string     `json:"of,omitempty"`
	PublicKey  string     `json:"public_key,omitempty"`
	KeyID      string     `json:"key_id,omitempty"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Source     string     `json:"source"`
	CreatedAt  time.Time  `json:"created_at"`
}

// NewPrincipal answers a creation: the principal and its token, shown
// this once.
type NewPrincipal struct {
	Principal Principal `json:"principal"`
	Token     string    `json:"token"`
}

// Principals lists principals.
type Principals struct {
	Principals []Principal `json:"principals"`
}

// Query selects observations (GET /api/v1/observations).
type Query struct {
	From, To time.Time
	BBox     *[4]float64 // min lon, min lat, max lon, max lat
	Category string
	Reporter string
	Cursor   string
	Limit    int
}

// Page is one page of observations, each as raw JSON: a full record or
// its public projection, depending on the caller's role.
type Page struct {
	Observations []json.RawMessage `json:"observations"`
	NextCursor   string            `json:"next_cursor,omitempty"`
}

// Submit sends one signed observation. It returns the stored record and
// whether it was already stored (an idempotent resubmission).
func (c *Client) Submit(ctx context.Context, o observation.Observation) (rec observation.Record, existed bool, err error) {
	body, err := observation.Marshal(o)
	if err != nil {
		return rec, false, err
	}
	status, err := c.do(ctx, "POST", "/api/v1/observations", "application/json", bytes.NewReader(body), &rec)
	return rec, status == http.StatusOK, err
}

// SubmitBatch sends signed observations as one batch: all are stored or,
// on a *BatchError, none.
func (c *Client) SubmitBatch(ctx context.Context, obs []observation.Observation) (BatchResponse, error) {
	body, err := EncodeBatch(obs)
	if err != nil {
		return BatchResponse{}, err
	}
	return c.SubmitRawBatch(ctx, body)
}

// EncodeBatch encodes a batch request body, each observation in its
// canonical wire form (observation.Marshal), which the server decodes
// fastest.
func EncodeBatch(obs []observation.Observation) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"observations":[`)
	for i, o := range obs {
		if i > 0 {
			b.WriteByte(',')
		}
		data, err := observation.Marshal(o)
		if err != nil {
			return nil, err
		}
		b.Write(data)
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// SubmitRawBatch sends an already encoded batch body (the bench command
// pre-encodes its requests).
func (c *Client) SubmitRawBatch(ctx context.Context, body []byte) (BatchResponse, error) {
	var out BatchResponse
	_, err := c.do(ctx, "POST", "/api/v1/observations", "application/json", bytes.NewReader(body), &out)
	return out, err
}

// SubmitRaw sends an already encoded single observation and returns the
// HTTP status.
func (c *Client) SubmitRaw(ctx context.Context, body []byte) (int, error) {
	return c.do(ctx, "POST", "/api/v1/observations", "application/json", bytes.NewReader(body), nil)
}

// Observation fetches one observation as raw JSON (its shape depends on
// the caller's role).
func (c *Client) Observation(ctx context.Context, id string) (json.RawMessage, error) {
	var out json.RawMessage
	_, err := c.do(ctx, "GET", "/api/v1/observations/"+url.PathEscape(id), "", nil, &out)
	return out, err
}

// Observations fetches one page of observations.
func (c *Client) Observations(ctx context.Context, q Query) (Page, error) {
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339))
	}
	if q.BBox != nil {
		b := q.BBox
		v.Set("bbox", fmt.Sprintf("%g,%g,%g,%g", b[0], b[1], b[2], b[3]))
	}
	for k, s := range map[string]string{"category": q.Category, "reporter": q.Reporter, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/api/v1/observations"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out Page
	_, err := c.do(ctx, "GET", path, "", nil, &out)
	return out, err
}

// UploadEvidence streams a file; the server answers with its SHA-256.
func (c *Client) UploadEvidence(ctx context.Context, r io.Reader, mediaType string) (EvidenceResponse, error) {
	var out EvidenceResponse
	_, err := c.do(ctx, "POST", "/api/v1/evidence", mediaType, r, &out)
	return out, err
}

// Evidence opens an evidence file; the caller closes it.
func (c *Client) Evidence(ctx context.Context, sha256Hex string) (io.ReadCloser, http.Header, error) {
	resp, err := c.send(ctx, "GET", "/api/v1/evidence/"+url.PathEscape(sha256Hex), "", nil)
	if err != nil {
		return nil, nil, err
	}
	return resp.Body, resp.Header, nil
}

// AddPrincipal creates a principal (admin token).
func (c *Client) AddPrincipal(ctx context.Context, req PrincipalRequest) (NewPrincipal, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return NewPrincipal{}, err
	}
	var out NewPrincipal
	_, err = c.do(ctx, "POST", "/api/v1/principals", "application/json", bytes.NewReader(body), &out)
	return out, err
}

// RevokePrincipal revokes a principal now (admin token).
func (c *Client) RevokePrincipal(ctx context.Context, id string) (Principal, error) {
	var out Principal
	_, err := c.do(ctx, "POST", "/api/v1/principals/"+url.PathEscape(id)+"/revoke", "application/json", strings.NewReader("{}"), &out)
	return out, err
}

// Principals lists every principal (admin or auditor token).
func (c *Client) Principals(ctx context.Context) ([]Principal, error) {
	var out Principals
	_, err := c.do(ctx, "GET", "/api/v1/principals", "", nil, &out)
	return out.Principals, err
}

// Whoami returns the token's principal.
func (c *Client) Whoami(ctx context.Context) (Principal, error) {
	var out Principal
	_, err := c.do(ctx, "GET", "/api/v1/whoami", "", nil, &out)
	return out, err
}

// do sends a request and decodes a 2xx JSON answer into out (when not
// nil). It returns the status.
func (c *Client) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) (int, error) {
	resp, err := c.send(ctx, method, path, contentType, body)
	if err != nil {
		return HTTPStatus(err), err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return resp.StatusCode, nil
}

// send sends a request; a non-2xx answer becomes an error.
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	for retry := 0; err == nil && resp.StatusCode == http.StatusTooManyRequests && retry < MaxRateRetries; retry++ {
		// The principal's token bucket is empty: wait as the server
		// asks and send again, when the body can be sent again.
		if req.Body != nil && req.GetBody == nil {
			break
		}
		wait := time.Second
		if n, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && n >= 0 {
			wait = min(time.Duration(n)*time.Second, 10*time.Second)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		if req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		resp, err = hc.Do(req)
	}
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, &statusError{status: resp.StatusCode, err: decodeError(resp)}
}

// decodeError turns an error answer into *pactwatch.Error (or *BatchError).
func decodeError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var body struct {
		Error struct {
			Code    string      `json:"code"`
			Field   string      `json:"field"`
			Message string      `json:"message"`
			Items   []ItemError `json:"items"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &body); err != nil || body.Error.Code == "" {
		code := pactwatch.EINTERNAL
		switch {
		case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout:
			code = pactwatch.EUNAVAILABLE
		case resp.StatusCode == http.StatusRequestEntityTooLarge:
			code = pactwatch.ETOOLARGE
		}
		return &pactwatch.Error{Code: code, Message: fmt.Sprintf("server answered %s", resp.Status)}
	}
	e := &pactwatch.Error{Code: body.Error.Code, Field: body.Error.Field, Message: body.Error.Message}
	if len(body.Error.Items) > 0 {
		return &BatchError{Err: e, Items: body.Error.Items}
	}
	return e
}
