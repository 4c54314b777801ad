package train

import (
	"context"
	"math"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train/data"
)

func newTestTrainer(t testing.TB, cfg Config) *trainer {
	t.Helper()
	ds, err := data.Open(cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newTrainer(cfg, ds, nil, ort.SessionConfig{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// TestFusedMatchesLoop checks that the fused K-step Langevin program gives the chains of K
// Go-orchestrated score steps with the same noise.
func TestFusedMatchesLoop(t *testing.T) {
	cfg := tinyToy()
	cfg.LangevinSteps = 4
	loop := newTestTrainer(t, cfg)
	cfg.Fused = true
	fused := newTestTrainer(t, cfg)
	bl, bf := loop.newBatch(cfg.Batch), fused.newBatch(cfg.Batch)
	for it := 0; it < 2; it++ {
		if _, err := loop.step(context.Background(), bl); err != nil {
			t.Fatal(err)
		}
		if _, err := fused.step(context.Background(), bf); err != nil {
			t.Fatal(err)
		}
		var num, den float64
		for i := range bl.y {
			d := float64(bl.y[i] - bf.y[i])
			num += d * d
			den += float64(bl.y[i]) * float64(bl.y[i])
		}
		if e := math.Sqrt(num / den); e > 1e-5 {
			t.Errorf("iteration %d: fused and looped chains differ by %.2e (norm-wise)", it, e)
		}
	}
}
