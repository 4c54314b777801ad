package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

// sampleOptions are the flags of `cdrl-infer sample`.
type sampleOptions struct {
	genOptions
	Class string
}

func sampleCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "sample",
		Usage: "draw samples from a trained model (noise -> data, level by level)",
		Description: `Draws N samples: at every noise level an initializer proposal refined by Langevin steps
on the energy, then (images) a final denoising step. A conditional model samples --class
(a label of its manifest) with classifier-free guidance --guidance, every class with
--class all (N samples per class, one grid row each), or unconditionally without --class. The output format follows the --out extension: .png (a grid of images, or a
scatter picture of 2-D points), .npy (float32, (N,C,H,W) images or (N,2) points) or .csv
(points, header x,y). .npy and .csv are written chunk by chunk as the samples are drawn
(--batch at a time), so memory stays bounded by the chunk however large N is; a PNG holds
every sample, and a grid too large to draw is refused before sampling.

Examples:
   cdrl-infer sample --n 64 --out samples.png
   cdrl-infer sample --model runs/mnist/model --n 16 --class 7 --guidance 1 --out sevens.png
   cdrl-infer sample --class all --n 10 --out digits.png       # N per class, one row per class
   cdrl-infer sample --model runs/toy/model --n 5000 --out points.csv
   cdrl-infer sample --model toy2d --n 5000 --steps 8 --seed 3 --out points.npy`,
		Flags: sampleFlags(
			&ucli.IntFlag{Name: "n", Required: true, Category: categorySampling, DefaultText: "none, required", Usage: "number of samples `N`"},
			&ucli.StringFlag{Name: "out", Required: true, Category: cli.CategoryIO, Usage: "output `FILE`: .png, .npy, or .csv (points)"},
			classFlag, guidanceFlag,
		),
		Action: func(c *ucli.Context) error {
			return runSample(c.Context, sampleOptions{genOptions: genFrom(c), Class: c.String(classFlag.Name)}, c.App.Writer)
		},
	}
}

func runSample(ctx context.Context, o sampleOptions, stdout io.Writer) error {
	start := time.Now()
	if err := o.check(); err != nil {
		return err
	}
	m, err := openModel(o.Model, o.Runtime)
	if err != nil {
		return err
	}
	defer m.Close()
	ext, err := outputFormat(o.Out, sampleFormats(m.manifest())...)
	if err != nil {
		return err
	}
	if o.Class == allClasses {
		return runSampleAll(ctx, o, m, ext, start, stdout)
	}
	id, err := m.classID(o.Class)
	if err != nil {
		return err
	}
	if err := checkGuidance(o.Guidance, id); err != nil {
		return err
	}
	so := o.sampleOptions(m)
	so.Class = id
	out := samplesOut{path: o.Out, ext: ext, m: m.manifest(), flagN: o.N, n: o.N, cols: gridCols(o.N)}
	if err := out.write(so, func(so infer.SampleOptions) ([]float32, error) { return m.s.Sample(ctx, o.N, so) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d samples from %s, %s, seed %d\n", o.N, m.describe(), conditioning(m.b.Label(id), m.s.GuidanceWeight(so.Guidance)), o.Seed)
	cli.Done(stdout, start, o.Out)
	return nil
}

// conditioning describes the class and guidance of a run.
func conditioning(label string, w float64) string {
	if label == "" {
		return "unconditional"
	}
	return fmt.Sprintf("class %s, guidance %g", label, w)
}

// allClasses is the --class value that samples every class of a conditional model.
const allClasses = "all"

// runSampleAll draws N guided samples of every class, one grid row per class.
func runSampleAll(ctx context.Context, o sampleOptions, m *model, ext string, start time.Time, stdout io.Writer) error {
	labels := m.manifest().Classes
	if len(labels) == 0 {
		return fmt.Errorf("--class all: %s is unconditional (its manifest lists no classes)", m.spec)
	}
	if err := checkGuidance(o.Guidance, 1); err != nil {
		return err
	}
	so := o.sampleOptions(m)
	for i := range labels {
		for j := 0; j < o.N; j++ {
			so.Classes = append(so.Classes, int64(i+1))
		}
	}
	total := len(so.Classes)
	out := samplesOut{path: o.Out, ext: ext, m: m.manifest(), flagN: o.N, n: total, cols: o.N}
	if err := out.write(so, func(so infer.SampleOptions) ([]float32, error) { return m.s.Sample(ctx, total, so) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d samples of each of %d classes from %s, guidance %g, seed %d\n", o.N, len(labels), m.describe(), m.s.GuidanceWeight(so.Guidance), o.Seed)
	cli.Done(stdout, start, o.Out)
	return nil
}
