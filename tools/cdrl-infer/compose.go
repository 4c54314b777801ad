package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

// composeOptions are the flags of `cdrl-infer compose`.
type composeOptions struct {
	genOptions
	Classes string
}

func composeCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "compose",
		Usage: "sample a composition of classes of a conditional model (product of experts)",
		Description: `Samples from the composed energy f(0) + (1+W) * sum_j (f(c_j) - f(0)) of the classes c_j
(labels of the model's manifest), with the same combination of initializer means; all classes
run in one batch per step. Output as for sample: .png grid, .npy, or .csv for points.

Examples:
   cdrl-infer compose --classes 1,7 --n 16 --out one-seven.png
   cdrl-infer compose --model runs/mnist/model --classes 3,8 --guidance 2 --n 64 --out mix.npy`,
		Flags: sampleFlags(
			&ucli.StringFlag{Name: "classes", Required: true, Category: categoryModel, Usage: "comma-separated class `LABELS` to compose, e.g. 1,7"},
			&ucli.IntFlag{Name: "n", Required: true, Category: categorySampling, DefaultText: "none, required", Usage: "number of samples `N`"},
			&ucli.StringFlag{Name: "out", Required: true, Category: cli.CategoryIO, Usage: "output `FILE`: .png, .npy, or .csv (points)"},
			guidanceFlag,
		),
		Action: func(c *ucli.Context) error {
			return runCompose(c.Context, composeOptions{genOptions: genFrom(c), Classes: c.String("classes")}, c.App.Writer)
		},
	}
}

func runCompose(ctx context.Context, o composeOptions, stdout io.Writer) error {
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
	if len(m.manifest().Classes) == 0 {
		return fmt.Errorf("--classes: %s is unconditional (its manifest lists no classes); composition needs a class-conditional model", m.spec)
	}
	var ids []int64
	var labels []string
	for _, l := range strings.Split(o.Classes, ",") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		id, err := m.s.ClassID(l)
		if err != nil {
			return fmt.Errorf("--classes %s: %w", o.Classes, err)
		}
		ids, labels = append(ids, id), append(labels, l)
	}
	if len(ids) == 0 {
		return errors.New("--classes: no class labels given; pass e.g. --classes 1,7")
	}
	so := o.sampleOptions(m)
	out := samplesOut{path: o.Out, ext: ext, m: m.manifest(), flagN: o.N, n: o.N, cols: gridCols(o.N)}
	if err := out.write(so, func(so infer.SampleOptions) ([]float32, error) { return m.s.Compose(ctx, o.N, ids, so) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d samples from %s, classes %s composed with guidance %g, seed %d\n", o.N, m.describe(), strings.Join(labels, "+"), m.s.GuidanceWeight(so.Guidance), o.Seed)
	cli.Done(stdout, start, o.Out)
	return nil
}
