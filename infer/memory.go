package infer

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// MemoryError reports a task whose buffers would not fit in the memory the machine has
// available: it is refused before any work, instead of the process dying out of memory.
type MemoryError struct {
	Op    string // the task: "sample", "inpaint", ...
	N     int    // the samples asked for
	Chunk int    // the samples of one chunk (SampleOptions.Batch, or N)
	// Streamed says that the results go out chunk by chunk (SampleOptions.Stream), so that
	// only one chunk of them is held.
	Streamed  bool
	Need      int64 // the estimated bytes: results held, recorded levels and one chunk's buffers
	Results   int64 // of which the results held at once: all N, or one chunk when streamed
	Available int64 // the bytes the system reports available
}

// Error says what was asked, the estimate, what is available and what to change.
func (e *MemoryError) Error() string {
	hint := "ask for fewer samples, or sample in several calls"
	if e.Streamed || e.Results*2 < e.Need {
		hint = "sample in smaller chunks (SampleOptions.Batch, --batch)"
	}
	held := "the results alone"
	if e.Streamed {
		held = "one chunk's results"
	}
	return fmt.Sprintf("infer: %s: %d samples in chunks of %d need about %s (%s %s), but the system has %s available; %s",
		e.Op, e.N, e.Chunk, gigabytes(e.Need), held, gigabytes(e.Results), gigabytes(e.Available), hint)
}

// gigabytes formats a byte count in GB (10^9 bytes).
func gigabytes(n int64) string { return fmt.Sprintf("%.1f GB", float64(n)/1e9) }

// chunkBytesPerValue is the bytes a chunk needs at least per sample value and network input:
// the sampler's own float32 buffers (samples, chain, gradient, noise, mixing) and a modest share
// for ONNX Runtime's activations. Wide networks need more (the toy networks' hidden layers hold
// hundreds of values per input value), so the estimate is a lower bound: what it refuses cannot
// fit, and what it lets through may still not.
const chunkBytesPerValue = 4 * 48

// checkMemory refuses task op on n samples when its estimated buffers exceed the memory the
// system reports available (Linux's MemAvailable; elsewhere nothing is checked). Results hold
// n samples, or one chunk when streamed; levels, when recorded, Levels+1 copies of all n more;
// one chunk of up to batch samples runs groups network inputs per sample.
func (s *Sampler) checkMemory(op string, n, batch, groups int, levels, streamed bool) error {
	avail, ok := AvailableMemory()
	if !ok {
		return nil
	}
	if batch <= 0 || batch > n {
		batch = n
	}
	dim := int64(s.dim)
	all := int64(n) * dim * 4
	results := all
	if streamed {
		results = int64(batch) * dim * 4
	}
	need := results + int64(batch)*int64(groups)*dim*chunkBytesPerValue
	if levels {
		need += int64(s.sched.Levels+1) * all
	}
	if need <= avail {
		return nil
	}
	return &MemoryError{Op: op, N: n, Chunk: batch, Streamed: streamed, Need: need, Results: results, Available: avail}
}

// AvailableMemory returns the memory the system reports available (MemAvailable of Linux's
// /proc/meminfo) in bytes, and false where it cannot be read.
func AvailableMemory() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemAvailable:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}
