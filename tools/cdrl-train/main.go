// Command cdrl-train trains a CDRL energy-based model and its initializer.
//
// Examples:
//
//	cdrl-train --data toy2d --out runs/toy
//	cdrl-train --data mnist --conditional --out runs/mnist
//	cdrl-train --out runs/mnist --resume --iters 6000 --ebm-lr 5e-5
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/models/cdrl"
	"github.com/cdrl-go/cdrl/runtime/mpi"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	"github.com/cdrl-go/cdrl/train"
	ucli "github.com/urfave/cli/v2"
)

func main() { os.Exit(cli.Main(newApp(), os.Args)) }

const (
	catData   = "data and model"
	catOptim  = "optimisation"
	catOutput = "output"
)

// dflt is the help text of a flag's default: its value in train.Defaults for 2-D data and for
// images, once when both agree.
func dflt(field func(train.Config) any) string {
	toy, img := fmt.Sprint(field(train.Defaults("toy2d"))), fmt.Sprint(field(train.Defaults("mnist")))
	if toy == img {
		return toy
	}
	return toy + " for 2-D data, " + img + " for images"
}

// settingFlags maps each train setting that has a flag to that flag: package train names its
// settings by their Go fields ("Config.Batch", "Options.Resume"), in its errors and in the
// changes a resume reports, and cdrl-train shows them as the flags the user types (flagWords).
// Config fields without a flag are listed in main_test.go's noFlag; a test keeps the two
// complete. --warmup sets both warmups.
var settingFlags = map[string]string{
	"Config.Data": "data", "Config.Arch": "arch", "Config.EBMGraph": "ebm", "Config.InitGraph": "initializer",
	"Config.IO": "io", "Config.Freeze": "freeze", "Config.Conditional": "conditional", "Config.LabelDropout": "label-dropout",
	"Config.Levels": "levels", "Config.LangevinSteps": "langevin-steps", "Config.Seed": "seed", "Config.LevelWeights": "level-weights",
	"Config.Iters": "iters", "Config.Batch": "batch", "Config.EBMLR": "ebm-lr", "Config.InitLR": "init-lr",
	"Config.EBMWarmup": "warmup", "Config.InitWarmup": "warmup", "Config.EMA": "ema", "Config.Clip": "clip",
	"Config.MaxEnergy": "max-energy", "Config.Fused": "fused", "Config.LogEvery": "log-every", "Config.SampleEvery": "sample-every",
	"Config.CheckpointEvery": "checkpoint-every", "Config.KeepCheckpoints": "keep-checkpoints", "Config.SampleCount": "sample-count",
	"Options.Out": "out", "Options.Resume": "resume", "Options.Force": "force", "Options.TimeLimit": "minutes",
}

