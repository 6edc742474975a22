package pactwatch

import (
	"encoding/json"

	"github.com/gowebpki/jcs"
)

// CanonicalJSON is v as RFC 8785 canonical JSON: the bytes the ledger's
// salted digests cover for every record other than an observation (whose
// canonical form, observation.CanonicalRecord, is written by hand for
// speed). One definition, so every record kind canonicalises alike and an
// auditor can recompute any digest with any RFC 8785 implementation.
func CanonicalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, Internal(err)
	}
	out, err := jcs.Transform(b)
	if err != nil {
		return nil, Internal(err)
	}
	return out, nil
}
