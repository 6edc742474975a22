package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
)

// Checkpoint is a C2SP tlog-checkpoint body (c2sp.org/tlog-checkpoint): the
// log's origin line, the tree size and the root hash. pactwatch writes no
// extension lines; parsers keep other logs' extension lines as Extra so that
// a witness cosigns exactly what it was sent.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   Hash
	Extra  []byte // extension lines, each ending in "\n"; nil for pactwatch's own
}

// Marshal is the note text: "<origin>\n<size>\n<base64 root>\n" and any
// extension lines.
func (c Checkpoint) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Hash[:]))
	b.WriteByte('\n')
	b.Write(c.Extra)
	return b.Bytes()
}

// ParseCheckpoint parses a checkpoint body (the text of the signed note, not
// the signatures), refusing any non-canonical encoding of the size or hash
// so that one tree head has exactly one checkpoint text.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	var c Checkpoint
	if !utf8.Valid(text) {
		return c, checkpointErr("not UTF-8")
	}
	lines := strings.SplitN(string(text), "\n", 4)
	if len(lines) < 4 {
		return c, checkpointErr("want at least three lines, each ending in a newline")
	}
	c.Origin = lines[0]
	if c.Origin == "" || strings.ContainsAny(c.Origin, "\r") {
		return c, checkpointErr("empty or malformed origin line")
	}
	size, err := ParseSize(lines[1])
	if err != nil {
		return c, checkpointErr("tree size: " + err.Error())
	}
	c.Size = size
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != len(c.Hash) || base64.StdEncoding.EncodeToString(h) != lines[2] {
		return c, checkpointErr("root hash: want the base64 of 32 bytes")
	}
	copy(c.Hash[:], h)
	if rest := lines[3]; rest != "" {
		if !strings.HasSuffix(rest, "\n") || strings.HasPrefix(rest, "\n") || strings.Contains(rest, "\n\n") {
			return c, checkpointErr("malformed extension lines")
		}
		c.Extra = []byte(rest)
	}
	return c, nil
}

// ParseSize parses a tree size as C2SP writes it: ASCII decimal, no sign,
// no leading zeroes (except "0" itself).
func ParseSize(s string) (int64, error) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, errors.New("want a decimal with no leading zeroes")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("want a decimal with no leading zeroes")
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("out of range")
	}
	return n, nil
}

func checkpointErr(msg string) error {
	return pactwatch.FieldErrorf(pactwatch.EINVALID, "checkpoint", "%s", msg)
}

// Sign signs the checkpoint with the log's key, giving a signed note.
func (c Checkpoint) Sign(s note.Signer) ([]byte, error) {
	if s.Name() != c.Origin {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "origin", "the log key is named %q but the checkpoint's origin is %q", s.Name(), c.Origin)
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Marshal())}, s)
	if err != nil {
		return nil, pactwatch.Internal(err)
	}
	return msg, nil
}

// OpenCheckpoint verifies a signed checkpoint against the log's key (whose
// name must be the origin) and parses it. Signatures by the other verifiers
// (witnesses) are checked too and returned in the note's Sigs; unknown
// signatures are ignored. The error is EFORBIDDEN when the log's signature
// is missing or wrong, EINVALID when the note is malformed.
func OpenCheckpoint(msg []byte, log note.Verifier, others ...note.Verifier) (Checkpoint, *note.Note, error) {
	vs := append([]note.Verifier{log}, others...)
	n, err := note.Open(msg, note.VerifierList(vs...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return Checkpoint{}, nil, pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "checkpoint", "no signature by the log key %s", log.Name())
		case errors.As(err, &invalid):
			return Checkpoint{}, nil, pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "checkpoint", "invalid signature by %s", invalid.Name)
		default:
			return Checkpoint{}, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "checkpoint", "malformed signed note: %v", err)
		}
	}
	signed := false
	for _, s := range n.Sigs {
		if s.Name == log.Name() && s.Hash == log.KeyHash() {
			signed = true
		}
	}
	if !signed {
		return Checkpoint{}, nil, pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "checkpoint", "no signature by the log key %s", log.Name())
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if c.Origin != log.Name() {
		return Checkpoint{}, nil, pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "checkpoint", "origin %q is not the log key's name %q", c.Origin, log.Name())
	}
	return c, n, nil
}

// CountSigners counts the distinct verifiers among vs that signed n: the
// witnesses whose cosignatures a client requires.
func CountSigners(n *note.Note, vs []note.Verifier) int {
	count := 0
	for _, v := range vs {
		for _, s := range n.Sigs {
			if s.Name == v.Name() && s.Hash == v.KeyHash() {
				count++
				break
			}
		}
	}
	return count
}

// VerifyCosigned opens a checkpoint as a client must: signed by the log's
// key and cosigned by at least quorum of the given witnesses. It returns
// the checkpoint and the names of the witnesses that cosigned.
func VerifyCosigned(msg []byte, log note.Verifier, witnesses []note.Verifier, quorum int) (Checkpoint, []string, error) {
	cp, n, err := OpenCheckpoint(msg, log, witnesses...)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	var names []string
	for _, w := range witnesses {
		if CountSigners(n, []note.Verifier{w}) == 1 {
			names = append(names, w.Name())
		}
	}
	if len(names) < quorum {
		return cp, names, pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "checkpoint", "cosigned by %d of the %d witnesses given, %d required", len(names), len(witnesses), quorum)
	}
	return cp, names, nil
}
