package train

import (
	"context"
	"math"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/train/data"
	"github.com/cdrl-go/cdrl/train/optim"
)

func newTestTrainer(t testing.TB, cfg Config) *trainer {
	t.Helper()
	ds, err := data.Open(cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newTrainer(cfg, ds, nil, ort.SessionConfig{IntraOpThreads: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// TestFusedMatchesLoop checks that the fused K-step Langevin program gives the chains of K
// Go-orchestrated score steps with the same noise, with the score program's weights baked in
// or fed to every step.
func TestFusedMatchesLoop(t *testing.T) {
	for _, baked := range []bool{true, false} {
		cfg := tinyToy()
		cfg.LangevinSteps = 4
		loop := newStepwiseTrainer(t, cfg, baked)
		cfg.Fused, cfg.FusedSet = true, true
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
				t.Errorf("baked=%v, iteration %d: fused and looped chains differ by %.2e (norm-wise)", baked, it, e)
			}
		}
	}
}

// newStepwiseTrainer returns a trainer that runs the Langevin steps from Go, with the score
// program's weights baked in or fed (bakeSteps).
func newStepwiseTrainer(t *testing.T, cfg Config, baked bool) *trainer {
	defer func(f func(string, []int) bool) { bakeSteps = f }(bakeSteps)
	bakeSteps = func(string, []int) bool { return baked }
	cfg.Fused, cfg.FusedSet = false, true
	tr := newTestTrainer(t, cfg)
	if (tr.score.baker != nil) != baked {
		t.Fatalf("score program baked = %v, want %v", tr.score.baker != nil, baked)
	}
	return tr
}

// TestIterationTraffic checks the ONNX Runtime traffic an iteration reports: one run of each
// program but the refinement, K score runs or one fused run, every run carrying all of its
// program's parameters, and the total the sum of the programs.
func TestIterationTraffic(t *testing.T) {
	for _, mode := range []string{"baked", "fed", "fused"} {
		cfg := tinyToy()
		var tr *trainer
		if mode == "fused" {
			cfg.Fused, cfg.FusedSet = true, true
			tr = newTestTrainer(t, cfg)
		} else {
			tr = newStepwiseTrainer(t, cfg, mode == "baked")
		}
		b := tr.newBatch(cfg.Batch)
		for it := range 2 {
			m, err := tr.step(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			var sum ort.Traffic
			for _, p := range tr.programs() {
				got, ok := m.ProgramTraffic[p.Name]
				if !ok {
					t.Fatalf("%s: no traffic for program %s in %v", mode, p.Name, m.ProgramTraffic)
				}
				sum = sum.Add(got)
				runs := int64(1)
				if p == tr.score {
					runs = int64(cfg.LangevinSteps)
				}
				if got.Runs != runs {
					t.Errorf("%s, iteration %d: %s ran %d times, want %d", mode, it, p.Name, got.Runs, runs)
				}
				var params int64
				fed := map[string]bool{}
				for _, name := range p.Fed {
					fed[name] = true
				}
				for _, v := range p.Params {
					if fed[v.Name] {
						params += int64(tensor.Shape(v.Shape).Size()) * 4
					}
				}
				// Every run carries the parameters and at least one batch-sized float32 input; a
				// baked program's parameters cross once per iteration, in its model.
				low := runs * (params + int64(cfg.Batch)*4)
				if p.baker != nil {
					low = params + runs*int64(cfg.Batch)*4
				}
				if got.BytesIn < low || got.BytesOut <= 0 {
					t.Errorf("%s, iteration %d: %s traffic %+v; want at least %d bytes in (%d runs, %d parameter bytes, the batch) and some out",
						mode, it, p.Name, got, low, runs, params)
				}
			}
			if len(m.ProgramTraffic) != len(tr.programs()) || sum != m.Traffic {
				t.Errorf("%s: total %+v, programs %v", mode, m.Traffic, m.ProgramTraffic)
			}
		}
	}
}

// TestFuseSteps checks who decides whether the Langevin steps run fused: the configuration
// when it says so, otherwise the device (fused on CUDA, stepwise on the CPU).
func TestFuseSteps(t *testing.T) {
	for _, c := range []struct {
		fused, set bool
		provider   string
		want       bool
	}{
		{false, false, "cpu", false},
		{false, false, "cuda:0", true},
		{false, false, "cuda:1", true},
		{true, true, "cpu", true},
		{false, true, "cuda:0", false},
		{true, false, "cpu", false}, // Fused without FusedSet is no choice
	} {
		if got := fuseSteps(Config{Fused: c.fused, FusedSet: c.set}, c.provider); got != c.want {
			t.Errorf("Fused %v, FusedSet %v on %s: fused %v, want %v", c.fused, c.set, c.provider, got, c.want)
		}
	}
}

// TestKeyedNoise runs training with the random numbers drawn in the programs from a key per
// sample (the GPU's choice) on the CPU, the Langevin steps fused: the initializer's programs
// take one key per sample instead of the dropout draws and the fused program one instead of
// K normals per value, so both hand over far fewer bytes; the losses stay finite, and the
// same seed gives the same parameters.
func TestKeyedNoise(t *testing.T) {
	cfg := Defaults("mnist")
	cfg.Arch, cfg.Batch, cfg.LangevinSteps, cfg.Conditional = "mnist-m", 4, 2, true
	cfg.Fused, cfg.FusedSet = true, true
	run := func(keyed bool) (*trainer, Metrics) {
		defer func(f func(string) bool) { keyedNoise = f }(keyedNoise)
		keyedNoise = func(string) bool { return keyed }
		tr := newTestTrainer(t, cfg)
		b := tr.newBatch(cfg.Batch)
		var m Metrics
		for range 2 {
			var err error
			if m, err = tr.step(context.Background(), b); err != nil {
				t.Fatal(err)
			}
		}
		return tr, m
	}
	fed, mf := run(false)
	keyed, mk := run(true)
	again, _ := run(true)
	if len(fed.dropout) == 0 || fed.dropoutKey != "" {
		t.Fatalf("fed masks: inputs %v, key %q", fed.dropout, fed.dropoutKey)
	}
	if len(keyed.dropout) != 0 || keyed.dropoutKey == "" {
		t.Fatalf("keyed masks: inputs %v, key %q", keyed.dropout, keyed.dropoutKey)
	}
	in := func(m Metrics, p *program) int64 { return m.ProgramTraffic[p.Name].BytesIn }
	// The fused program takes a key per sample instead of K normals per value.
	if got, want := in(mf, keyed.langevin)-in(mk, keyed.langevin), int64(cfg.LangevinSteps*cfg.Batch*28*28*4-cfg.Batch*8); got != want {
		t.Errorf("the fused program takes %d bytes fewer with keyed noise, want %d", got, want)
	}
	// Beyond the parameters, the initializer's forward hands over less than a tenth of the
	// bytes with a key per sample than with the dropout draws.
	params := int64(0)
	for _, v := range keyed.initFwd.Params {
		params += int64(tensor.Shape(v.Shape).Size()) * 4
	}
	if k, f := in(mk, keyed.initFwd)-params, in(mf, keyed.initFwd)-params; 10*k > f {
		t.Errorf("the initializer forward takes %d bytes beyond its parameters with keyed masks, %d with fed ones", k, f)
	}
	for _, v := range []float64{mk.EBMLoss, mk.InitLoss} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("keyed noise: losses %g, %g", mk.EBMLoss, mk.InitLoss)
		}
	}
	for _, pair := range [][2]*optim.Params{{keyed.st.Init, again.st.Init}, {keyed.st.EBM, again.st.EBM}} {
		for i := range pair[0].Data {
			for j, x := range pair[0].Data[i] {
				if x != pair[1].Data[i][j] {
					t.Fatalf("keyed noise: param %s differs between two runs with the same seed", pair[0].Names[i])
				}
			}
		}
	}
}

// TestBakeSteps checks where the score program takes its weights baked in by default: on the
// CPU for images, not for points (whose session build costs more than it saves) nor on CUDA
// (where the steps run fused).
func TestBakeSteps(t *testing.T) {
	for _, c := range []struct {
		provider string
		shape    []int
		want     bool
	}{
		{"cpu", []int{1, 28, 28}, true},
		{"cpu", []int{2}, false},
		{"cuda:0", []int{3, 32, 32}, false},
	} {
		if got := bakeSteps(c.provider, c.shape); got != c.want {
			t.Errorf("bakeSteps(%q, %v) = %v, want %v", c.provider, c.shape, got, c.want)
		}
	}
}
