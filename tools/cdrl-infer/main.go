// Command cdrl-infer runs trained or imported energy-based models: energies and input gradients
// of an EBM graph today; sampling, inpainting, composition and OOD scores build on it.
//
// Examples:
//
//	cdrl-infer energy --graph ebm.onnx --input x.npy --logsnr logsnr.npy --out out/
//	cdrl-infer energy --graph ebm.onnx --io x=input_0,energy=output_0 --input x.npy --logsnr l.npy --out out/
package main

import (
	"os"

	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

func main() { os.Exit(cli.Main(newApp(), os.Args)) }

func newApp() *ucli.App {
	return &ucli.App{
		Name:     "cdrl-infer",
		Usage:    "run CDRL energy-based models: energies and input gradients",
		Commands: []*ucli.Command{energyCommand()},
		// Usage text is printed for flag errors only; run errors get one line and a hint.
		OnUsageError: func(c *ucli.Context, err error, _ bool) error {
			_ = ucli.ShowSubcommandHelp(c)
			return err
		},
	}
}
