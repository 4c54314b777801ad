package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/cdrl-go/cdrl/tools/internal/benchjson"
)

// peerRun is one PyTorch reference measurement: the script, its arguments and where in its
// BENCH_JSON result the seconds per Langevin step are.
type peerRun struct {
	workload string // name of the Go workload it pairs with
	script   string
	args     []string
	key      string // key inside the "table" object
}

var peerRuns = []peerRun{
	{"toy EBM energy+grad", "peer_toy.py", []string{"--bench", "--bench-parts", "step", "--bench-temb", "table"}, "langevin_step_s"},
	{"MNIST conv EBM energy+grad", "peer_mnist.py", []string{"--bench", "--bench-reps", "10"}, "langevin_step_b64_table_s"},
}

// runPeers runs the PyTorch reference scripts in dir (shared/bench of the project's docs) with
// python and returns seconds per Langevin step by Go workload name. The scripts tune their
// BLAS themselves (AVX-512 kernels, the OpenMP OpenBLAS) before loading torch.
func runPeers(ctx context.Context, python, dir string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, p := range peerRuns {
		script := filepath.Join(dir, p.script)
		if _, err := os.Stat(script); err != nil {
			return nil, fmt.Errorf("--peer-dir: %w", err)
		}
		tmp, err := os.MkdirTemp("", "cdrl-peer-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		fmt.Fprintf(os.Stderr, "running the PyTorch reference %s ...\n", p.script)
		// The script runs in dir (the references import their shared modules from there), so
		// it is named relative to it: script itself would not resolve for a relative dir.
		cmd := exec.CommandContext(ctx, python, append(append([]string{p.script}, p.args...), "--out", tmp)...)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("--peer-dir: %s: %w\n%s", p.script, err, tail(stderr.String(), 800))
		}
		sec, err := benchjson.Read(stdout.String(), p.key)
		if err != nil {
			return nil, fmt.Errorf("--peer-dir: %s: %w", p.script, err)
		}
		out[p.workload] = time.Duration(sec * float64(time.Second))
	}
	return out, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
