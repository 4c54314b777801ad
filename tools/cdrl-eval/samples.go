package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/cdrl-go/cdrl/infer/plot"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/train/classifier"
)

// sampleFile is a --samples file, read: its digits and the name its section and grid carry.
type sampleFile struct {
	path, name string
	x          []float32
	n          int
}

// readSamples reads a --samples file: float32 digits in [-1, 1], shaped (N, 1, 28, 28),
// (N, 28, 28) or (N, 784), N >= 2.
func readSamples(path string) ([]float32, int, error) {
	t, err := tensor.ReadNpyFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("--samples %s: %w", path, err)
	}
	if t.DType != tensor.Float32 {
		return nil, 0, fmt.Errorf("--samples %s: %v values; want float32 digits in [-1, 1]", path, t.DType)
	}
	shape := []int(t.Shape)
	switch {
	case len(shape) == 4 && shape[1] == 1 && shape[2] == classifier.Side && shape[3] == classifier.Side,
		len(shape) == 3 && shape[1] == classifier.Side && shape[2] == classifier.Side,
		len(shape) == 2 && shape[1] == digitSize:
	default:
		return nil, 0, fmt.Errorf("--samples %s: shape %v; want (N, 1, %d, %d), (N, %d, %d) or (N, %d) digits",
			path, shape, classifier.Side, classifier.Side, classifier.Side, classifier.Side, digitSize)
	}
	n := shape[0]
	if n < 2 {
		return nil, 0, fmt.Errorf("--samples %s: %d digits; want at least 2 (the Frechet distance fits a covariance)", path, n)
	}
	for i, v := range t.Float32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < -1.001 || v > 1.001 {
			return nil, 0, fmt.Errorf("--samples %s: digit %d, pixel %d is %v; want values in [-1, 1]", path, i/digitSize, i%digitSize, v)
		}
	}
	return t.Float32, n, nil
}

// evalSamples judges the digits of a --samples file (another program's samples, e.g. the
// PyTorch reference's) with the classifier, as unguided samples of an unconditional model:
// digit shares, confidence and Frechet distance to as many test digits, and a grid.
func (e *evaluator) evalSamples(ctx context.Context, f sampleFile) (*section, error) {
	path, name, x, n := f.path, f.name, f.x, f.n
	clf, err := e.classifier()
	if err != nil {
		return nil, err
	}
	ref, err := e.testDigits(ctx, name, clf, n)
	if err != nil {
		return nil, err
	}
	out := sampled{x: x}
	if out.pred, out.probs, out.feats, err = clf.Classify(ctx, x, n); err != nil {
		return nil, err
	}
	u, err := measureUnguided(out, ref, expectedDigits(nil))
	if err != nil {
		return nil, err
	}
	sec := &section{title: fmt.Sprintf("%s: %d digits from %s", name, n, path)}
	sec.notes = append(sec.notes, fmt.Sprintf("Samples of another program, judged as unguided samples of an unconditional model against %d test digits of %s (seed %d) by the MNIST classifier of train/classifier.",
		n, e.o.Digits, e.o.Seed))
	if err := addUnguidedRows(sec, u, ref, expectedDigits(nil), "samples", "samples", "the file's digits"); err != nil {
		return nil, err
	}
	show := min(n, unguidedUp)
	img, err := plot.ImageGrid(x[:show*digitSize], show, 1, classifier.Side, classifier.Side, gridCols, gridScale)
	if err != nil {
		return nil, err
	}
	file, err := e.writePNG(name+".png", img)
	if err != nil {
		return nil, err
	}
	sec.figures = append(sec.figures, figure{caption: fmt.Sprintf("%s: the first %d digits", name, show), file: file})
	return sec, nil
}

// samplesName returns the name a --samples file's section and picture carry: its folder's and
// its own base name, e.g. "pt30-samples_ema" for pt30/samples_ema.npy.
func samplesName(path string, taken map[string]bool) string {
	base := strings.TrimSuffix(filepath.Base(path), ".npy")
	if dir := filepath.Base(filepath.Dir(path)); dir != "." && dir != string(filepath.Separator) {
		base = dir + "-" + base
	}
	return uniqueName(base, taken)
}
