package traintest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train"
)

// session is the ONNX Runtime configuration the bundles are trained with: one thread, so
// they reproduce.
var session = ort.SessionConfig{IntraOpThreads: 1}

// Bundles trains the tiny test bundles into one folder, each once, on first use. Its methods
// are safe for concurrent use.
type Bundles struct {
	mu          sync.Mutex
	root        string // "" until a temporary folder is made
	temp        bool   // root is a temporary folder of its own, which Close removes
	toy, digits trained
}

// trained is one bundle, trained once.
type trained struct {
	once sync.Once
	dir  string
	err  error
}

// get returns the bundle folder, building it on the first call; it fails the test
// when training failed.
func (t *trained) get(tb testing.TB, build func() (string, error)) string {
	tb.Helper()
	t.once.Do(func() { t.dir, t.err = build() })
	if t.err != nil {
		tb.Fatal(t.err)
	}
	return t.dir
}

// NewBundles returns a Bundles that trains into the existing folder root, each bundle and the
// digit data in a subfolder of its own; the caller owns root and removes it. With root "",
// Bundles makes a temporary folder of its own on first use, and Close removes it.
func NewBundles(root string) *Bundles { return &Bundles{root: root, temp: root == ""} }

// Close removes the temporary folder of a Bundles made with root "", and the bundles in it; a
// later use makes a new one. It does nothing to a folder the caller gave.
func (b *Bundles) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.temp || b.root == "" {
		return nil
	}
	err := os.RemoveAll(b.root)
	b.root = ""
	return err
}

// folder returns the path of root/name, making the temporary root first where needed.
func (b *Bundles) folder(name string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.root == "" {
		dir, err := os.MkdirTemp("", "traintest-")
		if err != nil {
			return "", fmt.Errorf("traintest: %w", err)
		}
		b.root = dir
	}
	return filepath.Join(b.root, name), nil
}

// Toy returns the folder of a tiny unconditional 2-D toy bundle: the toy2d defaults trained
// for 3 iterations of batch 32 with 3 Langevin steps.
func (b *Bundles) Toy(tb testing.TB) string {
	tb.Helper()
	return b.toy.get(tb, func() (string, error) {
		c := train.Defaults("toy2d")
		c.Batch, c.Iters, c.LangevinSteps = 32, 3, 3
		c.LogEvery, c.CheckpointEvery, c.SampleEvery, c.SampleCount = 3, 0, 0, 16
		return b.train("toy", c)
	})
}

// Digits returns the folder of a tiny class-conditional image bundle: the mnist-s networks of
// the images defaults trained for 2 iterations of batch 4 with 2 Langevin steps, on 28x28 grey
// images in the class folders "3" and "7" (WriteDigits, 6 a class).
func (b *Bundles) Digits(tb testing.TB) string {
	tb.Helper()
	return b.digits.get(tb, func() (string, error) {
		data, err := b.folder("digits-data")
		if err != nil {
			return "", err
		}
		if err := WriteDigits(data, 6); err != nil {
			return "", fmt.Errorf("traintest: writing the digits: %w", err)
		}
		c := train.Defaults("images:" + data)
		c.Conditional = true
		c.Batch, c.Iters, c.LangevinSteps = 4, 2, 2
		c.LogEvery, c.CheckpointEvery, c.SampleEvery, c.SampleCount = 2, 0, 0, 2
		return b.train("digits", c)
	})
}

// train runs c into root/name and returns the bundle folder, or an error with the log.
func (b *Bundles) train(name string, c train.Config) (string, error) {
	out, err := b.folder(name)
	if err != nil {
		return "", err
	}
	var log bytes.Buffer
	if err := train.Run(context.Background(), c, train.Options{Out: out, Stdout: &log, Session: session}); err != nil {
		return "", fmt.Errorf("traintest: training the %s test bundle: %w\n%s", name, err, log.String())
	}
	return filepath.Join(out, "model"), nil
}
