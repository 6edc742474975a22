// Package pactwatch holds what every other package shares: the error type
// with its codes. Domain types live in packages named for what they hold
// (agreement, observation, ledger, …); adapters (store, server, cmd) depend
// on them, never the reverse.
package pactwatch

import (
	"errors"
	"fmt"
)

// Error codes. Each maps once to an HTTP status (server) and a CLI message
// (cmd/pactwatch); internal errors never leak their text to a client.
const (
	EINVALID      = "invalid"      // the input is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // the named thing does not exist
	EUNAUTHORIZED = "unauthorized" // no or bad credential
	EFORBIDDEN    = "forbidden"    // credential fine, role not allowed
	ECONFLICT     = "conflict"     // clashes with what is stored (e.g. same id, other body)
	ETOOLARGE     = "too_large"    // body, batch or file over a limit
	ERATELIMIT    = "rate_limited" // too many requests for this principal
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retry later
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is pactwatch's one error type. Field names the offending input
// (a JSON path such as "observations[3].target.lat" or an agreement path
// such as "zones[2].geometry"), so a client can point at it.
type Error struct {
	Code    string
	Field   string
	Message string
	Err     error // wrapped cause; never shown to clients for EINTERNAL
}

func (e *Error) Error() string {
	s := e.Message
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Err != nil && e.Code == EINTERNAL {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error naming the offending field.
func FieldErrorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: err}
}

// ErrorCode returns the code of err, EINTERNAL for errors that are not *Error
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message safe to show a user: the message of an
// *Error (with its field), "internal error" for anything else.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return "internal error"
}
