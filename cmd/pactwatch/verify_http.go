package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/server"
)

// httpRecords is a ledger.RecordFetcher over a server's auditor endpoint
// (GET /api/v1/ledger/records/{index}, auditor or admin token): the
// server rebuilds each record from its database and sends it with its
// salt; the audit checks it against the entry it already verified from
// the public tiles, so a server cannot pass off a record that is not the
// one logged.
type httpRecords struct {
	base   string // server base URL, no trailing slash
	token  string
	client *http.Client
}

// maxRecordResponse bounds one record answer (records are small JSON;
// an agreement version is the largest, well under this).
const maxRecordResponse = 64 << 20

func (h httpRecords) Record(ctx context.Context, index int64, e ledger.Entry) ([]byte, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/ledger/records/%d", h.base, index), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EUNAVAILABLE, "server", "%v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRecordResponse))
	if err != nil {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EUNAVAILABLE, "server", "reading record %d: %v", index, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb struct {
			Error struct{ Code, Field, Message string } `json:"error"`
		}
		if json.Unmarshal(body, &eb) != nil || eb.Error.Code == "" {
			return nil, nil, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "record %d: HTTP %d", index, resp.StatusCode)
		}
		switch eb.Error.Code {
		case pactwatch.EINVALID, pactwatch.ENOTFOUND:
			// The server's verdict on this record: Audit reports it
			// against the entry.
			return nil, nil, &pactwatch.Error{Code: eb.Error.Code, Message: eb.Error.Message}
		}
		return nil, nil, &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Field: "server", Message: fmt.Sprintf("record %d: %s: %s", index, eb.Error.Code, eb.Error.Message)}
	}
	var rec server.LedgerRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, nil, pactwatch.Errorf(pactwatch.EINVALID, "the server's answer for record %d is not JSON: %v", index, err)
	}
	switch {
	case rec.Index != index || !bytes.Equal(rec.Entry, e.Marshal()):
		return nil, nil, pactwatch.Errorf(pactwatch.EINVALID, "the server answered index %d with another entry than the log's", index)
	case rec.NotServed != "":
		return nil, nil, fmt.Errorf("%s: %w", rec.NotServed, ledger.ErrRecordNotChecked)
	}
	return rec.Canonical, rec.Salt, nil
}
