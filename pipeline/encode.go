package pipeline

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/pactwatch/pactwatch/incident"
)

// incidentEncoder writes an incident version's body, its RFC 8785 form
// (pactwatch.CanonicalJSON), without canonicalising again what it already
// did for the incident's previous version. An incident's reports and
// history only grow between versions, and a generic canonicaliser parses
// and re-sorts all of them each time: for an incident of thousands of
// reports that cost tens of milliseconds per version. The encoder keeps,
// per large incident, the canonical bytes of each report and change it
// wrote, and reuses them for the elements that are still equal (field by
// field, so a changed or moved element is encoded anew).
// RFC 8785 serialises an array element by element, so the spliced body is
// byte for byte what CanonicalJSON gives; the tests compare them.
//
// It is not safe for concurrent use: the pipeline's mutex guards it.
type incidentEncoder struct {
	cache  map[string]*encodedIncident // incident id → its last encoding
	cached int                         // bytes held in cache
}

// encodedIncident is what the encoder remembers of an incident: shallow
// copies of its reports and changes and their canonical bytes.
type encodedIncident struct {
	reports     []incident.Report
	reportBytes [][]byte
	history     []incident.Change
	changeBytes [][]byte
	size        int
}

const (
	// minCachedReports: smaller incidents are cheap to canonicalise whole.
	minCachedReports = 16
	// maxCachedBytes bounds the encoder's memory: past it, it forgets
	// everything and starts again with the incidents that grow next.
	maxCachedBytes = 64 << 20
)

// encode returns inc's canonical JSON.
func (e *incidentEncoder) encode(inc *incident.Incident) ([]byte, error) {
	if len(inc.Reports) < minCachedReports || len(inc.History) == 0 {
		return canonical(inc)
	}
	head := *inc
	head.Reports, head.History = nil, nil
	hb, err := canonical(&head)
	if err != nil {
		return nil, err
	}
	old := e.cache[inc.ID]
	if old == nil {
		old = &encodedIncident{}
	}
	next := &encodedIncident{}
	next.reports, next.reportBytes, err = reuse(old.reports, old.reportBytes, inc.Reports, sameReport)
	if err != nil {
		return nil, err
	}
	next.history, next.changeBytes, err = reuse(old.history, old.changeBytes, inc.History, sameChange)
	if err != nil {
		return nil, err
	}
	body, ok := splice(hb, map[string][][]byte{"history": next.changeBytes, "reports": next.reportBytes})
	if !ok {
		// Not the shape expected (a future field of the same name?):
		// the slow way is always right.
		return canonical(inc)
	}
	next.size = len(body)
	if e.cache == nil || e.cached+next.size > maxCachedBytes {
		e.cache, e.cached = map[string]*encodedIncident{}, 0
		old = &encodedIncident{}
	}
	e.cached += next.size - old.size
	e.cache[inc.ID] = next
	return body, nil
}

// reuse returns shallow copies of cur's elements and their canonical
// bytes, taken from old/oldBytes where the element at the same position is
// unchanged.
func reuse[T any](old []T, oldBytes [][]byte, cur []T, same func(a, b *T) bool) ([]T, [][]byte, error) {
	out := make([][]byte, len(cur))
	for i := range cur {
		if i < len(old) && same(&old[i], &cur[i]) {
			out[i] = oldBytes[i]
			continue
		}
		b, err := canonical(&cur[i])
		if err != nil {
			return nil, nil, err
		}
		out[i] = b
	}
	return slices.Clone(cur), out, nil
}

// sameReport reports whether two reports encode alike. It compares every
// field (TestSameCoversEveryField fails when incident.Report gains one, so
// that this is updated with it); times must be identical, not just
// Equal, as their JSON keeps the location.
func sameReport(a, b *incident.Report) bool {
	return a.ID == b.ID && a.Seq == b.Seq && a.Reporter == b.Reporter && a.SourceType == b.SourceType &&
		a.Grade == b.Grade && a.Category == b.Category && a.Count == b.Count && a.WeaponClass == b.WeaponClass &&
		a.CalibreMM == b.CalibreMM && a.At == b.At && a.Until == b.Until &&
		samePtr(a.Observer, b.Observer) && samePtr(a.Target, b.Target) && samePtr(a.Origin, b.Origin) &&
		samePtr(a.Fire, b.Fire) && samePtr(a.Attribution, b.Attribution) && slices.Equal(a.Evidence, b.Evidence)
}

// sameChange is sameReport for history entries.
func sameChange(a, b *incident.Change) bool {
	return a.Version == b.Version && a.At == b.At && a.By == b.By && a.Action == b.Action && a.Reason == b.Reason &&
		a.Status == b.Status && slices.Equal(a.Observations, b.Observations) && slices.Equal(a.Related, b.Related)
}

func samePtr[T comparable](a, b *T) bool {
	return a == b || a != nil && b != nil && *a == *b
}

// splice replaces, in the canonical object obj, the value null of each
// top-level member named in arrays by the array of the given canonical
// elements. It reports false when a member is missing or not null.
func splice(obj []byte, arrays map[string][][]byte) ([]byte, bool) {
	type span struct {
		start, end int
		elems      [][]byte
	}
	var spans []span
	n := len(obj)
	for key, elems := range arrays {
		start, end, ok := member(obj, key)
		if !ok || string(obj[start:end]) != "null" {
			return nil, false
		}
		spans = append(spans, span{start, end, elems})
		for _, e := range elems {
			n += len(e) + 1
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	out := make([]byte, 0, n)
	at := 0
	for _, s := range spans {
		out = append(out, obj[at:s.start]...)
		out = append(out, '[')
		for i, e := range s.elems {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, e...)
		}
		out = append(out, ']')
		at = s.end
	}
	return append(out, obj[at:]...), true
}

// member finds the value of the top-level member key in a JSON object
// without insignificant whitespace (canonical JSON) and returns its byte
// span; false if obj is not such an object or has no such member.
func member(obj []byte, key string) (start, end int, ok bool) {
	want, err := json.Marshal(key)
	if err != nil || len(obj) < 2 || obj[0] != '{' {
		return 0, 0, false
	}
	i := 1
	for i < len(obj) && obj[i] != '}' {
		k, ok := skipString(obj, i)
		next := k
		if !ok || next >= len(obj) || obj[next] != ':' {
			return 0, 0, false
		}
		vs := next + 1
		ve, ok := skipValue(obj, vs)
		if !ok || ve >= len(obj) {
			return 0, 0, false
		}
		if bytes.Equal(obj[i:k], want) {
			return vs, ve, true
		}
		if obj[ve] != ',' {
			return 0, 0, false // '}': the last member was not key
		}
		i = ve + 1
	}
	return 0, 0, false
}

// skipString returns the position just after the string literal at i.
func skipString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// skipValue returns the position just after the JSON value at i.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, ok := skipString(b, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	// A number, true, false or null: up to the next delimiter.
	for j := i; j < len(b); j++ {
		if c := b[j]; c == ',' || c == '}' || c == ']' {
			return j, j > i
		}
	}
	return 0, false
}
