package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cdrl-go/cdrl/models/cdrl"
	"github.com/cdrl-go/cdrl/runtime/atomicfile"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
)

// errNoGPU marks a run whose checks could not start because CUDA is not available.
var errNoGPU = errors.New("not run: no GPU available")

// errCheckFailed marks a run in which at least one check failed.
var errCheckFailed = errors.New("check failed")

// options are the command's flags.
type options struct {
	Runtime cli.Runtime // Device is the CUDA device checked

	Model     string
	N         int
	Class     string
	Steps     int
	Seed      uint64
	Tolerance float64

	Arch         string
	Batch, Iters int

	PeerDir, Python string

	Out            string
	Assemble       string
	ProviderSHA256 string
}

// validate checks the flags before anything is loaded.
func (o options) validate() error {
	dev := strings.ToLower(strings.TrimSpace(o.Runtime.Device))
	if dev != ort.ProviderCUDA && !strings.HasPrefix(dev, ort.ProviderCUDA+":") {
		return fmt.Errorf("--device %q: the check compares the CPU with a CUDA device; want cuda or cuda:ID", o.Runtime.Device)
	}
	switch {
	case o.N < 1:
		return fmt.Errorf("--n %d: want at least 1 sample", o.N)
	case o.Steps < 0:
		return fmt.Errorf("--steps %d: want at least 1, or 0 for the model's", o.Steps)
	case !(o.Tolerance > 0):
		return fmt.Errorf("--tolerance %g: want a positive relative L2 difference", o.Tolerance)
	case o.Iters != 0 && o.Iters <= warmupIters:
		return fmt.Errorf("--iters %d: want more than the %d iterations left out of the timing, or 0 to skip training", o.Iters, warmupIters)
	case o.Batch < 1:
		return fmt.Errorf("--batch %d: want at least 1", o.Batch)
	case !slices.Contains(cdrl.ArchNames(), o.Arch) || strings.HasPrefix(o.Arch, "toy"):
		return fmt.Errorf("--arch %q: want a preset for images: %s", o.Arch, strings.Join(slices.DeleteFunc(cdrl.ArchNames(),
			func(n string) bool { return strings.HasPrefix(n, "toy") }), ", "))
	}
	if o.PeerDir != "" {
		if info, err := os.Stat(o.PeerDir); err != nil || !info.IsDir() {
			return fmt.Errorf("--peer-dir %s: not a folder", o.PeerDir)
		}
	}
	if o.Assemble != "" && o.Runtime.ORTLib == "" {
		return fmt.Errorf("--assemble needs --ort-lib: the provider library goes next to that core library")
	}
	return nil
}

// run performs the checks, prints the report to stdout (and o.Out) and returns nil when every
// check passed, an error wrapping errNoGPU when CUDA is unavailable, one wrapping
// errCheckFailed when a check failed, or the error that kept it from running. Progress goes to
// log.
func run(ctx context.Context, o options, stdout, log io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	r := &report{Device: o.Runtime.Device}
	if o.Assemble != "" {
		dst := filepath.Join(filepath.Dir(o.Runtime.ORTLib), providerFile)
		n, err := assembleProvider(dst, o.Assemble, o.ProviderSHA256)
		if err != nil {
			return err
		}
		r.Assembled = fmt.Sprintf("%s already in place (sha256 %s)", dst, shortHash(o.ProviderSHA256))
		if n > 0 {
			r.Assembled = fmt.Sprintf("%s joined from %d parts of %s (sha256 %s ok)", dst, n, o.Assemble, shortHash(o.ProviderSHA256))
		}
		fmt.Fprintf(log, "assembled: %s\n", r.Assembled)
	}
	sess, err := o.Runtime.Init()
	if err != nil {
		return err
	}
	r.ORTVersion, r.ORTLibrary = ort.Version(), ort.Library()
	r.GPUs = nvidiaSMI(ctx)
	cpu := sess
	cpu.Provider = ort.ProviderCPU
	if r.Device, err = probeCUDA(ctx, sess); err != nil {
		r.Device = o.Runtime.Device
		r.CUDA = "does not load"
		r.NotRun = notRunReason(err)
		r.Advice = cudaAdvice(r.ORTLibrary)
		for _, name := range checkNames(o, r.Device) {
			r.Checks = append(r.Checks, check{Name: name, Status: statusNotRun, Detail: "no GPU available"})
		}
		if err := publish(r, o.Out, stdout); err != nil {
			return err
		}
		// The reason is text, not a wrapped error: the hint for ort.ErrProviderUnavailable
		// (use --device cpu) does not apply to a check of the GPU.
		return fmt.Errorf("%w: %s", errNoGPU, r.NotRun)
	}
	r.CUDA = "loads"
	fmt.Fprintf(log, "ONNX Runtime %s (%s): CUDA provider loads on %s\n", r.ORTVersion, r.ORTLibrary, r.Device)
	sess.Provider = r.Device

	fmt.Fprintf(log, "sampling %s on cpu and %s ...\n", o.Model, r.Device)
	r.Sampling, err = checkSampling(ctx, o, cpu, sess)
	if err != nil {
		r.Checks = append(r.Checks, check{Name: samplingName(r.Device), Status: statusFail, Detail: err.Error()})
	} else {
		r.Checks = append(r.Checks, r.Sampling.check())
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if o.Iters > 0 {
		results, err := checkTraining(ctx, o, sess, log)
		if err != nil {
			return err
		}
		r.Training = results
		for _, t := range results {
			r.Checks = append(r.Checks, t.check(r.Device))
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch {
	case o.PeerDir == "":
	case !strings.HasPrefix(o.Arch, "cifar10"):
		r.Peer = &peerResult{Note: fmt.Sprintf("--arch %s: the PyTorch comparison is of the cifar10 networks", o.Arch)}
		r.Checks = append(r.Checks, r.Peer.check())
	default:
		r.Peer = runPeer(ctx, o.Python, o.PeerDir, r.Device, o.Batch, log)
		r.Checks = append(r.Checks, r.Peer.check())
	}
	if err := publish(r, o.Out, stdout); err != nil {
		return err
	}
	var failed []string
	for _, c := range r.Checks {
		if c.Status == statusFail {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %s", errCheckFailed, strings.Join(failed, "; "))
	}
	return nil
}

// notRunReason is ORT's own message for a provider that did not load, without the generic
// hint the report replaces with cudaAdvice, or err's text for any other failure.
func notRunReason(err error) string {
	var pe *ort.ProviderError
	if errors.As(err, &pe) {
		return fmt.Sprintf("ort: %s provider unavailable: %v", pe.Provider, pe.Err)
	}
	return err.Error()
}

// checkNames are the names of the checks a run with o on device makes, in order.
func checkNames(o options, device string) []string {
	names := []string{samplingName(device)}
	if o.Iters > 0 {
		for _, fused := range []bool{false, true} {
			names = append(names, trainingName(fused, device))
		}
	}
	if o.PeerDir != "" {
		names = append(names, peerCheckName)
	}
	return names
}

// publish prints the report to stdout and writes it to path when path is set.
func publish(r *report, path string, stdout io.Writer) error {
	text := r.Markdown()
	if _, err := io.WriteString(stdout, text); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if err := atomicfile.WriteBytes(path, []byte(text)); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}