func newApp() *ucli.App {
	return &ucli.App{
		Name:  "cdrl-train",
		Usage: "train a CDRL energy-based model and its initializer",
		Description: `Defaults depend on the data: the 2-D toy sets train the small toy networks (batch 512,
15 Langevin steps, 6000 iterations); image data trains MNIST tier S (batch 32, 10 steps, 3000
iterations); CIFAR-10 (cifar10:DIR, or --arch cifar10 on any 3x32x32 data) trains the paper's
networks with its settings (batch 256, 15 steps, 500001 iterations). Flags left unset keep those
defaults. With --resume the run keeps its model settings
(--data, --arch, --conditional, --levels, --seed, ...; giving a different value is an error) and the
optimisation flags given replace the stored ones: --iters, --batch, --langevin-steps, learning
rates, warmup, EMA, clipping, intervals.

OUT receives checkpoint/ (resumable state), model/ (the inference bundle, EMA weights),
samples/step-NNNNNN.png and metrics.jsonl; a trainer holds a lock on OUT/.lock while it runs, so a
second trainer on the same OUT refuses and names the first one's process.

Examples:
   cdrl-train --data toy2d --out runs/toy
   cdrl-train --data mnist --conditional --out runs/mnist
   cdrl-train --out runs/mnist --resume --iters 6000 --ebm-lr 5e-5
   cdrl-train --data toy2d --ebm my_ebm.onnx --initializer my_init.onnx --out runs/mine
   mpirun -np 4 bin/cdrl-train --data mnist --batch 16 --out runs/mnist4   (make mpi builds bin/)

Under mpirun (binaries built by make mpi) the processes train one run by data parallelism:
--batch is per process, rank 0 writes OUT, and --threads defaults to the cores of a machine
shared among its processes; --device cuda gives each process the GPU of its local rank.`,
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "data", Category: catData, EnvVars: []string{"CDRL_DATA"}, Usage: "toy2d[:squares|rings|moons|8gaussians], mnist[:DIR], cifar10:DIR or images:DIR (required for a new run; a resumed run keeps its own)"},
			&ucli.StringFlag{Name: "out", Required: true, Category: catOutput, Usage: "run folder `DIR`"},
			&ucli.StringFlag{Name: "arch", Category: catData, Usage: "network preset: " + strings.Join(cdrl.ArchNames(), ", ") + " (default: toy-small for 2-D data, mnist-s for images, cifar10 for cifar10:DIR); the cifar10 presets start from the paper's CIFAR-10 settings (batch 256, 15 steps, lr 1e-4 and 1e-5, warmup 10000, EMA 0.9999, 500001 iterations)"},
			&ucli.StringFlag{Name: "ebm", Category: catData, Usage: "train this EBM graph `FILE.onnx` instead of a preset (inputs x, logsnr[, class]; output energy)"},
			&ucli.StringFlag{Name: "initializer", Category: catData, Usage: "with --ebm: the initializer graph `FILE.onnx` (inputs x, logsnr[, class]; output y)"},
			&ucli.StringFlag{Name: "io", Category: catData, Usage: "map contract names to the user graphs' names, e.g. `x=input_0,energy=output_0`"},
			&ucli.StringFlag{Name: "freeze", Category: catData, Usage: "`REGEXP` of user-graph initializers to keep constant"},
			&ucli.BoolFlag{Name: "conditional", Category: catData, Usage: "class-conditional model with label dropout (for classifier-free guidance)"},
			&ucli.Float64Flag{Name: "label-dropout", Category: catData, DefaultText: dflt(func(c train.Config) any { return c.LabelDropout }), Usage: "probability of training on the null class"},
			&ucli.IntFlag{Name: "levels", Category: catData, DefaultText: dflt(func(c train.Config) any { return c.Levels }), Usage: "noise levels T"},
			&ucli.IntFlag{Name: "langevin-steps", Category: catData, DefaultText: dflt(func(c train.Config) any { return c.LangevinSteps }), Usage: "Langevin steps K per level in training"},
			&ucli.Uint64Flag{Name: "seed", Category: catData, DefaultText: dflt(func(c train.Config) any { return c.Seed }), Usage: "random seed of the run and the initial weights"},
			&ucli.StringFlag{Name: "level-weights", Category: catOptim, DefaultText: "uniform",
				Usage: "relative frequencies `W1,...,WT` of the transitions t = 1..T in each batch, e.g. 1,1,1,3,3,3 to train the noisier ones more"},
			&ucli.Float64Flag{Name: "minutes", Category: catOptim, DefaultText: "no limit",
				Usage: "end the run after this many minutes of training, at an iteration boundary, writing its checkpoint, model and pictures as at --iters (--resume continues it)"},
			&ucli.IntFlag{Name: "iters", Category: catOptim, DefaultText: dflt(func(c train.Config) any { return c.Iters }), Usage: "total iterations of the run"},
			&ucli.IntFlag{Name: "batch", Category: catOptim, DefaultText: dflt(func(c train.Config) any { return c.Batch }), Usage: "samples per iteration (per process under mpirun: the global batch is N times this)"},
			&ucli.Float64Flag{Name: "ebm-lr", Category: catOptim, DefaultText: dflt(func(c train.Config) any { return c.EBMLR }), Usage: "EBM Adam learning rate"},
			&ucli.Float64Flag{Name: "init-lr", Category: catOptim, DefaultText: dflt(func(c train.Config) any { return c.InitLR }), Usage: "initializer AdamW learning rate"},
			&ucli.IntFlag{Name: "warmup", Category: catOptim, DefaultText: dflt(func(c train.Config) any { return c.EBMWarmup }), Usage: "learning-rate warmup iterations of both networks"},
			&ucli.Float64Flag{Name: "ema", Category: catOptim, DefaultText: dflt(func(c train.Config) any { return c.EMA }), Usage: "EMA decay"},
			&ucli.Float64Flag{Name: "clip", Category: catOptim, DefaultText: dflt(func(c train.Config) any { return c.Clip }), Usage: "global gradient-norm clip, 0 = off"},
			&ucli.Float64Flag{Name: "max-energy", Category: catOptim, DefaultText: dflt(func(c train.Config) any { return c.MaxEnergy }), Usage: "stop as diverged when a mean energy exceeds this magnitude"},
			&ucli.BoolFlag{Name: "fused", Category: catOptim, Usage: "run the K Langevin steps as one ONNX Runtime program (default: on with a CUDA device, off on the CPU)"},
			&ucli.IntFlag{Name: "log-every", Category: catOutput, DefaultText: dflt(func(c train.Config) any { return c.LogEvery }), Usage: "iterations between progress/metrics lines"},
			&ucli.IntFlag{Name: "sample-every", Category: catOutput, DefaultText: dflt(func(c train.Config) any { return c.SampleEvery }), Usage: "iterations between sample pictures (0 = only at the end)"},
			&ucli.IntFlag{Name: "checkpoint-every", Category: catOutput, DefaultText: dflt(func(c train.Config) any { return c.CheckpointEvery }), Usage: "iterations between checkpoints (0 = only at the end)"},
			&ucli.IntFlag{Name: "keep-checkpoints", Category: catOutput, DefaultText: dflt(func(c train.Config) any { return c.KeepCheckpoints }), Usage: "checkpoints kept"},
			&ucli.IntFlag{Name: "sample-count", Category: catOutput, DefaultText: dflt(func(c train.Config) any { return c.SampleCount }), Usage: "samples per picture"},
			&ucli.BoolFlag{Name: "resume", Category: catOutput, Usage: "continue the run in OUT from its newest checkpoint"},
			&ucli.BoolFlag{Name: "force", Category: catOutput, Usage: "start afresh in a non-empty OUT"},
		}, cli.RuntimeFlags()...),
		Action: func(c *ucli.Context) error {
			if !c.Bool("resume") && c.String("data") == "" {
				return fmt.Errorf("cdrl-train: --data is required for a new run (toy2d, mnist, ...)")
			}
			cfg, err := configFrom(c)
			if err != nil {
				return err
			}
			minutes := c.Float64("minutes")
			if !(minutes >= 0) || math.IsInf(minutes, 0) {
				return fmt.Errorf("cdrl-train: --minutes %v: want a number of minutes >= 0 (0: no limit)", minutes)
			}
			world, err := mpi.Init()
			if err != nil {
				return err
			}
			defer world.Close()
			rt := cli.RuntimeFrom(c)
			if world.Size() > 1 && !c.IsSet(cli.ThreadsFlag.Name) {
				rt.Threads = threadsPerRank(world)
			}
			sess, err := rt.Init()
			if err != nil {
				return err
			}
			if world.Size() > 1 && sess.Provider == "cuda" {
				sess.Provider = fmt.Sprintf("cuda:%d", world.LocalRank()) // one GPU per rank on its machine
			}
			err = train.Run(c.Context, cfg, train.Options{
				Out: c.String("out"), Resume: c.Bool("resume"), Force: c.Bool("force"), TimeLimit: time.Duration(minutes * float64(time.Minute)),
				Set: setFields(c), Session: sess, Stdout: flagWriter{c.App.Writer}, Group: world,
			})
			if err != nil {
				err = flagError{err}
			}
			if err != nil && world.Size() > 1 && !errors.Is(err, context.Canceled) {
				// The other ranks may wait in a collective call for this one: end the job.
				fmt.Fprintf(c.App.ErrWriter, "cdrl-train: rank %d of %d: %v\n", world.Rank(), world.Size(), err)
				world.Abort(1)
			}
			return err
		},
	}
}

