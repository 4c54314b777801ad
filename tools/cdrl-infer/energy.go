package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/models/cdrl"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

// energyOptions are the flags of `cdrl-infer energy`.
type energyOptions struct {
	Graph, Input, LogSNR, Class, Out, IO string
	Runtime                              cli.Runtime
}

func energyCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "energy",
		Usage: "energies and input gradients of an EBM graph or of a trained model's energy at a noise level",
		Description: `Two modes; pass exactly one of --graph and --model. Both write DIR/energy.npy (N) and
DIR/grad.npy (shaped like the input).

--graph FILE.onnx loads an EBM graph that follows the cdrl-go contract (inputs x, logsnr and
optionally class; output energy of shape (N) or (N,1), higher = more probable), derives its
input-gradient graph and evaluates it at x with the given logSNR (checks that an exported EBM
works with cdrl-go); grad is df/dx.

--model DIR|NAME evaluates a trained model's energy at noise level --level L (0..T-1, 0 = least
noisy): energy = f(sqrt(m) x, lambda_L) for inputs x at level L, and grad its gradient with
respect to x. energy / s^2 (printed) is the level's unnormalised log-density. --input is an
.npy array (N, shape...), an image (.png/.jpg) or, for points, a .csv; --class is a label
(unset: the null class).

Examples:
   cdrl-infer energy --graph ebm.onnx --input x.npy --logsnr logsnr.npy --out out/
   cdrl-infer energy --graph ebm.onnx --input x.npy --logsnr l.npy --class c.npy --out out/
   cdrl-infer energy --graph model.onnx --io x=input_0,energy=output_0 --input x.npy --logsnr l.npy --out out/
   cdrl-infer energy --model runs/toy/model --input points.csv --level 0 --out out/
   cdrl-infer energy --model runs/mnist/model --input digit.png --level 2 --class 7 --out out/`,
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "graph", Category: cli.CategoryIO, Usage: "EBM graph `FILE.onnx` (graph mode)"},
			&ucli.StringFlag{Name: "model", Category: categoryModel, Usage: "trained model (model mode): a bundle `DIR` or the NAME of an embedded model"},
			&ucli.StringFlag{Name: "input", Required: true, Category: cli.CategoryIO, Usage: "inputs `FILE`: X.npy (float32, (N,D) or (N,C,H,W)); model mode also .png/.jpg and (points) .csv"},
			&ucli.StringFlag{Name: "logsnr", Category: cli.CategoryIO, Usage: "graph mode: per-sample logSNR `L.npy` (float32, (N))"},
			&ucli.IntFlag{Name: "level", Category: categoryModel, Usage: "model mode: noise level `L` whose energy to read, 0..T-1 (levels count from 0, the data, to T, pure noise)"},
			&ucli.StringFlag{Name: "class", Category: cli.CategoryIO, Usage: "graph mode: class ids `C.npy` (int64, (N); 0 = null class); model mode: a class LABEL for every input (unset: null class)"},
			&ucli.StringFlag{Name: "out", Required: true, Category: cli.CategoryIO, Usage: "output `DIR` for energy.npy and grad.npy"},
			&ucli.StringFlag{Name: "io", Category: cli.CategoryIO, Usage: "graph mode: map contract names to the graph's, e.g. `x=input_0,energy=output_0`"},
			batchFlag,
		}, cli.RuntimeFlags()...),
		Action: func(c *ucli.Context) error {
			o := energyOptions{
				Graph: c.String("graph"), Input: c.String("input"), LogSNR: c.String("logsnr"),
				Class: c.String("class"), Out: c.String("out"), IO: c.String("io"),
				Runtime: cli.RuntimeFrom(c),
			}
			switch graph, model := c.String("graph"), c.String("model"); {
			case (graph == "") == (model == ""):
				return fmt.Errorf("energy: pass exactly one of --graph FILE.onnx and --model DIR|NAME")
			case model != "":
				if o.LogSNR != "" || o.IO != "" {
					return fmt.Errorf("energy: --logsnr and --io belong to --graph; with --model pass --level")
				}
				return runEnergyModel(c.Context, energyModelOptions{
					Model: model, Input: o.Input, Level: c.Int("level"), Class: o.Class, Out: o.Out,
					Batch: c.Int(batchFlag.Name), Runtime: o.Runtime,
				}, c.App.Writer)
			}
			if c.IsSet("level") {
				return fmt.Errorf("energy: --level belongs to --model; with --graph pass --logsnr L.npy")
			}
			if o.LogSNR == "" {
				return fmt.Errorf("--logsnr: with --graph pass the per-sample logSNR L.npy")
			}
			return runEnergyGraph(c.Context, o, c.App.Writer)
		},
	}
}

