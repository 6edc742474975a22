package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
)

// MaxProofLines is the most consistency proof lines a client may send.
const MaxProofLines = 63

// MaxRequestSize bounds an add-checkpoint body: 63 proof lines and a
// checkpoint with a few dozen signatures fit easily.
const MaxRequestSize = 64 << 10

// Request is an add-checkpoint request body: the size of the checkpoint the
// witness last cosigned, a consistency proof from it, and the new signed
// checkpoint.
type Request struct {
	OldSize    int64
	Proof      []ledger.Hash
	Checkpoint []byte // a signed note
}

// Marshal encodes the request as c2sp.org/tlog-witness specifies:
//
//	old <size>
//	<base64 proof hash>…
//	<empty line>
//	<signed checkpoint>
func (r Request) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", r.OldSize)
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// ParseRequest parses an add-checkpoint body. Errors are EINVALID (the
// witness answers 400).
func ParseRequest(body []byte) (Request, error) {
	var r Request
	bad := func(format string, args ...any) (Request, error) {
		return Request{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "request", format, args...)
	}
	if len(body) > MaxRequestSize {
		return bad("over %d bytes", MaxRequestSize)
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return bad("missing the old size line")
	}
	size, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return bad("first line must be \"old <size>\"")
	}
	n, err := ledger.ParseSize(string(size))
	if err != nil {
		return bad("old size: %v", err)
	}
	r.OldSize = n
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return bad("missing the empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == MaxProofLines {
			return bad("more than %d proof lines", MaxProofLines)
		}
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != 32 {
			return bad("proof line %d: want the base64 of a 32-byte hash", len(r.Proof)+1)
		}
		r.Proof = append(r.Proof, ledger.Hash(h))
	}
	if len(rest) == 0 {
		return bad("missing the checkpoint")
	}
	r.Checkpoint = rest
	return r, nil
}

// ParseSizeBody parses the text/x.tlog.size body of a 409 answer: a decimal
// size and a newline.
func ParseSizeBody(body []byte) (int64, error) {
	s, ok := bytes.CutSuffix(body, []byte("\n"))
	if !ok {
		return 0, fmt.Errorf("witness size body %q: missing newline", body)
	}
	n, err := ledger.ParseSize(string(s))
	if err != nil {
		return 0, fmt.Errorf("witness size body %q: %v", body, err)
	}
	return n, nil
}

// sizeBody formats a size for a 409 answer.
func sizeBody(n int64) []byte { return []byte(strconv.FormatInt(n, 10) + "\n") }
