package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

// inpaintOptions are the flags of `cdrl-infer inpaint`.
type inpaintOptions struct {
	genOptions
	Class, Image, Mask string
	Invert             bool
	Resample           int
}

func inpaintCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "inpaint",
		Usage: "fill in the masked part of an image",
		Description: `Completes --image where --mask is white: the mask is read as grayscale (alpha ignored),
level >= 128 (white) = generate, < 128 (black) = keep; --invert-mask swaps the two. Mask and
image must have the model's size. At every noise level the kept pixels are replaced by the
image noised to that level, before and during the Langevin refinement; the output keeps them
exactly. --resample R repeats every level R more times, noising its result back first, so the
generated part follows the kept one more closely (R+1 times the work). A conditional model
first infers the class from the kept pixels (--class auto, the default; infer's ClassPosterior:
the initializer read as a class-conditional denoiser), prints the most probable classes and
completes with the most probable one under guidance. Where the missing part decides the digit,
as for a lower half, this keeps the digit far more often than the null class (--class none);
where the kept pixels are scattered over the whole image the null class keeps it about as well,
and a small --guidance (1) costs the inferred class least. With --n 1 the output is one image
of the input's size (grayscale PNG for a 1-channel model); with --n N > 1 a grid of N
candidates, or .npy (N,C,H,W).

Examples:
   cdrl-infer inpaint --image digit.png --mask right-half.png --out filled.png
   cdrl-infer inpaint --model runs/mnist/model --image digit.png --mask hole.png --n 16 --out candidates.png
   cdrl-infer inpaint --image digit.png --mask keep-white.png --invert-mask --class 3 --out three.png
   cdrl-infer inpaint --image digit.png --mask scattered.png --guidance 1 --out filled.png
   cdrl-infer inpaint --image digit.png --mask lower-half.png --class none --resample 4 --out filled.png`,
		Flags: sampleFlags(
			&ucli.StringFlag{Name: "image", Required: true, Category: cli.CategoryIO, Usage: "the image to complete, `IN.png` (or .jpg), the model's size"},
			&ucli.StringFlag{Name: "mask", Required: true, Category: cli.CategoryIO, Usage: "`MASK.png` (or .jpg) of the image's size: white = generate, black = keep"},
			&ucli.BoolFlag{Name: "invert-mask", Category: cli.CategoryIO, Usage: "white = keep, black = generate"},
			&ucli.StringFlag{Name: "out", Required: true, Category: cli.CategoryIO, Usage: "output `OUT.png` (one image with --n 1, else a grid) or .npy"},
			&ucli.IntFlag{Name: "n", Value: 1, Category: categorySampling, Usage: "number of candidates `N`"},
			&ucli.IntFlag{Name: "resample", Category: categorySampling, Usage: "repeat every level `R` more times after noising its result back (0 = plain replacement)"},
			inpaintClassFlag, guidanceFlag,
		),
		Action: func(c *ucli.Context) error {
			return runInpaint(c.Context, inpaintOptions{
				genOptions: genFrom(c), Class: c.String(inpaintClassFlag.Name),
				Image: c.String("image"), Mask: c.String("mask"), Invert: c.Bool("invert-mask"),
				Resample: c.Int("resample"),
			}, c.App.Writer)
		},
	}
}

// The --class values of inpaint besides labels: infer the class from the kept pixels (the
// default for a conditional model), or use the null class.
const (
	autoClass = "auto"
	nullClass = "none"
)

// inpaintClassFlag is --class of inpaint, which also takes auto and none.
var inpaintClassFlag = &ucli.StringFlag{
	Name: "class", Category: categoryModel, DefaultText: "auto for a conditional model",
	Usage: "class `LABEL` of a conditional model (a label of its manifest, e.g. 7); auto: the most probable class given the kept pixels; none: unconditional (the null class)",
}

func runInpaint(ctx context.Context, o inpaintOptions, stdout io.Writer) error {
	start := time.Now()
	if o.Resample < 0 {
		return fmt.Errorf("--resample %d: want 0 (plain replacement) or more", o.Resample)
	}
	j, err := openImageJob("inpaint", o.genOptions, o.Class, o.Image)
	if err != nil {
		return err
	}
	j.so.Resample = o.Resample
	defer j.m.Close()
	known, err := infer.ReadMask(o.Mask, j.c, j.h, j.w, o.Invert)
	if err != nil {
		return fmt.Errorf("--mask: %w", err)
	}
	var inferred infer.InferredClass
	j.so.Inferred = &inferred
	x, err := j.m.s.Inpaint(ctx, j.img, known, o.N, j.so)
	if err != nil {
		return err
	}
	label := o.Class
	switch {
	case j.so.Class == infer.AutoClass:
		label = printInferred(stdout, j.m.b.Classes, inferred)
	case label == nullClass:
		label = ""
	}
	if err := writeImages(o.Out, j.ext, x, o.N, j.c, j.h, j.w); err != nil {
		return err
	}
	h, w := j.h, j.w
	kept := 0
	for _, k := range known[:h*w] {
		if k {
			kept++
		}
	}
	if j.note != "" {
		fmt.Fprintln(stdout, j.note)
	}
	fmt.Fprintf(stdout, "%s from %s, %s, seed %d, resample %d; %d of %d pixels kept, %d generated\n",
		plural(o.N, "candidate"), j.m.describe(), conditioning(label, j.m.s.InpaintGuidanceWeight(j.so.Guidance)), o.Seed, o.Resample, kept, h*w, h*w-kept)
	cli.Done(stdout, start, o.Out)
	return nil
}

// plural returns "1 thing" or "N things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// printInferred prints the class inpaint inferred from the kept pixels, with the most probable
// classes, and returns its label.
func printInferred(stdout io.Writer, labels []string, inferred infer.InferredClass) string {
	p := inferred.Posterior
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] > p[order[b]] })
	var top []string
	for _, c := range order[:min(3, len(order))] {
		top = append(top, fmt.Sprintf("%s %.3f", labels[c], p[c]))
	}
	label := labels[inferred.Class-1]
	fmt.Fprintf(stdout, "class inferred from the kept pixels: %s (most probable: %s)\n", label, strings.Join(top, ", "))
	return label
}
