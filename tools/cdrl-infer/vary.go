package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

// varyOptions are the flags of `cdrl-infer vary`.
type varyOptions struct {
	genOptions
	Class, Image string
	Level        int
}

func varyCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "vary",
		Usage: "draw variations of an image: noise it to a level and sample back from there",
		Description: `Noises --image to --level (alpha_t x + sbar_t noise, a fresh draw per variation) and
samples each variation back to data from that level, as sampling does from the top. Low
levels keep the image's strokes and change details; high levels keep only its rough layout
(level 6, the top, keeps almost nothing). With --n 1 the output is one image of the input's
size; with --n N > 1 a grid, or .npy (N,C,H,W).

Examples:
   cdrl-infer vary --image digit.png --level 3 --n 16 --out variations.png
   cdrl-infer vary --model runs/mnist/model --image digit.png --level 4 --class 7 --out seven.png`,
		Flags: sampleFlags(
			&ucli.StringFlag{Name: "image", Required: true, Category: cli.CategoryIO, Usage: "the image to vary, `IN.png` (or .jpg), the model's size"},
			&ucli.IntFlag{Name: "level", Value: 3, Category: categorySampling, Usage: "noise level `L` to start from, 1..T (levels count from 0, the data, to T, pure noise)"},
			&ucli.StringFlag{Name: "out", Required: true, Category: cli.CategoryIO, Usage: "output `OUT.png` (one image with --n 1, else a grid) or .npy"},
			&ucli.IntFlag{Name: "n", Value: 1, Category: categorySampling, Usage: "number of variations `N`"},
			classFlag, guidanceFlag,
		),
		Action: func(c *ucli.Context) error {
			return runVary(c.Context, varyOptions{
				genOptions: genFrom(c), Class: c.String(classFlag.Name), Image: c.String("image"), Level: c.Int("level"),
			}, c.App.Writer)
		},
	}
}

func runVary(ctx context.Context, o varyOptions, stdout io.Writer) error {
	start := time.Now()
	j, err := openImageJob("vary", o.genOptions, o.Class, o.Image)
	if err != nil {
		return err
	}
	defer j.m.Close()
	sched := j.m.s.Schedule()
	if o.Level < 1 || o.Level > sched.Levels {
		return fmt.Errorf("--level %d: want 1..%d (the model's levels)", o.Level, sched.Levels)
	}
	// The start: the image noised to the level, one noise draw per variation from --seed.
	x := make([]float32, o.N*len(j.img))
	infer.Normal(x, rand.New(rand.NewPCG(o.Seed, 0x76617279)))
	if err := sched.Noise(x, j.img, x, o.Level); err != nil {
		return err
	}
	x, err = j.m.s.SampleFrom(ctx, x, o.N, o.Level, j.so)
	if err != nil {
		return err
	}
	if err := writeImages(o.Out, j.ext, x, o.N, j.c, j.h, j.w); err != nil {
		return err
	}
	if j.note != "" {
		fmt.Fprintln(stdout, j.note)
	}
	fmt.Fprintf(stdout, "%s from %s, %s, seed %d; started at level %d of %d (signal %.3f of the image)\n",
		plural(o.N, "variation"), j.m.describe(), conditioning(j.m.b.Label(j.so.Class), j.m.s.GuidanceWeight(j.so.Guidance)), o.Seed, o.Level, sched.Levels,
		float32(sched.Alpha(o.Level)))
	cli.Done(stdout, start, o.Out)
	return nil
}
