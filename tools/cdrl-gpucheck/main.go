// Command cdrl-gpucheck checks cdrl-go on a CUDA GPU in one run and prints a Markdown report:
//
//  1. the environment: the ONNX Runtime version and library, whether its CUDA provider loads
//     (ORT's error and what to do when it does not) and the GPUs nvidia-smi lists;
//  2. sampling agreement: an embedded model (mnist) sampled on the CPU and on the GPU with the
//     same seed and class, compared (max abs and relative L2 difference, the fraction of pixels
//     that differ by more than 0.1) and timed;
//  3. training on the GPU: a few iterations of the cifar10 preset (batch 256) on synthetic
//     3x32x32 images, once with the Langevin steps run from Go and once fused, with the seconds
//     and the megabytes copied to and from the device per iteration from metrics.jsonl;
//  4. with --peer-dir, the PyTorch reference that trains the same networks on CUDA, when there
//     is one and PyTorch sees a GPU.
//
// It exits with 0 when every check passed, 1 when one failed (or the command could not run) and
// 2 when CUDA is not available at all: the report then says "not run: no GPU available" and why.
//
// The CUDA provider library (about 230 MB) can travel in parts of 60 MiB, made with
// `split -b 60M -d -a 2 libonnxruntime_providers_cuda.so libonnxruntime_providers_cuda.so.part-`
// (`make gpu-parts`); --assemble DIR joins them next to the core library named by --ort-lib,
// checking the sha256 pinned in the Makefile, before the checks run.
//
// Examples:
//
//	cdrl-gpucheck --ort-lib ~/.cache/cdrl-go/onnxruntime-gpu-1.29.0/libonnxruntime.so.1
//	cdrl-gpucheck --ort-lib ort/libonnxruntime.so.1 --assemble parts --out gpu-check.md
//	cdrl-gpucheck --ort-lib ... --iters 50 --batch 128 --peer-dir ../shared/bench
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runApp(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitNoGPU is the exit code of a run that found no usable CUDA device.
const exitNoGPU = 2

// Flag categories besides the shared runtime and input/output ones.
const (
	catSampling = "sampling agreement"
	catTraining = "training"
	catTransfer = "provider library"
)

func newApp() *ucli.App {
	return &ucli.App{
		Name:  "cdrl-gpucheck",
		Usage: "check sampling and training on a CUDA GPU against the CPU and print a Markdown report",
		Description: `Exit codes: 0 every check passed, 1 a check failed or the command could not run,
2 CUDA is not available ("not run: no GPU available" and the reason).

Examples:
   cdrl-gpucheck --ort-lib ~/.cache/cdrl-go/onnxruntime-gpu-1.29.0/libonnxruntime.so.1
   cdrl-gpucheck --ort-lib ort/libonnxruntime.so.1 --assemble parts --out gpu-check.md`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "device", Value: "cuda", Category: cli.CategoryRuntime,
				Usage: "the CUDA device to check: cuda or cuda:ID (the CPU side of the comparison is always cpu)"},
			cli.ThreadsFlag, cli.ORTLibFlag,
			&ucli.StringFlag{Name: "model", Value: "mnist", Category: catSampling, Usage: "model to sample: an embedded model's name or a bundle `DIR`"},
			&ucli.IntFlag{Name: "n", Value: 16, Category: catSampling, Usage: "samples drawn on each device"},
			&ucli.StringFlag{Name: "class", Value: "3", Category: catSampling, Usage: "class `LABEL` of every sample (empty: unconditional)"},
			&ucli.IntFlag{Name: "steps", Category: catSampling, DefaultText: "the model's", Usage: "Langevin steps per level"},
			&ucli.Uint64Flag{Name: "seed", Value: 1, Category: catSampling, Usage: "noise seed of both devices"},
			&ucli.Float64Flag{Name: "tolerance", Value: defaultTolerance, Category: catSampling,
				Usage: "largest relative L2 difference between the CPU's and the GPU's samples that passes"},
			&ucli.StringFlag{Name: "arch", Value: "cifar10", Category: catTraining, Usage: "network preset trained with its settings (train.DefaultsFor) on random images: 3x32x32 for the cifar10 presets, 1x28x28 for the MNIST ones"},
			&ucli.IntFlag{Name: "batch", Value: 256, Category: catTraining, Usage: "training batch"},
			&ucli.IntFlag{Name: "iters", Value: 20, Category: catTraining,
				Usage: fmt.Sprintf("training iterations per mode; the first %d are left out of the timing (0 skips training)", warmupIters)},
			&ucli.StringFlag{Name: "peer-dir", Category: catTraining, Usage: "compare with the PyTorch reference in `DIR` (e.g. ../shared/bench) that trains the same networks on CUDA, when there is one"},
			&ucli.StringFlag{Name: "python", Value: "python3", Category: catTraining, Usage: "the Python (with torch) that runs the reference"},
			&ucli.StringFlag{Name: "out", Category: cli.CategoryIO, Usage: "also write the report to `FILE`"},
			&ucli.StringFlag{Name: "assemble", Category: catTransfer,
				Usage: "first join " + providerFile + " from the *.part-NN files in `DIR` and place it next to the --ort-lib library"},
			&ucli.StringFlag{Name: "provider-sha256", Value: providerSHA256, Category: catTransfer, Usage: "sha256 the assembled provider library must have"},
		},
		Action: func(c *ucli.Context) error {
			return run(c.Context, options{
				Runtime: cli.Runtime{Device: c.String("device"), Threads: c.Int(cli.ThreadsFlag.Name), ORTLib: c.String(cli.ORTLibFlag.Name)},
				Model:   c.String("model"), N: c.Int("n"), Class: c.String("class"), Steps: c.Int("steps"), Seed: c.Uint64("seed"),
				Tolerance: c.Float64("tolerance"),
				Arch:      c.String("arch"), Batch: c.Int("batch"), Iters: c.Int("iters"),
				PeerDir: c.String("peer-dir"), Python: c.String("python"),
				Out: c.String("out"), Assemble: c.String("assemble"), ProviderSHA256: c.String("provider-sha256"),
			}, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// runApp runs the command with args and returns its exit code: cli.Run's, except exitNoGPU
// when the checks could not run for want of CUDA.
func runApp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp()
	app.Writer = stdout
	var failure error
	// Seeing the action's error here also keeps urfave/cli from exiting on its own.
	app.ExitErrHandler = func(_ *ucli.Context, err error) { failure = err }
	code := cli.Run(ctx, app, args, stderr)
	if code != 0 && errors.Is(failure, errNoGPU) {
		return exitNoGPU
	}
	return code
}
