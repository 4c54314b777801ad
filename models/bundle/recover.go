package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Recover cleans up what a Write to dir that was killed left beside it, and reports what it
// did. Unfinished new bundles (".DIR.tmp-*") are removed. An old bundle put aside for
// replacing (".DIR.old-*/DIR") is removed when dir holds a bundle, and otherwise (a kill
// between Write's two renames) moved back to dir, so the last complete bundle is never lost.
// Like Write, it must not run while a Write to dir is in progress.
func Recover(dir string) (actions []string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle: recover %s: %w", dir, err)
	}
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	tmps, err := filepath.Glob(filepath.Join(parent, "."+base+".tmp-*"))
	if err != nil {
		return nil, fmt.Errorf("bundle: recover %s: %w", dir, err)
	}
	olds, err := filepath.Glob(filepath.Join(parent, "."+base+".old-*"))
	if err != nil {
		return nil, fmt.Errorf("bundle: recover %s: %w", dir, err)
	}
	for _, t := range tmps {
		if err := os.RemoveAll(t); err != nil {
			return actions, fmt.Errorf("bundle: recover %s: %w", dir, err)
		}
		actions = append(actions, "removed the unfinished bundle "+t)
	}
	for _, hold := range olds {
		action := "removed the replaced bundle " + hold
		if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(filepath.Join(hold, base)); err == nil {
				if err := os.Rename(filepath.Join(hold, base), abs); err != nil {
					return actions, fmt.Errorf("bundle: recover %s: putting the old bundle back: %w", dir, err)
				}
				action = "put the previous bundle back from " + hold
			}
		}
		if err := os.RemoveAll(hold); err != nil {
			return actions, fmt.Errorf("bundle: recover %s: %w", dir, err)
		}
		actions = append(actions, action)
	}
	return actions, nil
}
