// Package cli holds what the cdrl commands share: the common flags (each with a CDRL_ environment
// twin), ONNX Runtime session settings from those flags, the entry point that runs an app with
// signal handling and exit codes, and the timing line every command prints.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cdrl-go/cdrl/runtime/ort"
	ucli "github.com/urfave/cli/v2"
)

// Flag categories shown in --help.
const (
	CategoryRuntime = "runtime"
	CategoryIO      = "input/output"
)

// DeviceFlag selects the execution provider.
var DeviceFlag = &ucli.StringFlag{
	Name: "device", Value: "cpu", EnvVars: []string{"CDRL_DEVICE"}, Category: CategoryRuntime,
	Usage: "execution provider: cpu, cuda, cuda:ID or auto (CUDA when it loads, else CPU)",
}

// ThreadsFlag sets ONNX Runtime's intra-op threads.
var ThreadsFlag = &ucli.IntFlag{
	Name: "threads", Value: 0, EnvVars: []string{"CDRL_THREADS"}, Category: CategoryRuntime,
	Usage: "threads per operator (0 = one per core)",
}

// ORTLibFlag points at the ONNX Runtime shared library.
var ORTLibFlag = &ucli.StringFlag{
	Name: "ort-lib", EnvVars: []string{"CDRL_ORT_LIB"}, Category: CategoryRuntime,
	Usage: "path of the ONNX Runtime library `FILE` (default: the cache filled by make setup, then the system path)",
}

// RuntimeFlags are the flags every command that runs graphs takes.
func RuntimeFlags() []ucli.Flag { return []ucli.Flag{DeviceFlag, ThreadsFlag, ORTLibFlag} }

// Runtime holds the runtime flag values.
type Runtime struct {
	Device  string
	Threads int
	ORTLib  string
}

// RuntimeFrom reads the runtime flags.
func RuntimeFrom(c *ucli.Context) Runtime {
	return Runtime{Device: c.String(DeviceFlag.Name), Threads: c.Int(ThreadsFlag.Name), ORTLib: c.String(ORTLibFlag.Name)}
}

// Init initialises ONNX Runtime with the chosen library and returns the session settings.
func (r Runtime) Init() (ort.SessionConfig, error) {
	if r.Threads < 0 {
		return ort.SessionConfig{}, fmt.Errorf("--threads must be >= 0, got %d", r.Threads)
	}
	if err := ort.Init(ort.Options{Library: r.ORTLib}); err != nil {
		return ort.SessionConfig{}, err
	}
	return ort.SessionConfig{Provider: r.Device, IntraOpThreads: r.Threads, InterOpThreads: 1}, nil
}

// Main runs app with args, cancelling its context on SIGINT/SIGTERM, prints an error (with a
// hint for common failures) to stderr and returns the process exit code.
func Main(app *ucli.App, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, app, args, os.Stderr)
}

// Run is Main with an explicit context and error stream (tests use it).
func Run(ctx context.Context, app *ucli.App, args []string, stderr io.Writer) int {
	app.ErrWriter = stderr
	err := app.RunContext(ctx, args)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", app.Name, err)
	if h := hint(err); h != "" {
		fmt.Fprintf(stderr, "hint: %s\n", h)
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return 1
}

func hint(err error) string {
	switch {
	case errors.Is(err, ort.ErrLibraryNotFound):
		return "run `make setup`, or pass --ort-lib / set CDRL_ORT_LIB to libonnxruntime.so"
	case errors.Is(err, ort.ErrProviderUnavailable):
		return "use --device cpu, or point --ort-lib at a CUDA-enabled ONNX Runtime build"
	}
	return ""
}

// Done prints the standard closing line of a command: what it wrote and how long it took.
func Done(w io.Writer, start time.Time, wrote ...string) {
	for _, p := range wrote {
		fmt.Fprintf(w, "wrote %s\n", p)
	}
	fmt.Fprintf(w, "done in %s\n", time.Since(start).Round(time.Millisecond))
}

// ParseWeights parses a comma-separated list of finite weights >= 0 given to --flag (blank
// entries are skipped) and names the flag and the bad entry in its error.
func ParseWeights(flag, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		w, err := strconv.ParseFloat(f, 64)
		if err != nil || !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("--%s %q: %q is not a finite weight >= 0", flag, s, f)
		}
		out = append(out, w)
	}
	return out, nil
}
