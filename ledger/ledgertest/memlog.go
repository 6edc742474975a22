// Package ledgertest provides an in-memory ledger for tests and benchmarks:
// a ledger.Source, ledger.CheckpointStore and leaf index that hold stored
// hashes exactly as a database would, plus ways to tamper with them.
package ledgertest

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/store"
)

// MemLog is an in-memory log. It is safe for concurrent use.
type MemLog struct {
	mu          sync.RWMutex
	entries     [][]byte
	hashes      []tlog.Hash // tlog stored hashes, in storage order
	leaves      map[string]memLeaf
	checkpoints map[int64][]byte
	latest      int64
	leader      *lease // the leadership's holder, nil when free
	// ReadHashesCalls counts ReadHashes calls, for tests of access patterns.
	ReadHashesCalls int
}

// lease is one leadership held.
type lease struct{ cancel context.CancelFunc }

type memLeaf struct {
	index int64
	leaf  store.Leaf
}

// New returns an empty log.
func New() *MemLog {
	return &MemLog{leaves: map[string]memLeaf{}, checkpoints: map[int64][]byte{}, latest: -1}
}

// Append adds raw entries and their stored hashes; it returns the index of
// the first.
func (m *MemLog) Append(entries ...[]byte) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	first := int64(len(m.entries))
	for _, e := range entries {
		m.appendLocked(e)
	}
	return first
}

func (m *MemLog) appendLocked(e []byte) {
	n := int64(len(m.entries))
	hs, err := tlog.StoredHashes(n, e, m.readerLocked())
	if err != nil {
		panic(fmt.Sprintf("ledgertest: stored hashes of entry %d: %v", n, err))
	}
	m.entries = append(m.entries, append([]byte(nil), e...))
	m.hashes = append(m.hashes, hs...)
}

// AppendLeaf appends a record's leaf (its marshalled entry), indexing it by
// record id for LeafByRecord.
func (m *MemLog) AppendLeaf(l store.Leaf) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := int64(len(m.entries))
	m.appendLocked(l.Entry.Marshal())
	m.leaves[l.Entry.RecordID] = memLeaf{n, l}
	return n
}

// AppendHashes grows the log by count leaves whose entries are not kept
// (Entries returns nil for them): a cheap synthetic tree for proof
// benchmarks. leaf gives the i-th leaf hash.
func (m *MemLog) AppendHashes(count int64, leaf func(i int64) tlog.Hash) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hashes = growHashes(m.hashes, tlog.StoredHashCount(int64(len(m.entries))+count))
	for i := int64(0); i < count; i++ {
		n := int64(len(m.entries))
		hs, err := tlog.StoredHashesForRecordHash(n, leaf(n), m.readerLocked())
		if err != nil {
			panic(err)
		}
		m.entries = append(m.entries, nil)
		m.hashes = append(m.hashes, hs...)
	}
}

func growHashes(h []tlog.Hash, n int64) []tlog.Hash {
	if int64(cap(h)) >= n {
		return h
	}
	g := make([]tlog.Hash, len(h), n)
	copy(g, h)
	return g
}

func (m *MemLog) readerLocked() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(m.hashes)) {
				return nil, fmt.Errorf("ledgertest: no stored hash %d", x)
			}
			out[i] = m.hashes[x]
		}
		return out, nil
	})
}

// TreeSize implements ledger.Source.
func (m *MemLog) TreeSize(ctx context.Context) (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.entries)), nil
}

