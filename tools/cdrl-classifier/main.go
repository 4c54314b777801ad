// Command cdrl-classifier trains the MNIST classifier of train/classifier with the project's
// own engine (graphs + ONNX Runtime + Adam in Go), writes it as an ONNX inference graph and
// prints its accuracy on the MNIST test set. The shipped train/classifier/mnist.onnx comes
// from the default settings.
//
// Examples:
//
//	cdrl-classifier --threads 2
//	cdrl-classifier --epochs 1 --batch 128 --out /tmp/mnist.onnx
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	"github.com/cdrl-go/cdrl/train/classifier"
	"github.com/cdrl-go/cdrl/train/data"
	ucli "github.com/urfave/cli/v2"
)

func main() { os.Exit(cli.Main(newApp(), os.Args)) }

const (
	catData   = "data"
	catOptim  = "optimisation"
	catOutput = "output"
)

// options are the command's settings.
type options struct {
	Data     string
	Epochs   int
	Steps    int
	Batch    int
	LR       float64
	Seed     uint64
	TestN    int
	LogEvery int
	Out      string
	Runtime  cli.Runtime
}

func newApp() *ucli.App {
	def := classifier.DefaultTrainConfig()
	return &ucli.App{
		Name:  "cdrl-classifier",
		Usage: "train the MNIST classifier used to score generated digits, and write it as ONNX",
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "data", Value: "mnist", Category: catData, EnvVars: []string{"CDRL_CLASSIFIER_DATA"}, Usage: "the MNIST `SPEC`: mnist (the cache that make setup fills) or mnist:DIR"},
			&ucli.IntFlag{Name: "test-n", Value: 0, Category: catData, EnvVars: []string{"CDRL_CLASSIFIER_TEST_N"}, Usage: "test digits measured at each epoch end and at the end (0 = all 10,000)"},
			&ucli.IntFlag{Name: "epochs", Value: def.Epochs, Category: catOptim, EnvVars: []string{"CDRL_CLASSIFIER_EPOCHS"}, Usage: "passes over the 60,000 training digits"},
			&ucli.IntFlag{Name: "steps", Value: 0, Category: catOptim, EnvVars: []string{"CDRL_CLASSIFIER_STEPS"}, Usage: "optimiser steps instead of --epochs (0 = use --epochs)"},
			&ucli.IntFlag{Name: "batch", Value: def.Batch, Category: catOptim, EnvVars: []string{"CDRL_CLASSIFIER_BATCH"}, Usage: "digits per step"},
			&ucli.Float64Flag{Name: "lr", Value: def.LR, Category: catOptim, EnvVars: []string{"CDRL_CLASSIFIER_LR"}, Usage: "peak Adam learning rate (half-cosine decay to 0)"},
			&ucli.Uint64Flag{Name: "seed", Value: def.Seed, Category: catOptim, EnvVars: []string{"CDRL_CLASSIFIER_SEED"}, Usage: "seed of the initial weights, the batches and the test draw"},
			&ucli.IntFlag{Name: "log-every", Value: def.LogEvery, Category: catOutput, EnvVars: []string{"CDRL_CLASSIFIER_LOG_EVERY"}, Usage: "steps between progress lines"},
			&ucli.StringFlag{Name: "out", Value: "train/classifier/mnist.onnx", Category: catOutput, EnvVars: []string{"CDRL_CLASSIFIER_OUT"}, Usage: "where to write the model `FILE.onnx`"},
		}, cli.RuntimeFlags()...),
		Action: func(c *ucli.Context) error {
			o := options{
				Data: c.String("data"), Epochs: c.Int("epochs"), Steps: c.Int("steps"), Batch: c.Int("batch"),
				LR: c.Float64("lr"), Seed: c.Uint64("seed"), TestN: c.Int("test-n"), LogEvery: c.Int("log-every"),
				Out: c.String("out"), Runtime: cli.RuntimeFrom(c),
			}
			return run(c.Context, o, c.App.Writer)
		},
	}
}

// run trains, writes and measures the classifier, printing progress to w.
func run(ctx context.Context, o options, w io.Writer) error {
	start := time.Now()
	switch {
	case o.Out == "":
		return errors.New("--out must name a file")
	case o.Epochs <= 0 && o.Steps <= 0:
		return fmt.Errorf("--epochs must be at least 1, got %d (or set --steps)", o.Epochs)
	case o.Steps < 0:
		return fmt.Errorf("--steps must be 0 or more, got %d", o.Steps)
	case o.Batch <= 0:
		return fmt.Errorf("--batch must be at least 1, got %d", o.Batch)
	case !(o.LR > 0):
		return fmt.Errorf("--lr must be > 0, got %v", o.LR)
	case o.TestN < 0:
		return fmt.Errorf("--test-n must be 0 (all) or more, got %d", o.TestN)
	case o.LogEvery <= 0:
		return fmt.Errorf("--log-every must be at least 1, got %d", o.LogEvery)
	}
	sess, err := o.Runtime.Init()
	if err != nil {
		return err
	}
	trainSet, err := data.OpenSplit(o.Data, data.Train)
	if err != nil {
		return err
	}
	testSet, err := data.OpenSplit(o.Data, data.Test)
	if err != nil {
		return err
	}
	cfg := classifier.TrainConfig{
		Train: trainSet, Test: testSet, TestN: o.TestN,
		Epochs: o.Epochs, Steps: o.Steps, Batch: o.Batch, LR: o.LR, Seed: o.Seed,
		LogEvery: o.LogEvery, Session: sess,
	}
	fmt.Fprintf(w, "training on %s (%d digits): %s, batch %d, lr %g, seed %d\n",
		trainSet.Name(), trainSet.Len(), length(o), o.Batch, o.LR, o.Seed)
	m, err := classifier.Train(ctx, cfg, func(p classifier.Progress) { fmt.Fprintln(w, progressLine(p)) })
	if err != nil {
		return err
	}
	if err := m.Write(o.Out); err != nil {
		return err
	}
	acc, n, err := measure(ctx, o, testSet, sess)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "trained in %s (%d steps); test accuracy of %s: %.4f on %d digits\n",
		m.Elapsed.Round(time.Second), m.Steps, o.Out, acc, n)
	cli.Done(w, start, o.Out)
	return nil
}

// length describes the run length.
func length(o options) string {
	if o.Steps > 0 {
		return fmt.Sprintf("%d steps", o.Steps)
	}
	return fmt.Sprintf("%d epochs", o.Epochs)
}

// measure reloads the written model and measures it on the same test digits Train used.
func measure(ctx context.Context, o options, testSet data.Dataset, sess ort.SessionConfig) (acc float64, n int, err error) {
	model, err := os.ReadFile(o.Out)
	if err != nil {
		return 0, 0, err
	}
	c, err := classifier.New(model, sess)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	x, digits, err := classifier.Draw(testSet, o.TestN, classifier.TestRand(o.Seed))
	if err != nil {
		return 0, 0, err
	}
	acc, err = c.Accuracy(ctx, x, digits)
	return acc, len(digits), err
}

// progressLine formats one progress report.
func progressLine(p classifier.Progress) string {
	s := fmt.Sprintf("step %d/%d  epoch %.2f  %.1f it/s  ETA %s  loss %.4f  acc %.4f  lr %.2e",
		p.Step, p.Steps, p.Epoch, p.Rate(), p.ETA().Round(time.Second), p.Loss, p.Accuracy, p.LR)
	if p.TestAccuracy == p.TestAccuracy { // not NaN
		s += fmt.Sprintf("  test %.4f", p.TestAccuracy)
	}
	return s
}
