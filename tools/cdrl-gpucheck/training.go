package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train"
)

// warmupIters are the first training iterations left out of the timing: the first runs of
// every program on a GPU pick their kernels and fill the memory pools.
const warmupIters = 2

// dataShape is the (C, H, W) of the synthetic images a preset trains on: CIFAR-10's for the
// cifar10 presets, MNIST's for the others.
func dataShape(arch string) [3]int {
	if strings.HasPrefix(arch, "cifar10") {
		return [3]int{3, 32, 32}
	}
	return [3]int{1, 28, 28}
}

// writeSyntheticImages writes n PNG images of random pixels with the given (C, H, W), C 1
// (grey) or 3 (RGB), into dir, from a fixed seed: training speed does not depend on what the
// images show. The folder opens as images:DIR with that shape.
func writeSyntheticImages(dir string, shape [3]int, n int) error {
	rng := rand.New(rand.NewPCG(1, 0))
	r := image.Rect(0, 0, shape[2], shape[1])
	for i := range n {
		var img image.Image
		if shape[0] == 1 {
			g := image.NewGray(r)
			for j := range g.Pix {
				g.Pix[j] = byte(rng.Uint32())
			}
			img = g
		} else {
			c := image.NewNRGBA(r)
			for j := range c.Pix {
				c.Pix[j] = byte(rng.Uint32())
				if j%4 == 3 {
					c.Pix[j] = 255 // opaque
				}
			}
			img = c
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d.png", i)), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("synthetic data: %w", err)
		}
	}
	return nil
}

// trainingResult is one training run on the GPU.
type trainingResult struct {
	Device       string
	Fused        bool
	Arch         string
	Shape        [3]int // of the synthetic images
	Batch, Iters int
	Figures      trainingFigures
	Total        time.Duration // the whole train.Run, program building and export included
	Err          error
}

// trainingFigures are the per-iteration averages of a run's metrics after the warm-up.
type trainingFigures struct {
	SecondsPerIter float64
	MBIn, MBOut    float64 // 10^6 bytes handed to ONNX Runtime and taken back per iteration
}

func modeName(fused bool) string {
	if fused {
		return "fused"
	}
	return "stepped from Go"
}

func trainingName(fused bool, device string) string {
	return fmt.Sprintf("training %s on %s", modeName(fused), device)
}

func (t trainingResult) check(device string) check {
	c := check{Name: trainingName(t.Fused, device), Status: statusPass}
	if t.Err != nil {
		c.Status, c.Detail = statusFail, t.Err.Error()
		return c
	}
	c.Detail = fmt.Sprintf("%.3f s/it, %.1f MB in and %.1f MB out per iteration", t.Figures.SecondsPerIter, t.Figures.MBIn, t.Figures.MBOut)
	return c
}

// checkTraining trains o.Iters iterations of o.Arch at batch o.Batch on synthetic images of its
// shape (dataShape) on the GPU (sess), stepping the Langevin chains from Go and then fused. A failed run is
// reported in its result; the error is for what keeps both from starting.
func checkTraining(ctx context.Context, o options, sess ort.SessionConfig, log io.Writer) ([]trainingResult, error) {
	tmp, err := os.MkdirTemp("", "cdrl-gpucheck-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	data := filepath.Join(tmp, "images")
	if err := os.Mkdir(data, 0o755); err != nil {
		return nil, err
	}
	// Enough images that a batch draws distinct ones.
	if err := writeSyntheticImages(data, dataShape(o.Arch), max(64, o.Batch)); err != nil {
		return nil, err
	}
	var results []trainingResult
	for _, fused := range []bool{false, true} {
		fmt.Fprintf(log, "training %s, batch %d, %d iterations, %s on %s ...\n", o.Arch, o.Batch, o.Iters, modeName(fused), sess.Provider)
		r := trainingResult{Device: sess.Provider, Fused: fused, Arch: o.Arch, Shape: dataShape(o.Arch), Batch: o.Batch, Iters: o.Iters}
		r.Figures, r.Total, r.Err = trainOnce(ctx, o, sess, "images:"+data, filepath.Join(tmp, fmt.Sprintf("run-fused-%v", fused)), fused, log)
		results = append(results, r)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return results, nil
}

// trainOnce runs train.Run into out and reads its metrics.
func trainOnce(ctx context.Context, o options, sess ort.SessionConfig, data, out string, fused bool, log io.Writer) (trainingFigures, time.Duration, error) {
	cfg := train.DefaultsFor(data, o.Arch)
	cfg.Batch, cfg.Iters = o.Batch, o.Iters
	cfg.Fused, cfg.FusedSet = fused, true
	// A metrics line every iteration, one checkpoint and a small picture at the end only.
	cfg.LogEvery, cfg.SampleEvery, cfg.CheckpointEvery, cfg.SampleCount = 1, 0, 0, 4
	start := time.Now()
	if err := train.Run(ctx, cfg, train.Options{Out: out, Session: sess, Stdout: log}); err != nil {
		return trainingFigures{}, time.Since(start), err
	}
	total := time.Since(start)
	ms, err := readMetrics(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		return trainingFigures{}, total, err
	}
	f, err := summarise(ms, warmupIters)
	return f, total, err
}

// readMetrics reads the lines of a run's metrics.jsonl.
func readMetrics(path string) ([]train.Metrics, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ms []train.Metrics
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var m train.Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ms = append(ms, m)
	}
	return ms, sc.Err()
}

// summarise averages the metrics of the iterations after the first skip (one line per
// iteration, steps 1..N in order): the seconds per iteration from the wall times logged at
// step skip and step N, and the traffic of steps skip+1..N.
func summarise(ms []train.Metrics, skip int) (trainingFigures, error) {
	if len(ms) <= skip {
		return trainingFigures{}, fmt.Errorf("metrics: %d lines, want more than %d", len(ms), skip)
	}
	for i, m := range ms {
		if m.Step != i+1 {
			return trainingFigures{}, fmt.Errorf("metrics: line %d is step %d, want one line per iteration from step 1", i+1, m.Step)
		}
	}
	timed := ms[skip:]
	n := float64(len(timed))
	var f trainingFigures
	f.SecondsPerIter = ms[len(ms)-1].Seconds / n
	if skip > 0 {
		f.SecondsPerIter = (ms[len(ms)-1].Seconds - ms[skip-1].Seconds) / n
	}
	for _, m := range timed {
		f.MBIn += float64(m.Traffic.BytesIn) / 1e6 / n
		f.MBOut += float64(m.Traffic.BytesOut) / 1e6 / n
	}
	return f, nil
}
