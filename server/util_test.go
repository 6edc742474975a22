package server

import (
	"crypto/ed25519"
	"encoding/base64"

	"github.com/pactwatch/pactwatch/observation"
)

func b64(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

type (
	observationT = observation.Observation
	positionT    = observation.Position
)
