package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cdrl-go/cdrl/tools/internal/benchjson"
)

// peerPattern names the PyTorch references that would train the cifar10 networks; one counts
// when it also has the --bench and --device options. The references of the project (the toy
// and MNIST peers) run on the CPU only.
const peerPattern = "peer_cifar*.py"

// peerKey is the seconds per training iteration in the "table" object of a reference's
// BENCH_JSON line (peer_mnist.py's name for it).
const peerKey = "train_iter_s"

const peerCheckName = "PyTorch cifar10 reference on CUDA"

// peerResult is the PyTorch comparison: the reference's seconds per iteration, or why it did
// not run (Note) or failed (Err).
type peerResult struct {
	Script         string
	SecondsPerIter float64
	Note           string
	Err            error
}

func (p *peerResult) check() check {
	switch {
	case p.Err != nil:
		return check{Name: peerCheckName, Status: statusFail, Detail: p.Err.Error()}
	case p.Note != "":
		return check{Name: peerCheckName, Status: statusNotRun, Detail: p.Note}
	}
	return check{Name: peerCheckName, Status: statusPass, Detail: fmt.Sprintf("%s: %.3f s/it", p.Script, p.SecondsPerIter)}
}

// findPeer returns the reference in dir that trains the cifar10 networks with a --bench mode
// and a --device option, or "" and the peer scripts dir holds instead.
func findPeer(dir string) (script string, others []string, err error) {
	all, err := filepath.Glob(filepath.Join(dir, "peer_*.py"))
	if err != nil {
		return "", nil, err
	}
	for _, path := range all {
		name := filepath.Base(path)
		if ok, _ := filepath.Match(peerPattern, name); ok {
			src, err := os.ReadFile(path)
			if err != nil {
				return "", nil, err
			}
			if bytes.Contains(src, []byte(`"--bench"`)) && bytes.Contains(src, []byte(`"--device"`)) {
				return name, nil, nil
			}
		}
		others = append(others, name)
	}
	return "", others, nil
}

// runPeer runs the cifar10 reference in dir with python on device at the given batch, when
// there is one and PyTorch sees a GPU.
func runPeer(ctx context.Context, python, dir, device string, batch int, log io.Writer) *peerResult {
	script, others, err := findPeer(dir)
	if err != nil {
		return &peerResult{Err: fmt.Errorf("--peer-dir: %w", err)}
	}
	if script == "" {
		has := "no peer_*.py"
		if len(others) > 0 {
			has = strings.Join(others, ", ")
		}
		return &peerResult{Note: fmt.Sprintf("no PyTorch cifar10 reference in %s (it has %s; none trains the cifar10 networks with --bench and --device)", dir, has)}
	}
	p := &peerResult{Script: script}
	probe := exec.CommandContext(ctx, python, "-c", "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)")
	var probeErr bytes.Buffer
	probe.Stderr = &probeErr
	if err := probe.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 3 {
			p.Note = fmt.Sprintf("%s: PyTorch sees no CUDA device", python)
		} else {
			p.Note = fmt.Sprintf("%s cannot import torch: %v %s", python, err, tail(strings.TrimSpace(probeErr.String()), 300))
		}
		return p
	}
	tmp, err := os.MkdirTemp("", "cdrl-gpucheck-peer-")
	if err != nil {
		p.Err = err
		return p
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(log, "running the PyTorch reference %s on %s ...\n", script, device)
	// The script runs in dir, where it finds the modules it shares with the other references.
	cmd := exec.CommandContext(ctx, python, script, "--bench", "--device", device, "--batch", strconv.Itoa(batch), "--out", tmp)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		p.Err = fmt.Errorf("%s: %w: %s", script, err, tail(strings.TrimSpace(stderr.String()), 600))
		return p
	}
	if p.SecondsPerIter, err = benchjson.Read(stdout.String(), peerKey); err != nil {
		p.Err = fmt.Errorf("%s: %w", script, err)
	}
	return p
}
