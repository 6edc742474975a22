package observation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/pactwatch/pactwatch"
)

// MaxErrors caps how many item errors DecodeBatch reports, so that a huge
// bad batch cannot produce a huge error.
const MaxErrors = 100

// Decode parses one signed observation strictly: unknown fields, duplicate
// keys, trailing data, wrong types, missing required fields, nulls, explicit
// zero values of optional fields and times not in the wire format are all
// rejected with an EINVALID *pactwatch.Error whose Field is a JSON path such
// as "target.lat".
//
// The point of the strictness is that what a client sends is exactly what it
// signed: a body Decode accepts re-encodes to the same RFC 8785 bytes, so a
// signature can only fail because the signature is wrong, never because
// client and server disagree about a default (docs/observation.md).
func Decode(data []byte) (Observation, error) {
	return decodeOne(data, "", false)
}

// DecodeBatch parses either one observation object or a batch object
// {"observations":[…]} (a bare array is not accepted). Every item is decoded;
// errors name the item, e.g. "observations[3].category", and are joined (at
// most MaxErrors of them). Use FieldErrors to list them. A single object's
// errors have paths without prefix, as Decode's.
func DecodeBatch(data []byte) ([]Observation, error) {
	return decodeMany(data, false)
}

// DecodeUnsigned is DecodeBatch for drafts that are about to be signed (the
// files `pactwatch submit` reads): "reporter" and "signature" may be
// missing, because Sign sets them, and so may "signed_at", which the signer
// sets to its clock before signing (Sign does not: it has no clock).
// Everything else is as strict as Decode.
func DecodeUnsigned(data []byte) ([]Observation, error) {
	return decodeMany(data, true)
}

func decodeMany(data []byte, draft bool) ([]Observation, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "empty: want an observation object or {\"observations\":[…]}")
	}
	// A batch is an object whose first member is "observations". Anything
	// else is decoded as one observation, which reports what is wrong with
	// it (an "observations" member elsewhere is an unknown field there).
	// Streaming the batch parses each item once.
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' || dec.PeekKind() != '"' {
		return decodeSingle(data, draft)
	}
	if name, err := dec.ReadToken(); err != nil || name.String() != "observations" {
		return decodeSingle(data, draft)
	}
	if k := dec.PeekKind(); k != '[' {
		if k == 0 {
			_, err := dec.ReadValue()
			return nil, JSONError(err, "")
		}
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "observations", "want an array, got %s", gotKind(k))
	}
	dec.ReadToken()
	var obs []Observation
	var errs []error
	for i := 0; dec.PeekKind() != ']'; i++ {
		v, err := dec.ReadValue()
		if err != nil {
			return nil, JSONError(err, "")
		}
		// Clone: v is only valid until the next read, and errors may keep it.
		o, err := decodeOne(bytes.Clone(v), "observations["+strconv.Itoa(i)+"]", draft)
		if err != nil && len(errs) < MaxErrors {
			errs = append(errs, err)
		}
		obs = append(obs, o)
	}
	dec.ReadToken() // ']'
	switch tok, err := dec.ReadToken(); {
	case err != nil:
		return nil, JSONError(err, "")
	case tok.Kind() == '"':
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, tok.String(), "unknown field: a batch is {\"observations\":[…]} and nothing else")
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "malformed JSON: data after the batch object")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(obs) == 0 {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "observations", "empty batch")
	}
	return obs, nil
}

func decodeSingle(data []byte, draft bool) ([]Observation, error) {
	o, err := decodeOne(data, "", draft)
	if err != nil {
		return nil, err
	}
	return []Observation{o}, nil
}

// FieldErrors flattens an error returned by this package (possibly a join of
// several) into its *pactwatch.Error parts, in order. Errors of other types
// are wrapped as internal errors.
func FieldErrors(err error) []*pactwatch.Error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*pactwatch.Error
		for _, e := range j.Unwrap() {
			out = append(out, FieldErrors(e)...)
		}
		return out
	}
	var pe *pactwatch.Error
	if errors.As(err, &pe) {
		return []*pactwatch.Error{pe}
	}
	return []*pactwatch.Error{pactwatch.Internal(err)}
}

func decodeOne(data []byte, prefix string, draft bool) (Observation, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Observation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, prefix, "empty: want an observation object")
	}
	var o Observation
	if err := jsonv2.Unmarshal(data, &o, jsonv2.RejectUnknownMembers(true)); err != nil {
		return Observation{}, JSONError(err, prefix)
	}
	if err := checkCanonical(data, o, prefix, draft); err != nil {
		return Observation{}, err
	}
	return o, nil
}

