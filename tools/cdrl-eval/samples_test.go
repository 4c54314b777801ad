package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	"github.com/cdrl-go/cdrl/train/classifier"
	"github.com/cdrl-go/cdrl/train/data"
)

// writeNpy writes t to dir/name and returns the path.
func writeNpy(t *testing.T, dir, name string, x *tensor.Tensor) string {
	t.Helper()
	path := filepath.Join(dir, name)
	var b bytes.Buffer
	if err := tensor.WriteNpy(&b, x); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSamplesFile judges a file of real training digits with --samples: the classifier is as
// confident about them as about the test digits, every row is there, and broken files are
// refused naming the flag and the file.
func TestSamplesFile(t *testing.T) {
	mnistAvailable(t)
	ds, err := data.OpenSplit("mnist", data.Train)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	x, _, err := classifier.Draw(ds, n, rngFor(7, streamDigits))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := writeNpy(t, filepath.Join(dir), "real.npy", tensor.FromFloat32(x, n, 1, classifier.Side, classifier.Side))
	o := testOptions(t)
	o.Samples = []string{path}
	var out bytes.Buffer
	if err := run(context.Background(), o, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	rows, md := reportRows(t, o.Out)
	if c := fraction(t, rows, "classifier confident (max-softmax > 0.9), samples"); c < 0.85 {
		t.Errorf("confident on %.3f of real digits, want most", c)
	}
	fraction(t, rows, "smallest digit share, samples")
	if _, ok := rows["Frechet distance on classifier features (40 samples vs 40 test digits)"]; !ok {
		t.Errorf("no Frechet row; rows: %q", rows)
	}
	if !strings.Contains(md, "40 digits from "+path) || strings.Contains(md, "toy2d") {
		t.Errorf("report does not have just the samples section:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(o.Out, filepath.Base(dir)+"-real.png")); err != nil {
		t.Error(err)
	}

	// The command: --samples without --models evaluates only the file.
	cmdOut := t.TempDir()
	var stderr bytes.Buffer
	if code := cli.Run(context.Background(), newApp("cdrl-eval"), []string{"cdrl-eval", "--samples", path, "--out", cmdOut, "--quick", "--threads", "1"}, &stderr); code != 0 {
		t.Fatalf("cdrl-eval --samples: exit %d: %s", code, stderr.String())
	}
	if _, md := reportRows(t, cmdOut); !strings.Contains(md, "40 digits from "+path) || strings.Contains(md, "toy2d") || strings.Contains(md, "mnist (image") {
		t.Errorf("cdrl-eval --samples evaluated more than the file:\n%s", md)
	}

	bad := map[string]*tensor.Tensor{
		"shape.npy": tensor.FromFloat32(make([]float32, 2*3*28*28), 2, 3, 28, 28),
		"range.npy": tensor.FromFloat32(append(make([]float32, 28*28), append([]float32{3}, make([]float32, 28*28-1)...)...), 2, 784),
		"one.npy":   tensor.FromFloat32(make([]float32, 28*28), 1, 784),
		"int.npy":   tensor.FromInt64(make([]int64, 2*784), 2, 784),
	}
	for name, x := range bad {
		o := testOptions(t)
		o.Samples = []string{writeNpy(t, dir, name, x)}
		err := run(context.Background(), o, &out)
		if err == nil || !strings.Contains(err.Error(), "--samples "+o.Samples[0]) {
			t.Errorf("%s: error %v, want one naming --samples and the file", name, err)
		}
	}
}