func runEnergyGraph(ctx context.Context, o energyOptions, stdout io.Writer) error {
	start := time.Now()
	io, err := onnx.ParseIO(o.IO)
	if err != nil {
		return err
	}
	im, err := onnx.ImportFile(o.Graph, onnx.ImportOptions{IO: io})
	if err != nil {
		return fmt.Errorf("--graph %s: %w", o.Graph, err)
	}
	g, names, err := cdrl.ScoreFromImported(im)
	if err != nil {
		return fmt.Errorf("--graph %s: %w", o.Graph, err)
	}
	model, err := onnx.Marshal(g, onnx.Options{Params: onnx.BakeParams})
	if err != nil {
		return fmt.Errorf("--graph %s: %w", o.Graph, err)
	}
	feeds, err := energyFeeds(o, im, names)
	if err != nil {
		return err
	}
	cfg, err := o.Runtime.Init()
	if err != nil {
		return err
	}
	sess, err := ort.NewSession(model, cfg)
	if err != nil {
		return fmt.Errorf("--graph %s: %w", o.Graph, err)
	}
	defer sess.Close()
	out, err := sess.Run(ctx, feeds)
	if err != nil {
		return fmt.Errorf("--graph %s: %w", o.Graph, err)
	}
	for _, name := range []string{cdrl.OutEnergy, cdrl.OutGrad} {
		if err := out[name].CheckFinite(); err != nil {
			return fmt.Errorf("--graph %s: output %s is not finite: %w", o.Graph, name, err)
		}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	ePath, gPath := filepath.Join(o.Out, "energy.npy"), filepath.Join(o.Out, "grad.npy")
	if err := tensor.WriteNpyFile(ePath, out[cdrl.OutEnergy]); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := tensor.WriteNpyFile(gPath, out[cdrl.OutGrad]); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(stdout, "%d inputs, provider %s\n", out[cdrl.OutEnergy].Shape[0], sess.Provider())
	cli.Done(stdout, start, ePath, gPath)
	return nil
}

// energyFeeds reads and checks the .npy inputs against the graph's inputs.
func energyFeeds(o energyOptions, im *onnx.Imported, names map[string]string) (map[string]*tensor.Tensor, error) {
	x, err := readNpy("--input", o.Input)
	if err != nil {
		return nil, err
	}
	want := im.Inputs[cdrl.InputX].Shape()
	if x = toFloat32(x); x.DType != tensor.Float32 {
		return nil, fmt.Errorf("--input %s: %v data, want float32", o.Input, x.DType)
	}
	if len(x.Shape) != len(want) {
		return nil, fmt.Errorf("--input %s: shape %v, the graph's x has shape %v", o.Input, x.Shape, want)
	}
	for k, d := range want {
		if d >= 0 && x.Shape[k] != d {
			return nil, fmt.Errorf("--input %s: shape %v, the graph's x has shape %v", o.Input, x.Shape, want)
		}
	}
	if err := x.CheckFinite(); err != nil {
		return nil, fmt.Errorf("--input %s: %w", o.Input, err)
	}
	n := x.Shape[0]
	l, err := readNpy("--logsnr", o.LogSNR)
	if err != nil {
		return nil, err
	}
	l = toFloat32(l)
	if len(l.Shape) != 1 || l.Shape[0] != n {
		return nil, fmt.Errorf("--logsnr %s: shape %v, want (%d) (one logSNR per input)", o.LogSNR, l.Shape, n)
	}
	if err := l.CheckFinite(); err != nil {
		return nil, fmt.Errorf("--logsnr %s: %w", o.LogSNR, err)
	}
	feeds := map[string]*tensor.Tensor{names[cdrl.InputX]: x}
	if name, ok := names[cdrl.InputLogSNR]; ok {
		feeds[name] = l
	} else {
		return nil, fmt.Errorf("--graph %s: the graph has no logsnr input", o.Graph)
	}
	name, hasClass := names[cdrl.InputClass]
	switch {
	case hasClass && o.Class == "":
		return nil, fmt.Errorf("--class: the graph %s takes class ids; pass --class C.npy (0 = null class)", o.Graph)
	case !hasClass && o.Class != "":
		return nil, fmt.Errorf("--class %s: the graph %s takes no class input", o.Class, o.Graph)
	case hasClass:
		c, err := readNpy("--class", o.Class)
		if err != nil {
			return nil, err
		}
		if c.DType != tensor.Int64 || len(c.Shape) != 1 || c.Shape[0] != n {
			return nil, fmt.Errorf("--class %s: %v%v, want int64 (%d)", o.Class, c.DType, c.Shape, n)
		}
		feeds[name] = c
	}
	return feeds, nil
}

func readNpy(flag, path string) (*tensor.Tensor, error) {
	if path == "" {
		return nil, fmt.Errorf("%s: no file given", flag)
	}
	t, err := tensor.ReadNpyFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return t, nil
}

// toFloat32 converts float64 tensors to float32 (numpy's default float is float64).
func toFloat32(t *tensor.Tensor) *tensor.Tensor {
	if t.DType != tensor.Float64 {
		return t
	}
	f := make([]float32, len(t.Float64))
	for i, v := range t.Float64 {
		f[i] = float32(v)
	}
	return tensor.FromFloat32(f, t.Shape...)
}
