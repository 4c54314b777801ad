// Command cdrl-infer runs trained CDRL energy-based models: it samples (with classifier-free
// guidance), inpaints, draws variations of an image, composes classes, scores inputs for
// out-of-distribution detection, and evaluates energies and input gradients of a trained model
// or of any EBM graph.
//
// Examples:
//
//	cdrl-infer sample --n 64 --out samples.png
//	cdrl-infer sample --model runs/mnist/model --n 16 --class 7 --guidance 1 --out sevens.png
//	cdrl-infer inpaint --image digit.png --mask mask.png --out filled.png
//	cdrl-infer vary --image digit.png --level 3 --n 16 --out variations.png
//	cdrl-infer compose --classes 1,7 --n 16 --out one-seven.png
//	cdrl-infer ood --input test-images/ --out scores.csv
//	cdrl-infer energy --model runs/toy/model --input points.csv --level 0 --out out/
//	cdrl-infer energy --graph ebm.onnx --input x.npy --logsnr logsnr.npy --out out/
package main

import (
	"os"

	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

func main() { os.Exit(cli.Main(newApp(), os.Args)) }

func newApp() *ucli.App {
	return &ucli.App{
		Name:  "cdrl-infer",
		Usage: "run CDRL energy-based models: sample, inpaint, vary, compose, OOD scores, energies",
		Description: `--model takes a bundle folder (the model/ folder of a cdrl-train run) or the name of an
embedded model; defaults left unset (Langevin steps, guidance weight) come from the model's
manifest. Class flags take the model's user-facing labels (--class 7 is the digit 7).

Examples:
   cdrl-infer sample --n 64 --out samples.png
   cdrl-infer sample --model runs/mnist/model --n 16 --class 7 --guidance 1 --out sevens.png
   cdrl-infer inpaint --image digit.png --mask mask.png --out filled.png
   cdrl-infer vary --image digit.png --level 3 --n 16 --out variations.png
   cdrl-infer compose --classes 1,7 --n 16 --out one-seven.png
   cdrl-infer ood --input test-images/ --out scores.csv
   cdrl-infer energy --model runs/toy/model --input points.csv --level 0 --out out/`,
		Commands: []*ucli.Command{sampleCommand(), inpaintCommand(), varyCommand(), composeCommand(), oodCommand(), energyCommand()},
		// Usage text is printed for flag errors only; run errors get one line and a hint.
		OnUsageError: func(c *ucli.Context, err error, _ bool) error {
			_ = ucli.ShowSubcommandHelp(c)
			return err
		},
	}
}
