package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pactwatch/pactwatch"
)

// SignerState is the log signer's own memory of the largest checkpoint
// signed with its key, kept outside the database it signs. The database's
// latest checkpoint alone is not enough: restore an older backup (or fail
// PostgreSQL over to a replica that lost the last seconds) and the
// database no longer holds what was signed; new records would take the
// same indexes as published ones and the log would sign a fork. With a
// SignerState the Checkpointer refuses to sign any tree that does not
// extend it (review #9).
//
// Load returns ok false when nothing was saved yet. Save must be durable
// when it returns: the Checkpointer saves before it signs.
type SignerState interface {
	Load() (cp Checkpoint, ok bool, err error)
	Save(cp Checkpoint) error
}

// StateFile is a SignerState in a small file next to the log key (serve
// uses <data>/log.state). It holds the checkpoint body, unsigned
// ("<origin>\n<size>\n<base64 root>\n"), replaced atomically: a crash
// leaves the old or the new one. The key and its state file move together.
type StateFile struct {
	Path string
}

// String names the file in the Checkpointer's messages.
func (s StateFile) String() string { return "the log state file " + s.Path }

// Load reads the file; a missing file is ok false.
func (s StateFile) Load() (Checkpoint, bool, error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, pactwatch.Internal(err)
	}
	cp, err := ParseCheckpoint(data)
	if err != nil {
		return Checkpoint{}, false, &pactwatch.Error{Code: pactwatch.EINTERNAL, Field: "log_state",
			Message: fmt.Sprintf("log state file %s: %s", s.Path, pactwatch.ErrorMessage(err)), Err: err}
	}
	return cp, true, nil
}

// Save replaces the file atomically and durably.
func (s StateFile) Save(cp Checkpoint) error {
	if err := WriteFileAtomic(s.Path, cp.Marshal(), 0o600); err != nil {
		return &pactwatch.Error{Code: pactwatch.EINTERNAL, Field: "log_state", Message: "writing the log state file " + s.Path, Err: err}
	}
	return nil
}

// WriteFileAtomic writes data to a temporary file in path's directory,
// fsyncs it, renames it over path and fsyncs the directory: readers and a
// crash see the old or the new contents, and the new ones are on disk when
// it returns.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
