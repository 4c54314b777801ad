package optim

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// torchFixture is testdata/torch_steps.json, written by testdata/gen_torch.py.
type torchFixture struct {
	Params0  [][]float64   `json:"params0"`
	Grads    [][][]float64 `json:"grads"`
	MaxNorm  float64       `json:"max_norm"`
	EMADecay float64       `json:"ema_decay"`
	Runs     []struct {
		Name         string  `json:"name"`
		WeightDecay  float64 `json:"weight_decay"`
		BaseLR       float64 `json:"base_lr"`
		WarmupSteps  int     `json:"warmup_steps"`
		WarmupOffset int     `json:"warmup_offset"`
		Steps        []struct {
			LR       float64     `json:"lr"`
			Norm     float64     `json:"norm"`
			Params   [][]float64 `json:"params"`
			ExpAvg   [][]float64 `json:"exp_avg"`
			ExpAvgSq [][]float64 `json:"exp_avg_sq"`
			EMA      [][]float64 `json:"ema"`
		} `json:"steps"`
	} `json:"runs"`
}

// toFloat32 converts fixture values, which are float32 values written exactly.
func toFloat32(xs [][]float64) [][]float32 {
	out := make([][]float32, len(xs))
	for i, x := range xs {
		out[i] = make([]float32, len(x))
		for j, v := range x {
			out[i][j] = float32(v)
		}
	}
	return out
}

// One CDRL-order loop (clip, step, EMA update, warmup) against torch.optim.Adam and AdamW,
// clip_grad_norm_ and torch_ema, to 1e-6 relative, tensor by tensor.
func TestAgainstTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/torch_steps.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx torchFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Runs) != 2 {
		t.Fatalf("fixture has %d runs, want 2", len(fx.Runs))
	}
	const tol = 1e-6
	for _, run := range fx.Runs {
		t.Run(run.Name, func(t *testing.T) {
			cfg := DefaultAdam()
			cfg.WeightDecay = run.WeightDecay
			a, err := NewAdam(cfg)
			if err != nil {
				t.Fatal(err)
			}
			p := toFloat32(fx.Params0)
			e, err := NewEMA(fx.EMADecay, p)
			if err != nil {
				t.Fatal(err)
			}
			w := Warmup{Steps: run.WarmupSteps, Offset: run.WarmupOffset}
			for k, want := range run.Steps {
				lr := run.BaseLR * w.Factor(k)
				if lr != want.LR {
					t.Errorf("step %d: lr %v, want %v", k+1, lr, want.LR)
				}
				g := toFloat32(fx.Grads[k])
				norm := ClipGlobalNorm(g, fx.MaxNorm)
				if math.Abs(norm-want.Norm) > tol*want.Norm {
					t.Errorf("step %d: norm %.9g, want %.9g", k+1, norm, want.Norm)
				}
				if err := a.Step(p, g, lr); err != nil {
					t.Fatal(err)
				}
				if err := e.Update(p); err != nil {
					t.Fatal(err)
				}
				st := a.State()
				for _, c := range []struct {
					name string
					got  [][]float32
					want [][]float64
				}{
					{"params", p, want.Params},
					{"exp_avg", st.M, want.ExpAvg},
					{"exp_avg_sq", st.V, want.ExpAvgSq},
					{"ema", e.State().Shadow, want.EMA},
				} {
					for i := range c.want {
						if r := relErr(c.got[i:i+1], c.want[i:i+1]); r > tol {
							t.Errorf("step %d: %s tensor %d relative error %.3g, want <= %g\ngot  %v\nwant %v",
								k+1, c.name, i, r, tol, c.got[i], c.want[i])
						}
					}
				}
			}
		})
	}
}
