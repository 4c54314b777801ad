package optim

import (
	"bytes"
	"encoding/gob"
	"testing"
)

// checkpoint is what a trainer would save for one network: weights and optimiser states.
type checkpoint struct {
	Params [][]float32
	Adam   AdamState
	EMA    EMAState
}

// trainSteps runs iterations [from, to) of a clip, AdamW, EMA loop with warmup on gradients
// drawn from grads.
func trainSteps(t *testing.T, p [][]float32, a *Adam, e *EMA, grads [][][]float32, from, to int) {
	t.Helper()
	w := Warmup{Steps: 4, Offset: 1}
	for n := from; n < to; n++ {
		g := cloneData(grads[n])
		ClipGlobalNorm(g, 1)
		if err := a.Step(p, g, 1e-2*w.Factor(n)); err != nil {
			t.Fatal(err)
		}
		if err := e.Update(p); err != nil {
			t.Fatal(err)
		}
	}
}

// Five steps, a gob round trip of the state into fresh objects, five more steps: bit for bit
// the same as ten steps straight.
func TestResumeThroughGob(t *testing.T) {
	rng := seeded(t, 11)
	sizes := []int{5, 21, 1, 0}
	p0 := randLayout(rng, 1, sizes...)
	grads := make([][][]float32, 10)
	for n := range grads {
		grads[n] = randLayout(rng, 0.7, sizes...)
	}
	cfg := DefaultAdam()
	cfg.WeightDecay = 0.01
	fresh := func(p [][]float32) (*Adam, *EMA) {
		a, err := NewAdam(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e, err := NewEMA(0.999, p)
		if err != nil {
			t.Fatal(err)
		}
		return a, e
	}

	straight := cloneData(p0)
	a, e := fresh(straight)
	trainSteps(t, straight, a, e, grads, 0, 10)

	first := cloneData(p0)
	a1, e1 := fresh(first)
	trainSteps(t, first, a1, e1, grads, 0, 5)
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(checkpoint{Params: first, Adam: a1.State(), EMA: e1.State()}); err != nil {
		t.Fatal(err)
	}
	var ck checkpoint
	if err := gob.NewDecoder(&buf).Decode(&ck); err != nil {
		t.Fatal(err)
	}
	// gob drops empty inner slices to nil; the layout (lengths) is what counts.
	resumed := ck.Params
	a2, e2 := fresh(resumed)
	if err := a2.SetState(ck.Adam); err != nil {
		t.Fatal(err)
	}
	if err := e2.SetState(ck.EMA); err != nil {
		t.Fatal(err)
	}
	trainSteps(t, resumed, a2, e2, grads, 5, 10)

	sa, sr := a.State(), a2.State()
	if sa.Step != sr.Step {
		t.Errorf("resumed step %d, want %d", sr.Step, sa.Step)
	}
	if ea, er := e.State(), e2.State(); ea.Updates != er.Updates {
		t.Errorf("resumed EMA updates %d, want %d", er.Updates, ea.Updates)
	}
	for _, c := range []struct {
		name      string
		got, want [][]float32
	}{
		{"params", resumed, straight},
		{"m", sr.M, sa.M},
		{"v", sr.V, sa.V},
		{"ema", e2.State().Shadow, e.State().Shadow},
	} {
		if d := sameBits(c.got, c.want); d != "" {
			t.Errorf("%s after resume differ from a straight run at %s", c.name, d)
		}
	}
}
