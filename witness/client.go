package witness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
)

// Client submits checkpoints to one witness.
type Client struct {
	// URL is the witness's submission prefix; requests go to
	// URL + "/add-checkpoint".
	URL string
	// Verifier is the witness's cosignature key; answers are checked
	// against it and only its signatures are returned.
	Verifier note.Verifier
	HTTP     *http.Client // nil means http.DefaultClient
}

// NewClient returns a client for the witness at url whose cosignature key
// is vkey (its cosignature/v1 or plain Ed25519 signed-note verifier key, as
// an agreement's mission.witnesses[].public_key holds it).
func NewClient(url, vkey string, hc *http.Client) (*Client, error) {
	v, err := fnote.NewVerifierForCosignatureV1(strings.TrimSpace(vkey))
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "witness", "%q is not a witness verifier key: %v", vkey, err)
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "witness", "witness %s: URL %q is not http(s)", v.Name(), url)
	}
	return &Client{URL: url, Verifier: v, HTTP: hc}, nil
}

// AddCheckpoint sends one add-checkpoint request and returns the witness's
// verified cosignatures. A wrong old size comes back as an ECONFLICT
// *pactwatch.Error wrapping *SizeConflictError with the witness's size.
func (c *Client) AddCheckpoint(ctx context.Context, oldSize int64, proof []ledger.Hash, checkpoint []byte) ([]note.Signature, error) {
	req := Request{OldSize: oldSize, Proof: proof, Checkpoint: checkpoint}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.URL, "/")+"/add-checkpoint", bytes.NewReader(req.Marshal()))
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "witness", "%v", err)
	}
	hr.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Field: "witness", Message: fmt.Sprintf("witness %s unreachable", c.Verifier.Name()), Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxRequestSize))
	if err != nil {
		return nil, &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Field: "witness", Message: fmt.Sprintf("reading witness %s's answer", c.Verifier.Name()), Err: err}
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		if resp.Header.Get("Content-Type") == "text/x.tlog.size" {
			n, err := ParseSizeBody(body)
			if err != nil {
				return nil, pactwatch.FieldErrorf(pactwatch.EUNAVAILABLE, "witness", "witness %s: %v", c.Verifier.Name(), err)
			}
			return nil, &pactwatch.Error{Code: pactwatch.ECONFLICT, Field: "old", Message: fmt.Sprintf("witness %s last cosigned size %d", c.Verifier.Name(), n), Err: &SizeConflictError{Known: n}}
		}
		return nil, pactwatch.FieldErrorf(pactwatch.ECONFLICT, "checkpoint", "witness %s refuses the checkpoint as a fork: %s", c.Verifier.Name(), firstLine(body))
	default:
		code := pactwatch.EUNAVAILABLE
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			code = pactwatch.EINVALID
		}
		return nil, pactwatch.FieldErrorf(code, "witness", "witness %s answered %s: %s", c.Verifier.Name(), resp.Status, firstLine(body))
	}
	// The answer is signature lines; appended to the checkpoint they form
	// a note that must verify under the witness's key.
	n, err := note.Open(append(bytes.Clone(req.Checkpoint), body...), note.VerifierList(c.Verifier))
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EUNAVAILABLE, "witness", "witness %s returned no valid cosignature: %v", c.Verifier.Name(), err)
	}
	var sigs []note.Signature
	for _, s := range n.Sigs {
		if s.Name == c.Verifier.Name() && s.Hash == c.Verifier.KeyHash() {
			sigs = append(sigs, s)
		}
	}
	return sigs, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Name is the witness's name, from its key.
func (c *Client) Name() string { return c.Verifier.Name() }

var _ ledger.WitnessClient = (*Client)(nil)
