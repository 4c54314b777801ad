package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
)

// energyModelOptions are the flags of `cdrl-infer energy --model`.
type energyModelOptions struct {
	Model, Input, Class, Out string
	Level, Batch             int
	Runtime                  cli.Runtime
}

// runEnergyModel writes the energy of a trained model at a noise level, and its gradient with
// respect to the inputs, for the inputs of --input.
func runEnergyModel(ctx context.Context, o energyModelOptions, stdout io.Writer) error {
	start := time.Now()
	if o.Batch < 0 {
		return fmt.Errorf("--batch %d: want 0 (all at once) or more", o.Batch)
	}
	m, err := openModel(o.Model, o.Runtime)
	if err != nil {
		return err
	}
	defer m.Close()
	levels := m.manifest().Schedule.Levels
	if o.Level < 0 || o.Level >= levels {
		return fmt.Errorf("--level %d: the model's levels are 0..%d (0 = least noisy)", o.Level, levels-1)
	}
	tr, err := m.s.Transition(o.Level)
	if err != nil {
		return fmt.Errorf("--level %d: %w", o.Level, err)
	}
	id, err := m.classID(o.Class)
	if err != nil {
		return err
	}
	in, err := readInputs(o.Input, m.manifest())
	if err != nil {
		return err
	}
	d := m.dim()
	grad := make([]float32, 0, len(in.x))
	energy, err := chunked(in.n, o.Batch, func(lo, hi int) ([]float32, error) {
		var classes []int64
		if len(m.manifest().Classes) > 0 {
			classes = make([]int64, hi-lo)
			for i := range classes {
				classes[i] = id
			}
		}
		f, g, err := m.s.Energy(ctx, in.x[lo*d:hi*d], hi-lo, o.Level, classes)
		grad = append(grad, g...)
		return f, err
	})
	if err != nil {
		return err
	}
	// Energy's gradient is df/dy at y = sqrt(m) x; the chain rule gives df/dx.
	scale := float32(math.Sqrt(tr.M))
	for i := range grad {
		grad[i] *= scale
	}
	et := tensor.FromFloat32(energy, in.n)
	gt := tensor.FromFloat32(grad, in.shape...)
	for name, t := range map[string]*tensor.Tensor{"energy": et, "grad": gt} {
		if err := t.CheckFinite(); err != nil {
			return fmt.Errorf("--model %s: %s is not finite: %w", o.Model, name, err)
		}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	ePath, gPath := filepath.Join(o.Out, "energy.npy"), filepath.Join(o.Out, "grad.npy")
	if err := tensor.WriteNpyFile(ePath, et); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := tensor.WriteNpyFile(gPath, gt); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(stdout, "%d inputs at level %d (logSNR %.6g) of %s, %s; log-density = energy / s^2 = energy * %.6g\n",
		in.n, o.Level, tr.LogSNROut, m.describe(), conditioning(m.b.Label(id), 0), 1/tr.S2)
	cli.Done(stdout, start, ePath, gPath)
	return nil
}
