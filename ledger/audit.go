package ledger

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
)

// RecordFetcher gives an auditor the record behind an entry: its canonical
// bytes and the salt of Entry.Digest. The server's auditor API implements
// it for `pactwatch verify --server` with an auditor token, the store for
// offline audits. (Checking each observation's monitor signature needs the
// record itself; a RecordFetcher may do it and return EINVALID, which Audit
// reports as a failure of that entry; ENOTFOUND means the record was
// deleted.)
type RecordFetcher interface {
	Record(ctx context.Context, index int64, e Entry) (canonical, salt []byte, err error)
}

// ErrRecordNotChecked, returned (or wrapped) by a RecordFetcher, skips one
// record: the fetcher cannot rebuild that kind's canonical bytes. Audit
// counts it in AuditReport.RecordsSkipped.
var ErrRecordNotChecked = errors.New("record kind not checked")

// AuditReport summarises a successful audit.
type AuditReport struct {
	Size         int64            // entries audited (by AuditSince: the new ones)
	StoredHashes int64            // stored hashes compared
	Records      int64            // records checked against their digests
	Skipped      map[string]int64 // records not checked (ErrRecordNotChecked), per type
	ByType       map[string]int64 // entries per type
	Consistent   bool             // the previous checkpoint is a prefix of this one
}

// AuditError names the entry (or stored hash) where an audit failed.
type AuditError struct {
	Index  int64 // the first entry concerned; -1 when the failure has no single entry
	Level  int   // for a stored hash above the leaves: its level
	Reason string
}

func (e *AuditError) Error() string {
	if e.Index < 0 {
		return e.Reason
	}
	return fmt.Sprintf("entry %d: %s", e.Index, e.Reason)
}

func auditFailure(index int64, level int, format string, args ...any) error {
	ae := &AuditError{Index: index, Level: level, Reason: fmt.Sprintf(format, args...)}
	field := "ledger"
	if index >= 0 {
		field = fmt.Sprintf("entries[%d]", index)
	}
	return &pactwatch.Error{Code: pactwatch.EINVALID, Field: field, Message: ae.Reason, Err: ae}
}

// auditChunk is how many entries are read at once: one entry bundle.
const auditChunk = TileWidth

// Audit checks the first cp.Size entries of src against the signed
// checkpoint cp: every entry must parse, every stored hash (leaf hashes and
// all interior nodes, in tlog's storage layout, or the hashes of a remote
// log's tiles) must equal the hash recomputed from the entries, and the
// recomputed root must be cp's. When prev (a checkpoint verified earlier)
// is given, the tree of prev.Size entries must have prev's root: the log
// only grew. When records is given, each record is checked against its
// entry's digest. The first failure is returned as an EINVALID
// *pactwatch.Error wrapping *AuditError, naming the entry.
//
// It reads everything once, in order, holding only O(log n) hashes, so it
// audits a log of millions of entries in constant memory.
func Audit(ctx context.Context, src Source, cp Checkpoint, prev *Checkpoint, records RecordFetcher) (AuditReport, error) {
	rep := AuditReport{ByType: map[string]int64{}, Skipped: map[string]int64{}}
	if prev != nil && prev.Size > cp.Size {
		return rep, auditFailure(-1, 0, "the log's checkpoint has %d entries but %d were verified before: the log was rolled back", cp.Size, prev.Size)
	}
	return audit(ctx, src, cp, 0, nil, prev, records, rep)
}

// AuditSince audits only what was added since prev, a checkpoint audited
// before: it reads the roots of the complete subtrees of prev's tree (the
// log's stored hashes, or tiles), checks they fold into prev's root — so
// they are the genuine right edge of the tree already audited and the log
// only grew — and audits entries [prev.Size, cp.Size) from there as Audit
// does. A long-lived log is then re-audited in time proportional to its
// growth.
func AuditSince(ctx context.Context, src Source, cp, prev Checkpoint, records RecordFetcher) (AuditReport, error) {
	rep := AuditReport{ByType: map[string]int64{}, Skipped: map[string]int64{}}
	if prev.Size > cp.Size {
		return rep, auditFailure(-1, 0, "the log's checkpoint has %d entries but %d were verified before: the log was rolled back", cp.Size, prev.Size)
	}
	// The complete subtrees of a tree of n leaves: one per 1-bit of n,
	// largest first.
	var indexes []int64
	for start, l := int64(0), 63; l >= 0; l-- {
		if prev.Size&(1<<l) != 0 {
			indexes = append(indexes, tlog.StoredHashIndex(l, start>>l))
			start += 1 << l
		}
	}
	edge, err := src.ReadHashes(ctx, indexes)
	if err != nil {
		return rep, wrap(err)
	}
	stack := make([]Hash, len(edge))
	for i := range edge {
		stack[i] = edge[i]
	}
	if rootOf(stack) != prev.Hash {
		return rep, auditFailure(-1, 0, "the log's tree of %d entries no longer has the root of the checkpoint verified before: entries before %d were rewritten (audit in full to find which)", prev.Size, prev.Size)
	}
	if prev.Size == cp.Size {
		if cp.Hash != prev.Hash {
			return rep, auditFailure(-1, 0, "two checkpoints of size %d with different roots: the log forked", cp.Size)
		}
		rep.Consistent = true
		return rep, nil
	}
	return audit(ctx, src, cp, prev.Size, stack, &prev, records, rep)
}

