package train

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cdrl-go/cdrl/runtime/atomicfile"
)

// checkpointPrefix and checkpointExt name checkpoint files: step-000123.ckpt.
const (
	checkpointPrefix = "step-"
	checkpointExt    = ".ckpt"
)

// ErrNoCheckpoint is returned by LatestCheckpoint when a folder holds no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// saveCheckpoint writes st to dir/step-NNNNNN.ckpt atomically (runtime/atomicfile), so a crash
// leaves either the old set of checkpoints or the new one. It then removes all but the newest
// keep checkpoints.
func saveCheckpoint(dir string, st *State, keep int) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s%09d%s", checkpointPrefix, st.Step, checkpointExt))
	if err := atomicfile.Write(path, func(w io.Writer) error { return gob.NewEncoder(w).Encode(st) }); err != nil {
		return "", fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	all, err := listCheckpoints(dir)
	if err != nil {
		return path, err
	}
	for keep > 0 && len(all) > keep {
		if err := os.Remove(all[0]); err != nil {
			return path, fmt.Errorf("train: removing old checkpoint: %w", err)
		}
		all = all[1:]
	}
	return path, nil
}

// listCheckpoints returns the checkpoint files of dir, oldest first.
func listCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("train: %w", err)
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, checkpointPrefix) && strings.HasSuffix(n, checkpointExt) && !e.IsDir() {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out) // zero-padded step numbers sort by step
	return out, nil
}

// LatestCheckpoint returns the path of the newest checkpoint in dir, or ErrNoCheckpoint.
func LatestCheckpoint(dir string) (string, error) {
	all, err := listCheckpoints(dir)
	if err != nil {
		return "", err
	}
	if len(all) == 0 {
		return "", fmt.Errorf("train: %w in %s", ErrNoCheckpoint, dir)
	}
	return all[len(all)-1], nil
}

// LoadCheckpoint reads a checkpoint file (OUT/checkpoint/step-*.ckpt).
func LoadCheckpoint(path string) (*State, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	defer f.Close()
	var st State
	if err := gob.NewDecoder(f).Decode(&st); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s is corrupt or from another version: %w", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("train: checkpoint %s has version %d, this build reads %d", path, st.Version, stateVersion)
	}
	return &st, nil
}