// ReadHashes implements ledger.Source.
func (m *MemLog) ReadHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	m.mu.Lock()
	m.ReadHashesCalls++
	m.mu.Unlock()
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([][32]byte, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, pactwatch.Errorf(pactwatch.ENOTFOUND, "no stored hash %d", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// Entries implements ledger.Source.
func (m *MemLog) Entries(ctx context.Context, from, to int64) ([][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	// Like a SQL range query, a range past the end returns what exists.
	to = min(to, int64(len(m.entries)))
	if from < 0 || to < from {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "entries [%d, %d) outside the tree of %d", from, to, len(m.entries))
	}
	out := make([][]byte, 0, to-from)
	for _, e := range m.entries[from:to] {
		out = append(out, append([]byte(nil), e...))
	}
	return out, nil
}

// LeafByRecord implements the store's lookup of a record's leaf.
func (m *MemLog) LeafByRecord(ctx context.Context, recordID string) (int64, store.Leaf, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	l, ok := m.leaves[recordID]
	if !ok {
		return 0, store.Leaf{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "record_id", "no ledger entry for record %q", recordID)
	}
	return l.index, l.leaf, nil
}

// PutCheckpoint implements ledger.CheckpointStore.
func (m *MemLog) PutCheckpoint(ctx context.Context, size int64, note []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if size > int64(len(m.entries)) {
		return pactwatch.Errorf(pactwatch.EINVALID, "checkpoint size %d beyond the tree size %d", size, len(m.entries))
	}
	m.checkpoints[size] = append([]byte(nil), note...)
	m.latest = max(m.latest, size)
	return nil
}

// LatestCheckpoint implements ledger.CheckpointStore.
func (m *MemLog) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.latest < 0 {
		return 0, nil, pactwatch.Errorf(pactwatch.ENOTFOUND, "no checkpoint yet")
	}
	return m.latest, append([]byte(nil), m.checkpoints[m.latest]...), nil
}

// TryLeader implements ledger.Leader: one holder at a time (whatever the
// name), until release.
func (m *MemLog) TryLeader(ctx context.Context, name string) (func(), bool, error) {
	_, release, ok, err := m.TryLead(context.WithoutCancel(ctx), name)
	return release, ok, err
}

// TryLead implements ledger.Leader: one holder at a time (whatever the
// name); the leadership ends, and lead is cancelled, on release, when ctx
// ends, or on LoseLeader.
func (m *MemLog) TryLead(ctx context.Context, name string) (context.Context, func(), bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leader != nil {
		return nil, nil, false, nil
	}
	lead, cancel := context.WithCancel(ctx)
	l := &lease{cancel: cancel}
	m.leader = l
	free := func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.leader == l {
			m.leader = nil
		}
	}
	context.AfterFunc(lead, free)
	return lead, func() { cancel(); free() }, true, nil
}

// LoseLeader ends the current leadership as a lost database session does:
// the lock is free for another at once, and only then is the holder's
// context cancelled. It reports whether there was a holder.
func (m *MemLog) LoseLeader() bool {
	m.mu.Lock()
	l := m.leader
	m.leader = nil
	m.mu.Unlock()
	if l == nil {
		return false
	}
	l.cancel()
	return true
}

// SetEntry replaces entry i without touching the stored hashes, as an
// attacker editing one row would.
func (m *MemLog) SetEntry(i int64, e []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[i] = append([]byte(nil), e...)
}

// SetHash replaces one stored hash.
func (m *MemLog) SetHash(storageIndex int64, h tlog.Hash) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hashes[storageIndex] = h
}

// Rewrite replaces entry i and recomputes every stored hash after it, as an
// attacker with full database access would: the stored tree is then
// self-consistent and only signed checkpoints reveal the change.
func (m *MemLog) Rewrite(i int64, e []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	entries := m.entries
	entries[i] = append([]byte(nil), e...)
	m.entries, m.hashes = nil, nil
	for _, e := range entries {
		m.appendLocked(e)
	}
}

// DeleteRow removes entry i and nothing else, as deleting one row of an
// entries table would: the entries after it shift down.
func (m *MemLog) DeleteRow(i int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries[:i:i], m.entries[i+1:]...)
}

// Delete removes entry i and recomputes the stored hashes, as deleting a
// row and re-deriving the tree would.
func (m *MemLog) Delete(i int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	entries := append(m.entries[:i:i], m.entries[i+1:]...)
	m.entries, m.hashes = nil, nil
	for _, e := range entries {
		m.appendLocked(e)
	}
}

var (
	_ ledger.Source          = (*MemLog)(nil)
	_ ledger.CheckpointStore = (*MemLog)(nil)
	_ ledger.Leader          = (*MemLog)(nil)
)