// audit checks entries [start, cp.Size), stack holding the roots of the
// complete subtrees of the first start entries.
func audit(ctx context.Context, src Source, cp Checkpoint, start int64, stack []Hash, prev *Checkpoint, records RecordFetcher, rep AuditReport) (AuditReport, error) {
	var prevRoot *Hash // the recomputed root of the first prev.Size entries
	for from := start; from < cp.Size; from = (from/auditChunk + 1) * auditChunk {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		to := min((from/auditChunk+1)*auditChunk, cp.Size)
		entries, err := src.Entries(ctx, from, to)
		if err != nil {
			// A store may refuse a range with a hole in it: find the
			// first entry it cannot return.
			if i, ok := firstMissing(ctx, src, from, to); ok {
				return rep, auditFailure(i, 0, "missing: the log cannot return it")
			}
			return rep, wrap(err)
		}
		// A deleted row shifts the entries after it: check those we got
		// against the stored hashes first, so the first shifted one is
		// named, and only then report the shortfall.
		short := int64(len(entries)) < to-from
		if int64(len(entries)) > to-from {
			entries = entries[:to-from]
		}
		want := make([]Hash, 0, 2*len(entries)+8)
		parsed := make([]Entry, 0, len(entries))
		var malformed error // reported after the hashes, which may name a lower entry
		for i, e := range entries {
			idx := from + int64(i)
			entry, err := ParseEntry(e)
			if err != nil && malformed == nil {
				malformed = auditFailure(idx, 0, "malformed: %v", err)
			}
			rep.ByType[entry.Type]++
			parsed = append(parsed, entry)
			// tlog stores, for leaf idx, its hash and then the hash of
			// every subtree it completes, lowest first: the merges of a
			// binary counter.
			h := LeafHash(e)
			want = append(want, h)
			for k := idx; k&1 == 1; k >>= 1 {
				h = tlog.NodeHash(stack[len(stack)-1], h)
				stack = stack[:len(stack)-1]
				want = append(want, h)
			}
			stack = append(stack, h)
			if prev != nil && idx+1 == prev.Size {
				r := rootOf(stack)
				prevRoot = &r
			}
		}
		if err := compareStored(ctx, src, from, want); err != nil {
			return rep, err
		}
		if malformed != nil {
			return rep, malformed
		}
		if prevRoot != nil && *prevRoot != prev.Hash {
			return rep, auditFailure(-1, 0, "the first %d entries no longer have the root of the checkpoint verified before: entries before %d were rewritten", prev.Size, prev.Size)
		}
		rep.StoredHashes += int64(len(want))
		// Records last, so the lowest failing index is named whatever
		// failed.
		if records != nil {
			for i, entry := range parsed {
				switch err := checkRecord(ctx, records, from+int64(i), entry); {
				case errors.Is(err, ErrRecordNotChecked):
					rep.Skipped[entry.Type]++
				case err != nil:
					return rep, err
				default:
					rep.Records++
				}
			}
		}
		if short {
			return rep, auditFailure(from+int64(len(entries)), 0, "missing: asked for entries [%d, %d), got %d", from, to, len(entries))
		}
	}
	if root := rootOf(stack); root != cp.Hash {
		return rep, auditFailure(-1, 0, "the recomputed root %x… is not the signed checkpoint's %x…: entries and hashes were rewritten together", root[:6], cp.Hash[:6])
	}
	rep.Size = cp.Size - start
	rep.Consistent = prev != nil
	return rep, nil
}

// compareStored compares the hashes recomputed for the leaves from on
// (want, in storage order) with the stored ones, naming the first entry
// whose hash differs.
func compareStored(ctx context.Context, src Source, from int64, want []Hash) error {
	first := tlog.StoredHashCount(from)
	indexes := make([]int64, len(want))
	for i := range indexes {
		indexes[i] = first + int64(i)
	}
	stored, err := src.ReadHashes(ctx, indexes)
	if err != nil {
		return wrap(err)
	}
	if len(stored) != len(want) {
		return pactwatch.Internal(fmt.Errorf("ledger: source returned %d hashes for %d", len(stored), len(want)))
	}
	for i := range want {
		if stored[i] != want[i] {
			level, n := tlog.SplitStoredHashIndex(indexes[i])
			lo, hi := n<<level, (n+1)<<level
			if level == 0 {
				return auditFailure(lo, 0, "altered: its hash is not the log's leaf hash %x…", stored[i][:6])
			}
			return auditFailure(lo, level, "altered: the log's hash of entries [%d, %d) (level %d) is not the hash of those entries", lo, hi, level)
		}
	}
	return nil
}

// firstMissing reads entries one by one to find the first of [from, to)
// src cannot return.
func firstMissing(ctx context.Context, src Source, from, to int64) (int64, bool) {
	for i := from; i < to; i++ {
		if e, err := src.Entries(ctx, i, i+1); err != nil || len(e) != 1 {
			return i, true
		}
	}
	return 0, false
}

// rootOf folds the stack of complete subtree roots into the tree hash,
// right to left, as RFC 6962's recursive definition does.
func rootOf(stack []Hash) Hash {
	if len(stack) == 0 {
		return sha256.Sum256(nil)
	}
	h := stack[len(stack)-1]
	for i := len(stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(stack[i], h)
	}
	return h
}

func checkRecord(ctx context.Context, records RecordFetcher, idx int64, e Entry) error {
	canonical, salt, err := records.Record(ctx, idx, e)
	if err != nil {
		switch pactwatch.ErrorCode(err) {
		case pactwatch.ENOTFOUND:
			return auditFailure(idx, 0, "deleted: record %s is missing", e.RecordID)
		case pactwatch.EINVALID:
			// The fetcher judged the record itself (a signature that does
			// not verify, a row contradicting its entry): name the entry.
			return auditFailure(idx, 0, "invalid: record %s: %s", e.RecordID, pactwatch.ErrorMessage(err))
		}
		return err
	}
	if SaltedDigest(salt, canonical) != e.Digest {
		return auditFailure(idx, 0, "altered: record %s does not match its digest", e.RecordID)
	}
	return nil
}
