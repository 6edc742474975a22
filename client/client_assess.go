package client

import (
	"context"

	"github.com/pactwatch/pactwatch/assess"
)

// Assess sends text to the server's clause analyser (POST /api/v1/assess);
// lang is "en", "uk", "ru" or "" to let the server detect it. The result
// is the same as assess.Analyse's, and as `pactwatch assess --json` prints.
func (c *Client) Assess(ctx context.Context, text, lang string) (assess.Result, error) {
	var out assess.Result
	err := c.postJSON(ctx, "/api/v1/assess", map[string]string{"text": text, "lang": lang}, &out)
	return out, err
}
