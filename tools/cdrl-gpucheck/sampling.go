package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
)

// defaultTolerance is the largest relative L2 difference (||gpu - cpu|| / ||cpu||) between
// the samples of the two devices that passes. The two never agree exactly: CUDA kernels sum in
// another order, and on Ampere and later GPUs ONNX Runtime's CUDA provider runs float32
// convolutions and matrix products in TF32 by default (a 10-bit mantissa, about 5e-4 relative
// error per product), so one network call already differs by about 1e-3. Each sample then
// passes through 6 levels of K Langevin steps whose every step feeds the energy's gradient
// back into the chain, which amplifies those differences (most where a piecewise-linear
// activation switches). 2e-2 leaves room for that while a real fault (a wrong kernel, inputs
// or noise mixed up) shows as differences of order 1: a relative L2 of 0.5 or more between two
// sets of digits, and many pixels off by more than overThreshold.
const defaultTolerance = 2e-2

// overThreshold is the pixel difference (on the [-1, 1] scale) the report counts pixels above.
const overThreshold = 0.1

// diffStats compares a test set of values with a reference.
type diffStats struct {
	MaxAbs float64 // largest |test - ref|
	RelL2  float64 // ||test - ref|| / ||ref|| (||test - ref|| when ref is all zeros)
	Over   float64 // fraction of values with |test - ref| > overThreshold
}

// compare returns the differences of test from ref, which have the same length. A NaN in
// either makes MaxAbs and RelL2 NaN, so that no tolerance passes it.
func compare(ref, test []float32) diffStats {
	var d diffStats
	if len(ref) == 0 {
		return d
	}
	var num, den float64
	over := 0
	for i := range ref {
		a, b := float64(ref[i]), float64(test[i])
		e := math.Abs(b - a)
		if e > d.MaxAbs || math.IsNaN(e) {
			d.MaxAbs = e
		}
		if e > overThreshold || math.IsNaN(e) {
			over++
		}
		num += e * e
		den += a * a
	}
	if math.IsNaN(num) {
		d.MaxAbs = math.NaN()
	}
	d.RelL2 = math.Sqrt(num)
	if den > 0 {
		d.RelL2 /= math.Sqrt(den)
	}
	d.Over = float64(over) / float64(len(ref))
	return d
}

// samplingResult is the sampling agreement check.
type samplingResult struct {
	Device    string // the CUDA device
	Model     string
	N         int
	Class     string // "" unconditional
	Steps     int    // Langevin steps per level
	Levels    int
	Seed      uint64
	Threads   int // CPU threads (0 = one per core)
	Tolerance float64

	CPU, GPU, GPURerun time.Duration // one Sample call each
	Diff               diffStats     // GPU against CPU
	Rerun              diffStats     // the GPU's second run against its first
}

// pass reports whether the GPU's samples agree with the CPU's.
func (s *samplingResult) pass() bool { return s.Diff.RelL2 <= s.Tolerance }

func samplingName(device string) string { return "sampling: cpu vs " + device }

func (s *samplingResult) check() check {
	c := check{Name: samplingName(s.Device), Status: statusPass}
	cmp := "<="
	if !s.pass() {
		c.Status, cmp = statusFail, ">"
	}
	c.Detail = fmt.Sprintf("relative L2 %s %s %s; max abs %s; %s of pixels differ by > %g",
		sci(s.Diff.RelL2), cmp, sci(s.Tolerance), sci(s.Diff.MaxAbs), percent(s.Diff.Over), overThreshold)
	return c
}

// checkSampling samples o.N images of o.Class from o.Model with the same seed on the CPU
// (cpu) and twice on the GPU (gpu) and compares them.
func checkSampling(ctx context.Context, o options, cpu, gpu ort.SessionConfig) (*samplingResult, error) {
	b, err := cli.ReadModel("--model", o.Model)
	if err != nil {
		return nil, err
	}
	draw := func(cfg ort.SessionConfig, runs int) ([][]float32, []time.Duration, *infer.Sampler, error) {
		s, err := infer.NewSampler(b, cfg)
		if err != nil {
			return nil, nil, nil, err
		}
		defer s.Close()
		class, err := s.ClassID(o.Class)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--class: %w", err)
		}
		var outs [][]float32
		var times []time.Duration
		for range runs {
			start := time.Now()
			x, err := s.Sample(ctx, o.N, infer.SampleOptions{Seed: o.Seed, Class: class, Steps: o.Steps})
			if err != nil {
				return nil, nil, nil, fmt.Errorf("sample on %s: %w", cfg.Provider, err)
			}
			times = append(times, time.Since(start))
			outs = append(outs, x)
		}
		return outs, times, s, nil
	}
	ref, cpuTimes, s, err := draw(cpu, 1)
	if err != nil {
		return nil, err
	}
	got, gpuTimes, _, err := draw(gpu, 2)
	if err != nil {
		return nil, err
	}
	m := s.Manifest()
	steps := o.Steps
	if steps == 0 {
		steps = m.Langevin.Steps
	}
	return &samplingResult{
		Device: gpu.Provider, Model: o.Model, N: o.N, Class: o.Class, Steps: steps, Levels: m.Schedule.Levels,
		Seed: o.Seed, Threads: cpu.IntraOpThreads, Tolerance: o.Tolerance,
		CPU: cpuTimes[0], GPU: gpuTimes[0], GPURerun: gpuTimes[1],
		Diff: compare(ref[0], got[0]), Rerun: compare(got[0], got[1]),
	}, nil
}
