package witness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/pactwatch/pactwatch/ledger"
)

// LogState is what a witness remembers of one log: the last checkpoint it
// cosigned.
type LogState struct {
	Size       int64       `json:"size"`
	Hash       ledger.Hash `json:"hash"` // tlog.Hash marshals as base64
	Checkpoint string      `json:"checkpoint"`
}

type stateFile struct {
	Logs map[string]LogState `json:"logs"`
}

// loadState reads the state file; a missing file is an empty state.
func loadState(path string) (map[string]LogState, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]LogState{}, nil
	}
	if err != nil {
		return nil, err
	}
	var s stateFile
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("witness state %s: %v", path, err)
	}
	if s.Logs == nil {
		s.Logs = map[string]LogState{}
	}
	return s.Logs, nil
}

// saveState replaces the state file atomically: a crash leaves either the
// old or the new state, never a torn one, and a cosignature is only given
// out after the state that justifies it is on disk.
func saveState(path string, logs map[string]LogState) error {
	data, err := json.MarshalIndent(stateFile{Logs: logs}, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(data, '\n'), 0o600)
}

// WriteFileAtomic writes data to a temporary file in path's directory,
// fsyncs it, renames it over path and fsyncs the directory. It is
// ledger.WriteFileAtomic, which the log signer's state file uses too.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	return ledger.WriteFileAtomic(path, data, perm)
}