// checkCanonical compares the RFC 8785 form of the input with that of the
// decoded observation re-encoded; any difference is a field the client wrote
// in a way that would not survive re-encoding (missing, null, explicit zero,
// or a time not in the wire format), reported at its path.
func checkCanonical(data []byte, o Observation, prefix string, draft bool) error {
	out, err := canonicalObservation(o)
	if err != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, prefix, "%s", pactwatch.ErrorMessage(err))
	}
	// Fast path: a body sent in canonical form (as Marshal writes it) needs
	// no canonicalising.
	if bytes.Equal(bytes.TrimSpace(data), out) {
		return nil
	}
	in, err := jcsTransform(bytes.Clone(data))
	if err != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, prefix, "malformed JSON")
	}
	if bytes.Equal(in, out) {
		return nil
	}
	var a, b map[string]any
	if err := json.Unmarshal(in, &a); err != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, prefix, "want a JSON object")
	}
	if err := json.Unmarshal(out, &b); err != nil {
		return pactwatch.Internal(err)
	}
	if draft {
		for _, k := range []string{"reporter", "signature", "signed_at"} {
			if _, ok := a[k]; !ok {
				delete(b, k)
			}
		}
	}
	return diff(prefix, a, b)
}

// timeFields are the members written in the wire time format.
var timeFields = map[string]bool{"observed_at": true, "signed_at": true, "received_at": true}

// diff reports the first difference between the client's object a and the
// canonical re-encoding b, walking keys in sorted order so the result is
// deterministic.
func diff(path string, a, b map[string]any) error {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := joinPath(path, k)
		av, inA := a[k]
		bv, inB := b[k]
		switch {
		case !inB && av == nil:
			return pactwatch.FieldErrorf(pactwatch.EINVALID, p, "null is not allowed: leave optional fields out")
		case !inB:
			return pactwatch.FieldErrorf(pactwatch.EINVALID, p, "an empty or zero optional field must be left out (it is not part of the signed form)")
		case !inA:
			return pactwatch.FieldErrorf(pactwatch.EINVALID, p, "required field is missing")
		case av == nil:
			return pactwatch.FieldErrorf(pactwatch.EINVALID, p, "null is not allowed")
		}
		if reflect.DeepEqual(av, bv) {
			continue
		}
		if am, ok := av.(map[string]any); ok {
			if bm, ok := bv.(map[string]any); ok {
				return diff(p, am, bm)
			}
		}
		if as, ok := av.([]any); ok {
			if bs, ok := bv.([]any); ok && len(as) == len(bs) {
				for i := range as {
					if !reflect.DeepEqual(as[i], bs[i]) {
						return pactwatch.FieldErrorf(pactwatch.EINVALID, p+"["+strconv.Itoa(i)+"]", "not in canonical form")
					}
				}
			}
		}
		if timeFields[k] {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, p, "time must be RFC 3339 in UTC, e.g. 2026-11-20T06:15:00Z (a fraction only if non-zero, without trailing zeros)")
		}
		return pactwatch.FieldErrorf(pactwatch.EINVALID, p, "not in canonical form")
	}
	return nil
}

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// pointerPath turns a JSON pointer ("/observations/3/target/lat") into the
// path style of pactwatch errors ("observations[3].target.lat"). No member
// name of an observation is all digits, so digit tokens are array indices.
func pointerPath(prefix string, p jsontext.Pointer) string {
	var b strings.Builder
	b.WriteString(prefix)
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && tok != "" {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// JSONError maps an error of github.com/go-json-experiment/json (strict
// decoding of any pactwatch JSON) to an EINVALID *pactwatch.Error whose
// Field is the path of the offending value under prefix.
func JSONError(err error, prefix string) error {
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		field := pointerPath(prefix, syn.JSONPointer)
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "duplicate field")
		}
		return &pactwatch.Error{Code: pactwatch.EINVALID, Field: field,
			Message: fmt.Sprintf("malformed JSON at byte %d: %v", syn.ByteOffset, syn.Err), Err: err}
	}
	var sem *jsonv2.SemanticError
	if errors.As(err, &sem) {
		field := pointerPath(prefix, sem.JSONPointer)
		if errors.Is(sem.Err, jsonv2.ErrUnknownName) {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "unknown field")
		}
		if sem.GoType == reflect.TypeFor[time.Time]() {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "want a time in RFC 3339 UTC, e.g. 2026-11-20T06:15:00Z")
		}
		if sem.JSONKind == '0' && sem.GoType != nil && sem.GoType.Kind() == reflect.Int {
			return &pactwatch.Error{Code: pactwatch.EINVALID, Field: field, Message: "want a whole number in range", Err: err}
		}
		return &pactwatch.Error{Code: pactwatch.EINVALID, Field: field,
			Message: fmt.Sprintf("want %s, got %s", wantKind(sem.GoType), gotKind(sem.JSONKind)), Err: err}
	}
	return &pactwatch.Error{Code: pactwatch.EINVALID, Field: prefix, Message: "malformed JSON", Err: err}
}

func wantKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Bool:
		return "true or false"
	}
	return t.String()
}

func gotKind(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "something else"
}
