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

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/models/zoo"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train"
)

// testRoot holds the bundle trained for the package's tests; TestMain removes it.
var testRoot string

// session is the ONNX Runtime configuration of the tests: one thread per call, so results
// reproduce and concurrent requests do not oversubscribe the cores.
var session = ort.SessionConfig{IntraOpThreads: 1}

// TestMain makes the folder the tiny test bundle is trained into, and afterwards closes the
// shared samplers and removes the folder.
func TestMain(m *testing.M) {
	var err error
	if testRoot, err = os.MkdirTemp("", "cdrl-serve-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	for _, s := range shared {
		s.Close()
	}
	os.RemoveAll(testRoot)
	os.Exit(code)
}

// digits is the tiny image bundle, trained once per test binary.
var digits struct {
	once sync.Once
	dir  string
	err  error
}

// digitsBundle returns the folder of a tiny class-conditional image bundle: mnist-s networks
// trained for 2 iterations on 28x28 grey images in the class folders "3" and "7" (the samples
// are not good; the plumbing is real).
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
		out := filepath.Join(testRoot, "digits")
		var log bytes.Buffer
		if err := train.Run(context.Background(), c, train.Options{Out: out, Stdout: &log, Session: session}); err != nil {
			digits.err = fmt.Errorf("training the digits test bundle: %w\n%s", err, log.String())
			return
		}
		digits.dir = filepath.Join(out, "model")
	})
	if digits.err != nil {
		tb.Fatal(digits.err)
	}
	return digits.dir
}

// digitImage returns a 28x28 grey picture of class "3" (a horizontal bar at row off) or "7"
// (a vertical bar at column off).
func digitImage(label string, off int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for a := 4; a < 24; a++ {
		for b := off; b < off+4; b++ {
			if label == "3" {
				img.Pix[b*28+a] = 255
			} else {
				img.Pix[a*28+b] = 255
			}
		}
	}
	return img
}

// writeDigits writes perClass digit pictures into the class folders dir/3 and dir/7, with
// jittered bar positions.
func writeDigits(dir string, perClass int) error {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, label := range []string{"3", "7"} {
		if err := os.MkdirAll(filepath.Join(dir, label), 0o755); err != nil {
			return err
		}
		for i := range perClass {
			data, err := encodePNG(digitImage(label, 8+rng.IntN(12)))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, label, fmt.Sprintf("%02d.png", i)), data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// encodePNG returns img as PNG bytes.
func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := png.Encode(&buf, img)
	return buf.Bytes(), err
}

// pngBytes returns img as PNG bytes, failing the test on an error.
func pngBytes(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	b, err := encodePNG(img)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// shared holds the samplers of sharedSampler, by model; TestMain closes them.
var (
	sharedMu sync.Mutex
	shared   = map[string]*infer.Sampler{}
)

// sharedSampler returns a sampler that tests share (a Sampler is safe for concurrent use) on
// an embedded model's name or a bundle folder.
func sharedSampler(tb testing.TB, model string) *infer.Sampler {
	tb.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s, ok := shared[model]; ok {
		return s
	}
	var b *bundle.Bundle
	var err error
	if model == "toy2d" {
		b, err = zoo.Open(model)
	} else {
		b, err = bundle.ReadDir(model)
	}
	if err != nil {
		tb.Fatal(err)
	}
	s, err := infer.NewSampler(b, session)
	if err != nil {
		tb.Fatal(err)
	}
	shared[model] = s
	return s
}
