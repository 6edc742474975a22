package ledger

import (
	"context"
	"errors"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
)

// Hash is a Merkle tree hash (SHA-256). It is tlog.Hash, so tlog's proofs
// and checks apply to it directly.
type Hash = tlog.Hash

// Source is how the ledger reads a log from storage. store.Store implements
// it; ledger/ledgertest has an in-memory one and ledger/tileclient one that
// reads a remote log's C2SP tiles. Hash indexes are tlog stored-hash indexes
// (tlog.StoredHashIndex), entries are the bytes of Entry.Marshal.
type Source interface {
	// TreeSize is the number of entries stored.
	TreeSize(ctx context.Context) (int64, error)
	// ReadHashes returns the stored hashes at the given tlog stored-hash
	// indexes, in the order asked.
	ReadHashes(ctx context.Context, indexes []int64) ([][32]byte, error)
	// Entries returns the entries with leaf indexes in [from, to).
	Entries(ctx context.Context, from, to int64) ([][]byte, error)
}

// CheckpointStore persists signed checkpoints. PutCheckpoint stores the
// signed note of a checkpoint of the given size, replacing an earlier note
// of the same size (one with fewer cosignatures); LatestCheckpoint returns
// the one with the largest size, or an ENOTFOUND *pactwatch.Error before the
// first.
type CheckpointStore interface {
	PutCheckpoint(ctx context.Context, size int64, note []byte) error
	LatestCheckpoint(ctx context.Context) (size int64, note []byte, err error)
}

// Leader elects the one process that signs checkpoints when several servers
// share a database. store.Store implements it with an advisory lock.
type Leader interface {
	TryLeader(ctx context.Context, name string) (release func(), ok bool, err error)
	// TryLead is TryLeader for a holder that must stop when it loses the
	// lock: lead is cancelled when the leadership ends (release, ctx
	// done, or the lock lost, after which another process may hold it).
	// The Checkpointer signs and publishes only under lead.
	TryLead(ctx context.Context, name string) (lead context.Context, release func(), ok bool, err error)
}

// LatestCheckpoint is cps.LatestCheckpoint with "none yet" as a nil note
// rather than an error.
func LatestCheckpoint(ctx context.Context, cps CheckpointStore) (size int64, note []byte, err error) {
	size, note, err = cps.LatestCheckpoint(ctx)
	if err != nil {
		if pactwatch.ErrorCode(err) == pactwatch.ENOTFOUND {
			return 0, nil, nil
		}
		return 0, nil, err
	}
	return size, note, nil
}

// HashReader adapts src to tlog's HashReader, binding ctx, so tlog's tree
// hash and proof functions can read stored hashes.
func HashReader(ctx context.Context, src Source) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hs, err := src.ReadHashes(ctx, indexes)
		if err != nil {
			return nil, err
		}
		if len(hs) != len(indexes) {
			return nil, pactwatch.Internal(errors.New("ledger: source returned a wrong number of hashes"))
		}
		out := make([]tlog.Hash, len(hs))
		for i, h := range hs {
			out[i] = h
		}
		return out, nil
	})
}

// LeafHash is the RFC 6962 leaf hash of an entry: SHA-256(0x00 ‖ entry).
func LeafHash(entry []byte) Hash { return tlog.RecordHash(entry) }

// TreeHash is the root hash of the first size entries of src.
func TreeHash(ctx context.Context, src Source, size int64) (Hash, error) {
	if err := checkSize(ctx, src, "size", size); err != nil {
		return Hash{}, err
	}
	h, err := tlog.TreeHash(size, HashReader(ctx, src))
	if err != nil {
		return Hash{}, wrap(err)
	}
	return h, nil
}

// InclusionProof proves that the entry at index is in the tree of the
// given size (RFC 6962 §2.1.1 audit path, as tlog.ProveRecord computes it).
func InclusionProof(ctx context.Context, src Source, index, size int64) ([]Hash, error) {
	if index < 0 {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "index", "must not be negative")
	}
	if index >= size {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "index", "must be below the tree size %d", size)
	}
	if err := checkSize(ctx, src, "size", size); err != nil {
		return nil, err
	}
	p, err := tlog.ProveRecord(size, index, HashReader(ctx, src))
	if err != nil {
		return nil, wrap(err)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of size old is a prefix of the tree
// of size new (RFC 6962 §2.1.2, as tlog.ProveTree computes it). It is empty
// when old is 0 or old equals new.
func ConsistencyProof(ctx context.Context, src Source, old, new int64) ([]Hash, error) {
	if old < 0 {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "old", "must not be negative")
	}
	if old > new {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "old", "must not exceed new (%d)", new)
	}
	if err := checkSize(ctx, src, "new", new); err != nil {
		return nil, err
	}
	if old == 0 || old == new {
		return []Hash{}, nil
	}
	p, err := tlog.ProveTree(new, old, HashReader(ctx, src))
	if err != nil {
		return nil, wrap(err)
	}
	return p, nil
}

// CheckInclusion verifies an inclusion proof for the entry at index against
// the root of a tree of the given size.
func CheckInclusion(proof []Hash, size int64, root Hash, index int64, entry []byte) error {
	if err := tlog.CheckRecord(proof, size, root, index, LeafHash(entry)); err != nil {
		return pactwatch.Errorf(pactwatch.EINVALID, "inclusion proof of entry %d in tree %d does not verify", index, size)
	}
	return nil
}

// CheckConsistency verifies a consistency proof between two tree roots.
func CheckConsistency(proof []Hash, old int64, oldRoot Hash, new int64, newRoot Hash) error {
	if old == 0 {
		if len(proof) != 0 {
			return pactwatch.Errorf(pactwatch.EINVALID, "consistency proof from the empty tree must be empty")
		}
		return nil
	}
	if old == new {
		if len(proof) != 0 || oldRoot != newRoot {
			return pactwatch.Errorf(pactwatch.EINVALID, "two trees of size %d with different roots", old)
		}
		return nil
	}
	if err := tlog.CheckTree(proof, new, newRoot, old, oldRoot); err != nil {
		return pactwatch.Errorf(pactwatch.EINVALID, "consistency proof from tree %d to tree %d does not verify", old, new)
	}
	return nil
}

func checkSize(ctx context.Context, src Source, field string, size int64) error {
	if size < 0 {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "must not be negative")
	}
	n, err := src.TreeSize(ctx)
	if err != nil {
		return wrap(err)
	}
	if size > n {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "%d is beyond the tree size %d", size, n)
	}
	return nil
}

// wrap keeps *pactwatch.Error as is and makes anything else internal.
func wrap(err error) error {
	var pe *pactwatch.Error
	if errors.As(err, &pe) {
		return err
	}
	return pactwatch.Internal(err)
}
