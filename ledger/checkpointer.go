package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
)

// WitnessClient is a witness as the Checkpointer sees it; *witness.Client
// is one. AddCheckpoint sends a checkpoint with a consistency proof from
// oldSize and returns the witness's cosignatures. When the witness last
// cosigned another size, its error implements SizeReporter.
type WitnessClient interface {
	Name() string
	AddCheckpoint(ctx context.Context, oldSize int64, proof []Hash, checkpoint []byte) ([]note.Signature, error)
}

// SizeReporter is implemented by a witness's "wrong old size" error: the
// size of the last checkpoint it cosigned (c2sp.org/tlog-witness, 409).
type SizeReporter interface {
	error
	KnownSize() int64
}

// LoadLogKey parses the log's signed-note private key
// ("PRIVATE+KEY+<origin>+<hash>+<base64>") into its signer and the matching
// verifier. The key's name is the log's checkpoint origin.
func LoadLogKey(skey string) (note.Signer, note.Verifier, error) {
	skey = strings.TrimSpace(skey)
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "log_key", "not a signed-note private key: %v", err)
	}
	// PRIVATE+KEY+<name>+<hash>+<base64>, where the base64 may contain "+".
	rest := skey
	for range 4 {
		_, rest, _ = strings.Cut(rest, "+")
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "log_key", "want an Ed25519 signed-note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return nil, nil, pactwatch.Internal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, pactwatch.Internal(err)
	}
	return s, v, nil
}

// Checkpointer publishes the log's checkpoints: at most once per Interval,
// when the tree has grown, it computes the root from the stored hashes,
// checks that the new tree is consistent with the last checkpoint it
// signed (and refuses to sign otherwise: a log must never sign two
// inconsistent checkpoints), signs, collects cosignatures from a quorum of
// witnesses, and persists the cosigned checkpoint, which is then what
// GET /log/checkpoint serves.
type Checkpointer struct {
	Source   Source
	Store    CheckpointStore
	Signer   note.Signer   // the log key; its name is the origin
	Verifier note.Verifier // the log key's verifier, to read back stored checkpoints
	// Witnesses are asked to cosign every checkpoint; Quorum of them
	// must, or the checkpoint is not published (it is retried).
	Witnesses []WitnessClient
	Quorum    int
	// Interval is the least time between checkpoints; 0 means 1 s.
	Interval time.Duration
	// WitnessTimeout bounds each witness request; 0 means 5 s.
	WitnessTimeout time.Duration
	// WitnessGrace is how long, once Quorum witnesses cosigned, the
	// others are still waited for; 0 means the Interval. A slow or
	// unreachable witness beyond the quorum then delays publication by
	// at most the grace, not by WitnessTimeout; its cosignature is asked
	// again with the next checkpoint.
	WitnessGrace time.Duration
	// Leader, when set, elects the one signer among servers sharing a
	// database; others only wait.
	Leader Leader
	// State, when set, is this signer's own record of the largest
	// checkpoint signed with the log key, kept outside the database
	// (serve: <data>/log.state). It is saved before each signature, a
	// follower saves what the leader publishes, and nothing is signed
	// that does not extend it: a database restored from an older backup
	// is refused (ECONFLICT, ErrInconsistent) instead of forked.
	State SignerState
	// Now stamps publications (LatestTime); time.Now if nil. Ticks use
	// real time: the interval is a rate limit, not a deadline.
	Now    func() time.Time
	Logger *slog.Logger

	mu        sync.Mutex // one Publish at a time
	last      *Checkpoint
	saved     *Checkpoint      // what State holds, once loaded
	lastNote  []byte           // the log-signed note of last
	proofFrom int64            // proof proves last extends the tree of this size
	proof     []Hash           // (kept for witnesses that hold that size)
	known     map[string]int64 // per witness: size it last cosigned
	pubMu     sync.Mutex
	pubSize   int64
	pubNote   []byte
	pubAt     time.Time
	published chan struct{} // closed and replaced on each publication
}

// ErrInconsistent is the cause of a refusal to sign: the stored tree does
// not extend the last signed checkpoint.
var ErrInconsistent = errors.New("stored tree is inconsistent with the last signed checkpoint")

func (c *Checkpointer) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// LeaderLock is the name of the checkpoint signer's leadership lock.
const LeaderLock = "ledger-checkpointer"