// setFields names the Config fields whose flags were given (train.Options.Set).
func setFields(c *ucli.Context) map[string]bool {
	set := map[string]bool{}
	for field, flag := range settingFlags {
		if name, ok := strings.CutPrefix(field, "Config."); ok && c.IsSet(flag) {
			set[name] = true
		}
	}
	return set
}

// fieldRef matches a qualified train setting, "Config.Batch" or "Options.Out".
var fieldRef = regexp.MustCompile(`\b(?:Config|Options)\.[A-Z][A-Za-z0-9]*\b`)

// flagWords rewrites the train settings named in s as the flags that set them; a setting
// without a flag stays as it is.
func flagWords(s string) string {
	return fieldRef.ReplaceAllStringFunc(s, func(ref string) string {
		if flag, ok := settingFlags[ref]; ok {
			return "--" + flag
		}
		return ref
	})
}

// flagError is an error of train.Run worded with cdrl-train's flags; errors.Is and errors.As
// see the error it wraps.
type flagError struct{ err error }

func (e flagError) Error() string { return flagWords(e.err.Error()) }
func (e flagError) Unwrap() error { return e.err }

// flagWriter passes train.Run's progress lines on, worded with cdrl-train's flags. train
// writes each line with one call, so a setting's name is never split across writes.
type flagWriter struct{ w io.Writer }

