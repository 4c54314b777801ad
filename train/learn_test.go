package train

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train/data"
)

// TestToyLearnsSquares is a short, seeded version of the default toy run: after a few hundred
// iterations (with a larger learning rate) clearly more samples must fall inside the 8 squares
// than the half that a uniform spread over the box would put there, and every square must hold
// some. The full default run's figures are in the README.
func TestToyLearnsSquares(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for several seconds")
	}
	cfg := Defaults("toy2d")
	cfg.Iters, cfg.Batch, cfg.LangevinSteps = 600, 256, 10
	cfg.EBMLR, cfg.InitLR, cfg.EBMWarmup, cfg.InitWarmup = 3e-4, 3e-4, 50, 50
	cfg.SampleEvery, cfg.CheckpointEvery, cfg.LogEvery = 0, 0, 100
	out := t.TempDir()
	sess := ort.SessionConfig{IntraOpThreads: 1}
	if err := Run(context.Background(), cfg, Options{Out: out, Session: sess}); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.ReadDir(filepath.Join(out, "model"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := infer.NewSampler(b, sess)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 2000
	xs, err := s.Sample(context.Background(), n, infer.SampleOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var counts [data.NumSquares]int
	inside := 0
	for i := 0; i < n; i++ {
		if sq, ok := data.InSquares(float64(xs[2*i]), float64(xs[2*i+1])); ok {
			inside++
			counts[sq]++
		}
	}
	frac := float64(inside) / n
	t.Logf("seed %d: %.3f of %d samples inside the squares; per square %v", cfg.Seed, frac, n, counts)
	if frac < 0.65 {
		t.Errorf("%.3f of the samples inside the squares, want at least 0.65", frac)
	}
	for sq, c := range counts {
		if share := float64(c) / n; share < 0.04 {
			t.Errorf("square %d holds %.3f of the samples, want at least 0.04", sq, share)
		}
	}
}