// Run publishes checkpoints until ctx ends. With a Leader it signs only
// while it holds the leadership, and all that work runs under the
// leadership's context: when the lock is lost (PostgreSQL: its session
// died, so another server may already sign) the work in flight is
// cancelled, Run goes back to following what the leader publishes and to
// trying for the lock at each tick.
func (c *Checkpointer) Run(ctx context.Context) error {
	interval := c.Interval
	if interval <= 0 {
		interval = time.Second
	}
	var lead context.Context // set while this checkpointer leads
	var release func()
	defer func() {
		if release != nil {
			release()
		}
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr string
	report := func(msg string, err error) { // each distinct failure once
		if err != nil && err.Error() != lastErr {
			lastErr = err.Error()
			c.logger().Error(msg, "err", err)
		}
	}
	for {
		if lead != nil && lead.Err() != nil && ctx.Err() == nil {
			release()
			lead, release = nil, nil
			c.logger().Warn("checkpointer: lost the leadership; following the leader")
		}
		if lead == nil && c.Leader != nil {
			l, r, ok, err := c.Leader.TryLead(ctx, LeaderLock)
			if err != nil {
				report("checkpointer: leader election", err)
			} else if ok {
				lead, release = l, r
				// Another server may have signed since this one last did:
				// start again from the latest stored checkpoint.
				c.forget()
			}
		}
		switch {
		case c.Leader != nil && lead == nil:
			// Another server signs: follow what it publishes, so Latest
			// and Wait work here too.
			report("checkpointer: reading the published checkpoint", c.follow(ctx))
		default:
			work := ctx
			if lead != nil {
				work = lead
			}
			_, err := c.Publish(work)
			switch {
			case err == nil:
				lastErr = ""
			case work.Err() != nil: // stopping, or the leadership ended
			default:
				report("checkpointer", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// forget drops the last signed checkpoint, so the next Publish reloads
// the latest one stored, which it must extend.
func (c *Checkpointer) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last, c.lastNote = nil, nil
}

// Publish makes one checkpoint if the tree grew since the last published
// one. It reports whether it published. An ECONFLICT error wrapping
// ErrInconsistent means the stored tree was altered: nothing is signed.
// It neither signs nor persists once ctx is done: run under a leadership's
// context, it stops acting when the leadership is lost.
func (c *Checkpointer) Publish(ctx context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Signer == nil || c.Verifier == nil || c.Source == nil || c.Store == nil {
		return false, pactwatch.Internal(errors.New("checkpointer: Source, Store, Signer and Verifier are required"))
	}
	if c.last == nil {
		if err := c.loadLast(ctx); err != nil {
			return false, err
		}
	}
	size, err := c.Source.TreeSize(ctx)
	if err != nil {
		return false, wrap(err)
	}
	pubSize, _ := c.Latest()
	if c.last != nil && size == c.last.Size && pubSize == size && c.lastNote != nil {
		return false, nil // nothing new
	}
	if size == 0 {
		return false, nil
	}
	if c.last != nil && size < c.last.Size {
		return false, &pactwatch.Error{Code: pactwatch.ECONFLICT, Field: "tree_size", Message: fmt.Sprintf("the store holds %d entries but checkpoint %d was signed: refusing to sign", size, c.last.Size), Err: ErrInconsistent}
	}
	if c.last == nil || size > c.last.Size || c.lastNote == nil {
		from := int64(0)
		if c.last != nil {
			from = c.last.Size
		}
		cp, signed, proof, err := c.sign(ctx, size)
		if err != nil {
			return false, err
		}
		c.last, c.lastNote = &cp, signed
		c.proofFrom, c.proof = from, proof
	}
	full, err := c.cosign(ctx, *c.last, c.lastNote)
	if err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil { // the leadership ended: publish nothing
		return false, err
	}
	if err := c.Store.PutCheckpoint(ctx, c.last.Size, full); err != nil {
		return false, wrap(err)
	}
	c.setPublished(c.last.Size, full)
	return true, nil
}

// follow adopts the latest stored checkpoint as published when it is newer
// than the one known, checking the log's signature on it.
func (c *Checkpointer) follow(ctx context.Context) error {
	size, msg, err := LatestCheckpoint(ctx, c.Store)
	if err != nil || msg == nil {
		return err
	}
	if pub, note := c.Latest(); note != nil && size <= pub {
		return nil
	}
	cp, _, err := OpenCheckpoint(msg, c.Verifier)
	if err != nil {
		return fmt.Errorf("stored checkpoint %d: %w", size, err)
	}
	if err := c.saveFollowed(ctx, cp); err != nil {
		return err
	}
	c.setPublished(size, msg)
	return nil
}

// saveFollowed records in the state file a checkpoint another server
// signed, once the stored tree shows it extends the one saved: the file
// then protects this server, should it lead later, against a database
// older than anything the log key signed, not only what it signed itself.
func (c *Checkpointer) saveFollowed(ctx context.Context, cp Checkpoint) error {
	if c.State == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.saved == nil {
		saved, ok, err := c.State.Load()
		if err != nil {
			return err
		}
		if ok {
			c.saved = &saved
		}
	}
	if c.saved != nil {
		if c.saved.Size >= cp.Size {
			return nil
		}
		if c.saved.Origin != cp.Origin {
			return &pactwatch.Error{Code: pactwatch.EINVALID, Field: "log_state", Message: fmt.Sprintf("the log state file is for the log %q, not %q", c.saved.Origin, cp.Origin)}
		}
		if err := c.extendsSaved(ctx, *c.saved, cp.Size); err != nil {
			return err
		}
	}
	if err := c.State.Save(cp); err != nil {
		return err
	}
	c.saved = &cp
	return nil
}

// loadLast reads the last persisted checkpoint, checking our own
// signature: it is the reference every new checkpoint must extend.
func (c *Checkpointer) loadLast(ctx context.Context) error {
	size, msg, err := LatestCheckpoint(ctx, c.Store)
	if err != nil {
		return wrap(err)
	}
	if msg == nil {
		return c.checkState(ctx, nil)
	}
	cp, n, err := OpenCheckpoint(msg, c.Verifier)
	if err != nil {
		return fmt.Errorf("stored checkpoint %d: %w", size, err)
	}
	if cp.Size != size {
		return pactwatch.Internal(fmt.Errorf("stored checkpoint filed under size %d says %d", size, cp.Size))
	}
	// Keep only the log's own signature: cosignatures are asked anew.
	var logSigs []note.Signature
	for _, s := range n.Sigs {
		if s.Name == c.Verifier.Name() && s.Hash == c.Verifier.KeyHash() {
			logSigs = append(logSigs, s)
		}
	}
	own, err := note.Sign(&note.Note{Text: n.Text, Sigs: logSigs})
	if err != nil {
		return pactwatch.Internal(err)
	}
	if err := c.checkState(ctx, &cp); err != nil {
		return err
	}
	if c.last == nil { // the state file did not replace it
		c.last, c.lastNote = &cp, own
	}
	c.setPublished(size, msg)
	return nil
}

// checkState checks the database against the signer's state file before
// the first signature: the stored tree must hold the checkpoint the file
// names, with the same root. stored is the database's latest checkpoint
// (nil for none). When the file is ahead of the database (whose latest
// checkpoint was lost but whose entries were not), c.last becomes the
// file's checkpoint, which is signed again. Without a file, the database's
// checkpoint is adopted and saved (first start with a state file).
func (c *Checkpointer) checkState(ctx context.Context, stored *Checkpoint) error {
	if c.State == nil {
		return nil
	}
	saved, ok, err := c.State.Load()
	if err != nil {
		return err
	}
	if !ok {
		if stored != nil {
			c.logger().Warn("checkpointer: no log state file yet; trusting the database's latest checkpoint", "size", stored.Size)
			if err := c.State.Save(*stored); err != nil {
				return err
			}
			c.saved = stored
		}
		return nil
	}
	if saved.Origin != c.Signer.Name() {
		return &pactwatch.Error{Code: pactwatch.EINVALID, Field: "log_state", Message: fmt.Sprintf("the log state file is for the log %q, not %q", saved.Origin, c.Signer.Name())}
	}
	storedSize := int64(0)
	if stored != nil {
		storedSize = stored.Size
	}
	if err := c.extendsSaved(ctx, saved, storedSize); err != nil {
		return err
	}
	c.saved = &saved
	if stored == nil || stored.Size < saved.Size {
		c.last, c.lastNote = &saved, nil
	}
	return nil
}

// startOver ends a refusal: what an operator who meant to start a new
// database can do, and what it costs.
const startOver = " (to start a new log on purpose, use a new log key, or delete the state file if nobody relies on the checkpoints already published: they would be forked)"

// stateName names the state file in messages.
func (c *Checkpointer) stateName() string {
	if s, ok := c.State.(fmt.Stringer); ok {
		return s.String()
	}
	return "the log state file"
}

// extendsSaved checks that the stored tree holds the checkpoint saved,
// with the same root: the database is not older than what was signed.
// stored is the size of the database's latest checkpoint, for the message.
func (c *Checkpointer) extendsSaved(ctx context.Context, saved Checkpoint, stored int64) error {
	n, err := c.Source.TreeSize(ctx)
	if err != nil {
		return wrap(err)
	}
	if n < saved.Size {
		return &pactwatch.Error{Code: pactwatch.ECONFLICT, Field: "log_state", Err: ErrInconsistent, Message: fmt.Sprintf(
			"the database holds %d entries (latest stored checkpoint: size %d) but the log key already signed a checkpoint of size %d (%s): the database is older than what was signed (a restored backup or a lagging replica?); refusing to sign%s",
			n, stored, saved.Size, c.stateName(), startOver)}
	}
	if saved.Size == 0 {
		return nil
	}
	root, err := TreeHash(ctx, c.Source, saved.Size)
	if err != nil {
		return err
	}
	if root != saved.Hash {
		return &pactwatch.Error{Code: pactwatch.ECONFLICT, Field: "log_state", Err: ErrInconsistent, Message: fmt.Sprintf(
			"the database's first %d entries do not have the root of the checkpoint of size %d the log key signed (%s): the database is not the one that was signed (a restored backup that then took new records?); refusing to sign%s",
			saved.Size, saved.Size, c.stateName(), startOver)}
	}
	return nil
}

// sign computes and signs the checkpoint of the first size entries after
// checking it extends the last one.
// It returns the consistency proof from the last one too, which the
// witnesses that cosigned the last one need. The caller read size from
// the Source: the tree holds it, and the reads skip checking that again.
func (c *Checkpointer) sign(ctx context.Context, size int64) (Checkpoint, []byte, []Hash, error) {
	root, err := tlog.TreeHash(size, HashReader(ctx, c.Source))
	if err != nil {
		return Checkpoint{}, nil, nil, wrap(err)
	}
	var proof []Hash
	if c.last != nil && c.last.Size > 0 {
		if c.last.Size < size {
			if proof, err = tlog.ProveTree(size, c.last.Size, HashReader(ctx, c.Source)); err != nil {
				return Checkpoint{}, nil, nil, wrap(err)
			}
		}
		if err := CheckConsistency(proof, c.last.Size, c.last.Hash, size, root); err != nil {
			return Checkpoint{}, nil, nil, &pactwatch.Error{Code: pactwatch.ECONFLICT, Field: "tree", Message: fmt.Sprintf("the stored tree of size %d does not extend the signed checkpoint of size %d: refusing to sign", size, c.last.Size), Err: ErrInconsistent}
		}
	}
	if err := ctx.Err(); err != nil { // the leadership ended: sign nothing
		return Checkpoint{}, nil, nil, err
	}
	cp := Checkpoint{Origin: c.Signer.Name(), Size: size, Hash: root}
	if c.State != nil && (c.saved == nil || c.saved.Size < size) {
		// On disk before the signature exists: whatever happens to the
		// database, this signer will not sign a tree that drops it.
		if err := c.State.Save(cp); err != nil {
			return Checkpoint{}, nil, nil, err
		}
		c.saved = &cp
	}
	signed, err := cp.Sign(c.Signer)
	if err != nil {
		return Checkpoint{}, nil, nil, err
	}
	return cp, signed, proof, nil
}

// cosign asks every witness in parallel and returns the checkpoint with
// the log's signature and every cosignature gathered, or an EUNAVAILABLE
// error when fewer than Quorum cosigned.
func (c *Checkpointer) cosign(ctx context.Context, cp Checkpoint, signed []byte) ([]byte, error) {
	if len(c.Witnesses) == 0 {
		return signed, nil
	}
	timeout := c.WitnessTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if c.known == nil {
		c.known = map[string]int64{}
	}
	type result struct {
		name  string
		sigs  []note.Signature
		known int64
		err   error
	}
	grace := c.WitnessGrace
	if grace <= 0 {
		grace = c.Interval
	}
	if grace <= 0 {
		grace = time.Second
	}
	results := make(chan result, len(c.Witnesses))
	asking, cancelAll := context.WithCancel(ctx)
	defer cancelAll() // stragglers past the grace are abandoned
	from, proof := c.proofFrom, c.proof
	for _, w := range c.Witnesses {
		old := c.known[w.Name()]
		go func() {
			ctx, cancel := context.WithTimeout(asking, timeout)
			defer cancel()
			sigs, known, err := c.askWitness(ctx, w, old, cp, signed, from, proof)
			results <- result{w.Name(), sigs, known, err}
		}()
	}
	var sigs []note.Signature
	var failures []string
	cosigned := 0
	var graceUp <-chan time.Time
collect:
	for range c.Witnesses {
		var r result
		select {
		case r = <-results:
		case <-graceUp:
			failures = append(failures, "witnesses slower than the grace after the quorum were not waited for")
			break collect
		}
		if r.known >= 0 {
			c.known[r.name] = r.known
		}
		if r.err != nil {
			failures = append(failures, r.err.Error())
		} else if len(r.sigs) > 0 {
			cosigned++
			sigs = append(sigs, r.sigs...)
		}
		if cosigned >= c.Quorum && graceUp == nil {
			t := time.NewTimer(grace)
			defer t.Stop()
			graceUp = t.C
		}
	}
	if cosigned < c.Quorum {
		return nil, &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Field: "witnesses", Message: fmt.Sprintf("checkpoint %d: %d of %d required witnesses cosigned: %s", cp.Size, cosigned, c.Quorum, strings.Join(failures, "; "))}
	}
	n, err := note.Open(signed, note.VerifierList(c.Verifier))
	if err != nil {
		return nil, pactwatch.Internal(err)
	}
	n.Sigs = append(n.Sigs, sigs...)
	full, err := note.Sign(n)
	if err != nil {
		return nil, pactwatch.Internal(err)
	}
	return full, nil
}

// askWitness submits the checkpoint with a proof from the size the witness
// is believed to hold; on a "wrong old size" answer it retries once from
// the size the witness reports. It returns the witness's size afterwards
// (-1 if unknown).
//
// A witness that holds the previous checkpoint (size from, the common
// case) gets the proof sign computed; others one read from the Source.
func (c *Checkpointer) askWitness(ctx context.Context, w WitnessClient, old int64, cp Checkpoint, signed []byte, from int64, fromProof []Hash) ([]note.Signature, int64, error) {
	for attempt := 0; ; attempt++ {
		if old > cp.Size {
			return nil, old, pactwatch.Errorf(pactwatch.ECONFLICT, "witness %s has cosigned size %d, beyond this log's %d: the log was rolled back", w.Name(), old, cp.Size)
		}
		proof := []Hash{}
		switch {
		case old == 0 || old == cp.Size:
		case old == from && fromProof != nil:
			proof = fromProof
		default:
			p, err := ConsistencyProof(ctx, c.Source, old, cp.Size)
			if err != nil {
				return nil, -1, err
			}
			proof = p
		}
		sigs, err := w.AddCheckpoint(ctx, old, proof, signed)
		var sr SizeReporter
		if err != nil && errors.As(err, &sr) && attempt == 0 {
			old = sr.KnownSize()
			continue
		}
		if err != nil {
			return nil, -1, err
		}
		return sigs, cp.Size, nil
	}
}

func (c *Checkpointer) setPublished(size int64, msg []byte) {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.pubSize, c.pubNote, c.pubAt = size, msg, now()
	if c.published != nil {
		close(c.published)
	}
	c.published = make(chan struct{})
}

// Latest is the last published (cosigned, persisted) checkpoint.
func (c *Checkpointer) Latest() (size int64, msg []byte) {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	return c.pubSize, c.pubNote
}

// LatestTime is when the last checkpoint was published (or loaded at
// start), by the Checkpointer's clock: its age is how stale the log's
// public view is.
func (c *Checkpointer) LatestTime() time.Time {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	return c.pubAt
}

// Wait blocks until a checkpoint covering at least size entries is
// published, or ctx ends.
func (c *Checkpointer) Wait(ctx context.Context, size int64) error {
	for {
		c.pubMu.Lock()
		if c.pubSize >= size && c.pubNote != nil {
			c.pubMu.Unlock()
			return nil
		}
		if c.published == nil {
			c.published = make(chan struct{})
		}
		ch := c.published
		c.pubMu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
