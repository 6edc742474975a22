package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/pactwatch/pactwatch"
)

// statusOf maps an error code to its HTTP status, once for the whole API.
func statusOf(code string) int {
	switch code {
	case pactwatch.EINVALID:
		return http.StatusBadRequest
	case pactwatch.ENOTFOUND:
		return http.StatusNotFound
	case pactwatch.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case pactwatch.EFORBIDDEN:
		return http.StatusForbidden
	case pactwatch.ECONFLICT:
		return http.StatusConflict
	case pactwatch.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case pactwatch.ERATELIMIT:
		return http.StatusTooManyRequests
	case pactwatch.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is the JSON of every error response:
//
//	{"error":{"code":"invalid","field":"target.lat","message":"…","items":[…]}}
type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    string      `json:"code"`
	Field   string      `json:"field,omitempty"`
	Message string      `json:"message"`
	Items   []ItemError `json:"items,omitempty"`
}

// ItemError is one rejected item of a batch: its index in the batch and
// what is wrong with it.
type ItemError struct {
	Index   int    `json:"index"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// batchError rejects a whole batch, listing every bad item.
type batchError struct {
	items []ItemError
}

func (e *batchError) Error() string { return "batch rejected" }

// writeError answers with err as JSON. Internal errors are logged with
// their cause and shown to the client only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var body errorBody
	var be *batchError
	if errors.As(err, &be) {
		body.Error = errorJSON{Code: pactwatch.EINVALID, Message: "the batch was rejected: nothing was stored; see items", Items: be.items}
		// The batch's code is its items' when they all agree, EINVALID
		// otherwise (so one item with another monitor's key does not turn
		// a batch of bad coordinates into a 403).
		for i, it := range be.items {
			if i == 0 {
				body.Error.Code = it.Code
			} else if it.Code != body.Error.Code {
				body.Error.Code = pactwatch.EINVALID
				break
			}
		}
	} else {
		code := pactwatch.ErrorCode(err)
		body.Error = errorJSON{Code: code, Message: messageOf(err)}
		var pe *pactwatch.Error
		if errors.As(err, &pe) {
			body.Error.Field = pe.Field
		}
		if code == pactwatch.EINTERNAL {
			s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	status := statusOf(body.Error.Code)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pactwatch"`)
	}
	writeJSON(w, status, body)
}

// messageOf is the client-safe message: without the field prefix (the
// field has its own member) and never an internal cause.
func messageOf(err error) string {
	var pe *pactwatch.Error
	if errors.As(err, &pe) && pe.Code != pactwatch.EINTERNAL {
		return pe.Message
	}
	return "internal error"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("writing response", "err", err)
	}
}
