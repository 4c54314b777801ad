package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train"
)

// testRoot holds the bundles trained for the package's tests; TestMain removes it.
var testRoot string

// TestMain makes the folder the tiny test bundles are trained into and removes it afterwards.
func TestMain(m *testing.M) {
	var err error
	if testRoot, err = os.MkdirTemp("", "cdrl-eval-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(testRoot)
	os.Exit(code)
}

// trained is a bundle trained once per test binary.
type trained struct {
	once sync.Once
	dir  string
	err  error
}

var toy, digits trained

// toyBundle returns the folder of a tiny unconditional 2-D toy bundle (3 iterations on toy2d;
// the samples are poor, the plumbing is real).
func toyBundle(tb testing.TB) string {
	tb.Helper()
	toy.once.Do(func() {
		c := train.Defaults("toy2d")
		c.Batch, c.Iters, c.LangevinSteps = 32, 3, 3
		c.LogEvery, c.CheckpointEvery, c.SampleEvery, c.SampleCount = 3, 0, 0, 16
		toy.dir, toy.err = trainBundle("toy", c)
	})
	if toy.err != nil {
		tb.Fatal(toy.err)
	}
	return toy.dir
}

// digitsBundle returns the folder of a tiny class-conditional image bundle: mnist-s networks
// trained for 2 iterations on 28x28 grey images in the class folders "3" and "7".
func digitsBundle(tb testing.TB) string {
	tb.Helper()
	digits.once.Do(func() {
		data := filepath.Join(testRoot, "digits-data")
		if digits.err = writeDigits(data, 6); digits.err != nil {
			return
		}
		c := train.Defaults("images:" + data)
		c.Conditional = true
		c.Batch, c.Iters, c.LangevinSteps = 4, 2, 2
		c.LogEvery, c.CheckpointEvery, c.SampleEvery, c.SampleCount = 2, 0, 0, 2
		digits.dir, digits.err = trainBundle("digits", c)
	})
	if digits.err != nil {
		tb.Fatal(digits.err)
	}
	return digits.dir
}

func trainBundle(name string, c train.Config) (string, error) {
	out := filepath.Join(testRoot, name)
	var log bytes.Buffer
	err := train.Run(context.Background(), c, train.Options{Out: out, Stdout: &log, Session: ort.SessionConfig{IntraOpThreads: 1}})
	if err != nil {
		return "", fmt.Errorf("training the %s test bundle: %w\n%s", name, err, log.String())
	}
	return filepath.Join(out, "model"), nil
}

// writeDigits writes perClass 28x28 grey PNGs into dir/3 (a horizontal bar) and dir/7 (a
// vertical bar), with jittered positions.
func writeDigits(dir string, perClass int) error {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, label := range []string{"3", "7"} {
		if err := os.MkdirAll(filepath.Join(dir, label), 0o755); err != nil {
			return err
		}
		for i := range perClass {
			img := image.NewGray(image.Rect(0, 0, 28, 28))
			off := 8 + rng.IntN(12)
			for a := 4; a < 24; a++ {
				for b := off; b < off+4; b++ {
					if label == "3" {
						img.Pix[b*28+a] = 255
					} else {
						img.Pix[a*28+b] = 255
					}
				}
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, label, fmt.Sprintf("%02d.png", i)), buf.Bytes(), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
