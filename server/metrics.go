package server

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// latencyBuckets are the upper bounds (seconds) of the request latency
// histogram.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// metrics holds the counters /metrics prints in the Prometheus text format
// (version 0.0.4). Written by hand: a few counters do not justify a
// client library.
type metrics struct {
	mu        sync.Mutex
	requests  map[[2]string]uint64 // route, status
	latency   map[string]*histogram
	accepted  uint64
	existed   uint64
	rejected  map[string]uint64 // reason: error code and field
	evidence  uint64
	verifyOps uint64
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]uint64{}, latency: map[string]*histogram{}, rejected: map[string]uint64{}}
}

func (m *metrics) request(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, strconv.Itoa(status)}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets)+1)}
		m.latency[route] = h
	}
	sec := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

func (m *metrics) observations(accepted, existed int) {
	m.mu.Lock()
	m.accepted += uint64(accepted)
	m.existed += uint64(existed)
	m.mu.Unlock()
}

func (m *metrics) reject(reason string, n int) {
	m.mu.Lock()
	m.rejected[reason] += uint64(n)
	m.mu.Unlock()
}

func (m *metrics) evidenceStored() {
	m.mu.Lock()
	m.evidence++
	m.mu.Unlock()
}

// write prints every metric; ledgerSize < 0 leaves the gauge out.
func (m *metrics) write(w io.Writer, ledgerSize int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprint(w, "# HELP pactwatch_http_requests_total HTTP requests by route and status.\n# TYPE pactwatch_http_requests_total counter\n")
	keys := sortedKeys(m.requests, func(k [2]string) string { return k[0] + "\x00" + k[1] })
	for _, k := range keys {
		fmt.Fprintf(w, "pactwatch_http_requests_total{route=%s,status=%q} %d\n", quote(k[0]), k[1], m.requests[k])
	}
	fmt.Fprint(w, "# HELP pactwatch_http_request_duration_seconds HTTP request latency by route.\n# TYPE pactwatch_http_request_duration_seconds histogram\n")
	for _, route := range sortedKeys(m.latency, func(k string) string { return k }) {
		h := m.latency[route]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "pactwatch_http_request_duration_seconds_bucket{route=%s,le=\"%g\"} %d\n", quote(route), le, cum)
		}
		fmt.Fprintf(w, "pactwatch_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quote(route), h.n)
		fmt.Fprintf(w, "pactwatch_http_request_duration_seconds_sum{route=%s} %g\n", quote(route), h.sum)
		fmt.Fprintf(w, "pactwatch_http_request_duration_seconds_count{route=%s} %d\n", quote(route), h.n)
	}
	fmt.Fprint(w, "# HELP pactwatch_observations_accepted_total Observations stored (new).\n# TYPE pactwatch_observations_accepted_total counter\n")
	fmt.Fprintf(w, "pactwatch_observations_accepted_total %d\n", m.accepted)
	fmt.Fprint(w, "# HELP pactwatch_observations_resubmitted_total Resubmissions of stored observations (idempotent).\n# TYPE pactwatch_observations_resubmitted_total counter\n")
	fmt.Fprintf(w, "pactwatch_observations_resubmitted_total %d\n", m.existed)
	fmt.Fprint(w, "# HELP pactwatch_observations_rejected_total Observations rejected, by reason.\n# TYPE pactwatch_observations_rejected_total counter\n")
	for _, reason := range sortedKeys(m.rejected, func(k string) string { return k }) {
		fmt.Fprintf(w, "pactwatch_observations_rejected_total{reason=%s} %d\n", quote(reason), m.rejected[reason])
	}
	fmt.Fprint(w, "# HELP pactwatch_evidence_stored_total Evidence uploads stored.\n# TYPE pactwatch_evidence_stored_total counter\n")
	fmt.Fprintf(w, "pactwatch_evidence_stored_total %d\n", m.evidence)
	if ledgerSize >= 0 {
		fmt.Fprint(w, "# HELP pactwatch_ledger_entries Entries in the ledger.\n# TYPE pactwatch_ledger_entries gauge\n")
		fmt.Fprintf(w, "pactwatch_ledger_entries %d\n", ledgerSize)
	}
}

// quote writes a Prometheus label value.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func sortedKeys[K comparable, V any](m map[K]V, str func(K) string) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b K) int { return strings.Compare(str(a), str(b)) })
	return out
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	size, err := s.store.TreeSize(r.Context())
	if err != nil {
		size = -1
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, size)
}
