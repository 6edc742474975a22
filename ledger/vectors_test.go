package ledger_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
)

// vectors are the RFC 6962 reference vectors of testdata/rfc6962-vectors.json
// (see its "source" member): published values, not ones this code produced.
type vectors struct {
	EmptyRoot  string   `json:"empty_root"`
	Leaves     []string `json:"leaves"`
	LeafHashes []string `json:"leaf_hashes"`
	Roots      []string `json:"roots"`
	Inclusion  []struct {
		Index, Size int64
		Proof       []string
	} `json:"inclusion"`
	Consistency []struct {
		Old, New int64
		Proof    []string
	} `json:"consistency"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	data, err := os.ReadFile("testdata/rfc6962-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hashes(t *testing.T, ss []string) []ledger.Hash {
	out := []ledger.Hash{}
	for _, s := range ss {
		out = append(out, ledger.Hash(unhex(t, s)))
	}
	return out
}

// vectorLog holds the eight reference leaves.
func vectorLog(t *testing.T, v vectors) *ledgertest.MemLog {
	m := ledgertest.New()
	for _, l := range v.Leaves {
		m.Append(unhex(t, l))
	}
	return m
}

func TestRFC6962LeafHashesAndRoots(t *testing.T) {
	v := loadVectors(t)
	ctx := context.Background()
	m := vectorLog(t, v)
	for i, l := range v.Leaves {
		if got := ledger.LeafHash(unhex(t, l)); hex.EncodeToString(got[:]) != v.LeafHashes[i] {
			t.Errorf("leaf %d hash = %x, want %s", i, got, v.LeafHashes[i])
		}
	}
	if v.Roots[0] != v.EmptyRoot {
		t.Fatalf("vector file: roots[0] is not the empty root")
	}
	for size, want := range v.Roots {
		got, err := ledger.TreeHash(ctx, m, int64(size))
		if err != nil {
			t.Fatalf("TreeHash(%d): %v", size, err)
		}
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("root of %d leaves = %x, want %s", size, got, want)
		}
	}
}

func TestRFC6962InclusionProofs(t *testing.T) {
	v := loadVectors(t)
	ctx := context.Background()
	m := vectorLog(t, v)
	for _, tc := range v.Inclusion {
		got, err := ledger.InclusionProof(ctx, m, tc.Index, tc.Size)
		if err != nil {
			t.Fatalf("InclusionProof(%d, %d): %v", tc.Index, tc.Size, err)
		}
		want := hashes(t, tc.Proof)
		if len(got) != len(want) {
			t.Fatalf("InclusionProof(%d, %d) has %d hashes, want %d", tc.Index, tc.Size, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("InclusionProof(%d, %d)[%d] = %x, want %x", tc.Index, tc.Size, i, got[i], want[i])
			}
		}
		root := ledger.Hash(unhex(t, v.Roots[tc.Size]))
		if err := ledger.CheckInclusion(got, tc.Size, root, tc.Index, unhex(t, v.Leaves[tc.Index])); err != nil {
			t.Errorf("CheckInclusion(%d, %d): %v", tc.Index, tc.Size, err)
		}
	}
}

func TestRFC6962ConsistencyProofs(t *testing.T) {
	v := loadVectors(t)
	ctx := context.Background()
	m := vectorLog(t, v)
	for _, tc := range v.Consistency {
		got, err := ledger.ConsistencyProof(ctx, m, tc.Old, tc.New)
		if err != nil {
			t.Fatalf("ConsistencyProof(%d, %d): %v", tc.Old, tc.New, err)
		}
		want := hashes(t, tc.Proof)
		if len(got) != len(want) {
			t.Fatalf("ConsistencyProof(%d, %d) has %d hashes, want %d", tc.Old, tc.New, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("ConsistencyProof(%d, %d)[%d] = %x, want %x", tc.Old, tc.New, i, got[i], want[i])
			}
		}
		oldRoot, newRoot := ledger.Hash(unhex(t, v.Roots[tc.Old])), ledger.Hash(unhex(t, v.Roots[tc.New]))
		if err := ledger.CheckConsistency(got, tc.Old, oldRoot, tc.New, newRoot); err != nil {
			t.Errorf("CheckConsistency(%d, %d): %v", tc.Old, tc.New, err)
		}
	}
}

// TestMerkleVerifierAcceptsOurProofs has transparency-dev/merkle, an
// implementation that shares no code with tlog, check every inclusion and
// consistency proof of a 300-leaf tree (two level-0 tiles), and refuse a
// corrupted one.
func TestMerkleVerifierAcceptsOurProofs(t *testing.T) {
	ctx := context.Background()
	m := ledgertest.New()
	const n = 300
	var entries [][]byte
	for i := range n {
		e := []byte{byte(i), byte(i >> 8), 'x'}
		entries = append(entries, e)
		m.Append(e)
	}
	h := rfc6962.DefaultHasher
	roots := make([][]byte, n+1)
	for size := int64(0); size <= n; size++ {
		r, err := ledger.TreeHash(ctx, m, size)
		if err != nil {
			t.Fatal(err)
		}
		roots[size] = r[:]
	}
	if string(roots[0]) != string(h.EmptyRoot()) {
		t.Fatalf("empty root differs from merkle's")
	}
	for _, size := range []int64{1, 2, 7, 8, 255, 256, 257, 299, 300} {
		for _, idx := range []int64{0, 1, size / 2, size - 1} {
			if idx >= size {
				continue
			}
			p, err := ledger.InclusionProof(ctx, m, idx, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(h, uint64(idx), uint64(size), h.HashLeaf(entries[idx]), toBytes(p), roots[size]); err != nil {
				t.Errorf("merkle rejects our inclusion proof (%d, %d): %v", idx, size, err)
			}
			if len(p) > 0 {
				p[0][0] ^= 1
				if err := proof.VerifyInclusion(h, uint64(idx), uint64(size), h.HashLeaf(entries[idx]), toBytes(p), roots[size]); err == nil {
					t.Errorf("merkle accepts a corrupted inclusion proof (%d, %d)", idx, size)
				}
			}
		}
		for _, old := range []int64{1, size / 3, size - 1, size} {
			if old < 1 {
				continue
			}
			p, err := ledger.ConsistencyProof(ctx, m, old, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(h, uint64(old), uint64(size), toBytes(p), roots[old], roots[size]); err != nil {
				t.Errorf("merkle rejects our consistency proof (%d, %d): %v", old, size, err)
			}
		}
	}
}

func toBytes(p []ledger.Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

func TestProofArgumentErrors(t *testing.T) {
	ctx := context.Background()
	m := ledgertest.New()
	m.Append([]byte("a"), []byte("b"))
	for _, tc := range []struct {
		name      string
		call      func() error
		wantField string
	}{
		{"index negative", func() error { _, err := ledger.InclusionProof(ctx, m, -1, 2); return err }, "index"},
		{"index at size", func() error { _, err := ledger.InclusionProof(ctx, m, 2, 2); return err }, "index"},
		{"size beyond tree", func() error { _, err := ledger.InclusionProof(ctx, m, 0, 3); return err }, "size"},
		{"old over new", func() error { _, err := ledger.ConsistencyProof(ctx, m, 2, 1); return err }, "old"},
		{"new beyond tree", func() error { _, err := ledger.ConsistencyProof(ctx, m, 1, 5); return err }, "new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if f := fieldOf(err); f != tc.wantField {
				t.Errorf("field = %q, want %q (%v)", f, tc.wantField, err)
			}
		})
	}
}
