package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// statusPath is the /proc file whose VmHWM and VmRSS lines are a process's peak and current
// resident memory.
func statusPath(pid int) string { return fmt.Sprintf("/proc/%d/status", pid) }

// readPeakMiB returns the peak resident memory of process pid in MiB: VmHWM of
// /proc/PID/status, the peak since the process started or since its last resetPeak.
func readPeakMiB(pid int) (float64, error) { return readStatusMiB(pid, "VmHWM") }

// readRSSMiB returns the resident memory of process pid now in MiB: VmRSS of /proc/PID/status.
func readRSSMiB(pid int) (float64, error) { return readStatusMiB(pid, "VmRSS") }

// readStatusMiB returns the kB line field (VmHWM, VmRSS) of /proc/PID/status in MiB.
func readStatusMiB(pid int, field string) (float64, error) {
	data, err := os.ReadFile(statusPath(pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: bad %s line %q", statusPath(pid), field, sc.Text())
		}
		return kb / 1024, nil
	}
	return 0, fmt.Errorf("%s has no %s line (a kernel thread, or not Linux?)", statusPath(pid), field)
}

// resetPeak sets the peak resident memory of process pid to its current resident memory, by
// writing 5 to /proc/PID/clear_refs (Linux 4.0 and later; the process must be the user's own).
func resetPeak(pid int) error {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/clear_refs", pid), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("5")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// openFiles returns the number of open file descriptors of process pid: the entries of
// /proc/PID/fd (Linux; the process must be the user's own).
func openFiles(pid int) (int, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	return len(entries), nil
}

// exitPoll is the pause between two looks at whether a signalled server has exited.
const exitPoll = 5 * time.Millisecond

// stopProcess sends SIGTERM to process pid and returns how long it took to exit, looking every
// exitPoll for up to wait. A process that has exited but is not yet reaped by its parent (a
// zombie) counts as exited. ok is false when it was still running after wait.
func stopProcess(pid int, wait time.Duration) (took time.Duration, ok bool, err error) {
	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return 0, false, fmt.Errorf("sending SIGTERM to %d: %w", pid, err)
	}
	for {
		if exited(pid) {
			return time.Since(start), true, nil
		}
		if time.Since(start) >= wait {
			return time.Since(start), false, nil
		}
		time.Sleep(exitPoll)
	}
}

// exited reports whether process pid is gone or a zombie: /proc/PID/stat is missing, or its
// state (the field after the command's closing parenthesis) is Z or X.
func exited(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return true
	}
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return false
	}
	state := data[i+2]
	return state == 'Z' || state == 'X'
}
