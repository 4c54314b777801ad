package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the file in a run folder that a trainer holds an exclusive lock on while it
// runs; it holds the trainer's process id. The operating system releases the lock when the
// process ends, however it ends, so a killed run leaves no stale lock.
const LockFile = ".lock"

// ErrLocked is wrapped by the error of a run whose folder another trainer holds.
var ErrLocked = errors.New("the run folder is in use")

// runLock is a held run-folder lock.
type runLock struct{ f *os.File }

// lockRun takes the lock of the run folder out, which must exist. Its errors are
// *SettingError of Options.Out; when another process holds the lock, the error wraps
// ErrLocked and names that process.
func lockRun(out string) (*runLock, error) {
	path := filepath.Join(out, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, &SettingError{Field: "Options.Out", Value: out, Problem: "lock", Err: err}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if data, err := os.ReadFile(path); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
					holder = fmt.Sprintf("another trainer (PID %d)", pid)
				}
			}
			return nil, &SettingError{Field: "Options.Out", Value: out,
				Err: fmt.Errorf("%w: %s is training into it; wait for it to end or stop it first", ErrLocked, holder)}
		}
		return nil, &SettingError{Field: "Options.Out", Value: out, Problem: "lock", Err: err}
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, &SettingError{Field: "Options.Out", Value: out, Problem: "lock", Err: err}
	}
	return &runLock{f: f}, nil
}

// release gives the lock up. The file stays: removing it could let a second trainer lock a
// file that a third one has just replaced.
func (l *runLock) release() { l.f.Close() }

// onlyLock reports whether the folder out holds nothing but the lock file.
func onlyLock(out string) bool {
	entries, err := os.ReadDir(out)
	return err == nil && len(entries) == 1 && entries[0].Name() == LockFile
}
