package pactwatch

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorCodesAndMessages(t *testing.T) {
	inner := errors.New("disk on fire")
	tests := []struct {
		err      error
		code     string
		userText string
	}{
		{nil, "", "internal error"},
		{FieldErrorf(EINVALID, "target.lat", "%v is not a latitude", 91.5), EINVALID, "target.lat: 91.5 is not a latitude"},
		{fmt.Errorf("wrapped: %w", Errorf(ENOTFOUND, "no incident %q", "x")), ENOTFOUND, `no incident "x"`},
		{Internal(inner), EINTERNAL, "internal error"},
		{inner, EINTERNAL, "internal error"},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.code)
		}
		if tt.err == nil {
			continue
		}
		if got := ErrorMessage(tt.err); got != tt.userText {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tt.err, got, tt.userText)
		}
	}
	// Internal causes stay reachable for logs, never for clients.
	if !errors.Is(Internal(inner), inner) {
		t.Error("Internal does not wrap its cause")
	}
}
