package client

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response"
)

// Steps are the protocol runs of a case with their steps (GET
// /api/v1/cases/{id}/steps).
type Steps struct {
	Runs []*response.Run `json:"runs"`
}

// StepID is how the API names a step: its run id "/" its key, e.g.
// case-1/respond/consult/us. Path parameters carry it escaped.
func StepID(run, key string) string { return run + "/" + key }

// ActionRequest records what an actor did for a step (POST
// /api/v1/steps/{id}/actions): the kind (default: the step's), and a
// statement or a document reference (at least one).
type ActionRequest struct {
	Kind      string `json:"kind,omitempty"`
	Statement string `json:"statement,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// ActionResponse lists the transitions the action stored: a late action
// after an outage may store the step's overdue transition first.
type ActionResponse struct {
	Transitions []response.Transition `json:"transitions"`
}

// SubscriptionRequest adds a webhook subscription (admins): the actor whose
// notifications it receives and the URL.
type SubscriptionRequest struct {
	ID    string `json:"id,omitempty"` // default: generated
	Actor string `json:"actor"`
	URL   string `json:"url"`
}

// Subscriptions lists subscriptions.
type Subscriptions struct {
	Subscriptions []notify.Subscription `json:"subscriptions"`
}

// Allowlist is the admin allow-list of private addresses webhooks may
// reach: IP addresses or CIDR prefixes.
type Allowlist struct {
	Allow []string `json:"allow"`
}

// DeadLetters are the messages delivery gave up on.
type DeadLetters struct {
	Messages []notify.Message `json:"messages"`
}

// WebhookKey is the key webhook receivers verify signatures with.
type WebhookKey struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"` // base64 of the raw 32-byte Ed25519 key
	Algorithm string `json:"algorithm"`  // "ed25519"
}

// CaseSteps returns the protocol runs of a case.
func (c *Client) CaseSteps(ctx context.Context, caseID string) (Steps, error) {
	var out Steps
	_, err := c.do(ctx, "GET", "/api/v1/cases/"+url.PathEscape(caseID)+"/steps", "", nil, &out)
	return out, err
}

// RecordAction records an action on a step (a liaison for its own
// guarantor or party; an analyst for the mission).
func (c *Client) RecordAction(ctx context.Context, run, key string, req ActionRequest) (ActionResponse, error) {
	var out ActionResponse
	err := c.postJSON(ctx, "/api/v1/steps/"+url.PathEscape(StepID(run, key))+"/actions", req, &out)
	return out, err
}

// Subscribe adds a subscription.
func (c *Client) Subscribe(ctx context.Context, req SubscriptionRequest) (notify.Subscription, error) {
	var out notify.Subscription
	err := c.postJSON(ctx, "/api/v1/subscriptions", req, &out)
	return out, err
}

// Subscriptions lists the subscriptions.
func (c *Client) Subscriptions(ctx context.Context) ([]notify.Subscription, error) {
	var out Subscriptions
	_, err := c.do(ctx, "GET", "/api/v1/subscriptions", "", nil, &out)
	return out.Subscriptions, err
}

// Unsubscribe removes a subscription.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	_, err := c.do(ctx, "DELETE", "/api/v1/subscriptions/"+url.PathEscape(id), "", nil, nil)
	return err
}

// Allowlist reads the webhook allow-list.
func (c *Client) Allowlist(ctx context.Context) ([]string, error) {
	var out Allowlist
	_, err := c.do(ctx, "GET", "/api/v1/notify/allowlist", "", nil, &out)
	return out.Allow, err
}

// SetAllowlist replaces the webhook allow-list.
func (c *Client) SetAllowlist(ctx context.Context, allow []string) error {
	b, err := json.Marshal(Allowlist{Allow: allow})
	if err != nil {
		return err
	}
	_, err = c.do(ctx, "PUT", "/api/v1/notify/allowlist", "application/json", bytes.NewReader(b), nil)
	return err
}

// DeadLetters lists dead-lettered messages.
func (c *Client) DeadLetters(ctx context.Context) ([]notify.Message, error) {
	var out DeadLetters
	_, err := c.do(ctx, "GET", "/api/v1/notify/dead-letters", "", nil, &out)
	return out.Messages, err
}

// Replay makes a dead-lettered message due again (same idempotency key).
func (c *Client) Replay(ctx context.Context, id string) error {
	_, err := c.do(ctx, "POST", "/api/v1/notify/dead-letters/"+url.PathEscape(id)+"/replay", "", nil, nil)
	return err
}

// WebhookKey returns the server's webhook verifying key.
func (c *Client) WebhookKey(ctx context.Context) (WebhookKey, error) {
	var out WebhookKey
	_, err := c.do(ctx, "GET", "/api/v1/notify/key", "", nil, &out)
	return out, err
}

// Scorecard returns the scorecard as of asOf (zero: the server's now), in
// windows of every (e.g. "1mo"; empty: overall only).
func (c *Client) Scorecard(ctx context.Context, asOf time.Time, every string) (response.Scorecard, error) {
	q := url.Values{}
	if !asOf.IsZero() {
		q.Set("as_of", asOf.UTC().Format(time.RFC3339))
	}
	if every != "" {
		q.Set("every", every)
	}
	path := "/api/v1/scorecard"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out response.Scorecard
	_, err := c.do(ctx, "GET", path, "", nil, &out)
	return out, err
}
