package ledger_test

import (
	"errors"

	"github.com/pactwatch/pactwatch"
)

func fieldOf(err error) string {
	var pe *pactwatch.Error
	if errors.As(err, &pe) {
		return pe.Field
	}
	return ""
}
