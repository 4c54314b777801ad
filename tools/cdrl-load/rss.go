package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// statusPath is the /proc file whose VmHWM line is a process's peak resident memory.
func statusPath(pid int) string { return fmt.Sprintf("/proc/%d/status", pid) }

// readPeakMiB returns the peak resident memory of process pid in MiB: VmHWM of
// /proc/PID/status, the peak since the process started or since its last resetPeak.
func readPeakMiB(pid int) (float64, error) {
	data, err := os.ReadFile(statusPath(pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: bad VmHWM line %q", statusPath(pid), sc.Text())
		}
		return kb / 1024, nil
	}
	return 0, fmt.Errorf("%s has no VmHWM line (a kernel thread, or not Linux?)", statusPath(pid))
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
