package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

// oodOptions are the flags of `cdrl-infer ood`.
type oodOptions struct {
	Model, Input, Out string
	Level             *int // nil: the manifest's ood_level
	Batch             int
	Runtime           cli.Runtime
}

func oodCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "ood",
		Usage: "out-of-distribution scores: higher = more like the training data",
		Description: `Scores every input by the model's energy at one noise level t, f(sqrt(m_t) x, lambda_t)
(the null class for conditional models); higher means more in-distribution. The level is the
model's ood_level, the one that separated outliers best when it was evaluated (0, the least
noisy, unless its manifest says otherwise); --level picks another. --input is a folder of
PNG/JPEG images (one row per file, by name), one image, an .npy array (N, shape...) or, for
points, a .csv; rows of an array are named by their index. Writes a CSV with the columns
input,score.

Examples:
   cdrl-infer ood --input test-images/ --out scores.csv
   cdrl-infer ood --model runs/mnist/model --input x.npy --level 0 --out scores.csv`,
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "input", Required: true, Category: cli.CategoryIO, Usage: "inputs: a `DIR` of images, an image, an .npy array (N, shape...) or (points) a .csv"},
			&ucli.StringFlag{Name: "out", Required: true, Category: cli.CategoryIO, Usage: "output `scores.csv` (columns input,score)"},
			&ucli.IntFlag{Name: "level", Category: categoryModel, DefaultText: "the model's ood_level",
				Usage: "noise level `L` whose energy scores, 0..T-1 (levels count from 0, the data, to T, pure noise)"},
			modelFlag, batchFlag,
		}, cli.RuntimeFlags()...),
		Action: func(c *ucli.Context) error {
			o := oodOptions{
				Model: c.String(modelFlag.Name), Input: c.String("input"), Out: c.String("out"),
				Batch: c.Int(batchFlag.Name), Runtime: cli.RuntimeFrom(c),
			}
			if c.IsSet("level") {
				l := c.Int("level")
				o.Level = &l
			}
			return runOOD(c.Context, o, c.App.Writer)
		},
	}
}

func runOOD(ctx context.Context, o oodOptions, stdout io.Writer) error {
	start := time.Now()
	if o.Batch < 0 {
		return fmt.Errorf("--batch %d: want 0 (all at once) or more", o.Batch)
	}
	if _, err := outputFormat(o.Out, extCSV); err != nil {
		return err
	}
	m, err := openModel(o.Model, o.Runtime)
	if err != nil {
		return err
	}
	defer m.Close()
	level := m.manifest().OODLevel
	if o.Level != nil {
		level = *o.Level
		if levels := m.manifest().Schedule.Levels; level < 0 || level >= levels {
			return fmt.Errorf("--level %d: want a noise level 0..%d of %s", level, levels-1, m.describe())
		}
	}
	in, err := readInputs(o.Input, m.manifest())
	if err != nil {
		return err
	}
	scores, err := chunked(in.n, o.Batch, func(lo, hi int) ([]float64, error) {
		return m.s.OODAt(ctx, in.x[lo*m.dim():hi*m.dim()], hi-lo, level)
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"input", "score"})
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range scores {
		cw.Write([]string{in.names[i], strconv.FormatFloat(s, 'g', -1, 32)})
		lo, hi = math.Min(lo, s), math.Max(hi, s)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("--out %s: %w", o.Out, err)
	}
	if err := writeOut(o.Out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d inputs scored by %s at level %d: scores from %.6g to %.6g (higher = more in-distribution)\n", in.n, m.describe(), level, lo, hi)
	cli.Done(stdout, start, o.Out)
	return nil
}

// chunked calls f on the ranges [lo, hi) of at most size of 0..n (all at once when size is 0)
// and concatenates the results.
func chunked[T any](n, size int, f func(lo, hi int) ([]T, error)) ([]T, error) {
	if size <= 0 {
		size = n
	}
	out := make([]T, 0, n)
	for lo := 0; lo < n; lo += size {
		part, err := f(lo, min(n, lo+size))
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}