func (f flagWriter) Write(p []byte) (int, error) {
	if !fieldRef.Match(p) {
		return f.w.Write(p)
	}
	if _, err := io.WriteString(f.w, flagWords(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// threadsPerRank shares this machine's cores among the job's processes on it, so that ranks on
// one machine do not oversubscribe it.
func threadsPerRank(w *mpi.World) int { return max(1, runtime.NumCPU()/max(1, w.LocalSize())) }

// configFrom starts from the data's defaults and applies the flags that were set.
func configFrom(c *ucli.Context) (train.Config, error) {
	cfg := train.Defaults(c.String("data"))
	if c.IsSet("arch") {
		cfg = train.DefaultsFor(c.String("data"), c.String("arch"))
	}
	setInt := func(name string, dst *int) {
		if c.IsSet(name) {
			*dst = c.Int(name)
		}
	}
	setF := func(name string, dst *float64) {
		if c.IsSet(name) {
			*dst = c.Float64(name)
		}
	}
	if c.IsSet("ebm") || c.IsSet("initializer") {
		cfg.Arch, cfg.StepMode = "imported", "" // the step sizes follow the data
		cfg.EBMGraph, cfg.InitGraph = c.String("ebm"), c.String("initializer")
		cfg.IO, cfg.Freeze = c.String("io"), c.String("freeze")
	}
	cfg.Conditional = c.Bool("conditional")
	if c.IsSet("seed") {
		cfg.Seed = c.Uint64("seed")
	}
	cfg.Fused, cfg.FusedSet = c.Bool("fused"), c.IsSet("fused")
	setF("label-dropout", &cfg.LabelDropout)
	setInt("levels", &cfg.Levels)
	setInt("langevin-steps", &cfg.LangevinSteps)
	setInt("iters", &cfg.Iters)
	setInt("batch", &cfg.Batch)
	setF("ebm-lr", &cfg.EBMLR)
	setF("init-lr", &cfg.InitLR)
	if c.IsSet("warmup") {
		cfg.EBMWarmup, cfg.InitWarmup = c.Int("warmup"), c.Int("warmup")
	}
	setF("ema", &cfg.EMA)
	setF("clip", &cfg.Clip)
	setF("max-energy", &cfg.MaxEnergy)
	setInt("log-every", &cfg.LogEvery)
	setInt("sample-every", &cfg.SampleEvery)
	setInt("checkpoint-every", &cfg.CheckpointEvery)
	setInt("keep-checkpoints", &cfg.KeepCheckpoints)
	setInt("sample-count", &cfg.SampleCount)
	if c.IsSet("level-weights") {
		ws, err := cli.ParseWeights("level-weights", c.String("level-weights"))
		if err != nil {
			return cfg, err
		}
		cfg.LevelWeights = ws
	}
	return cfg, nil
}
