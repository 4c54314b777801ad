package optim

import (
	"math"
	"testing"
)

// near reports whether got is within rel of want (relative).
func near(got float32, want, rel float64) bool {
	return math.Abs(float64(got)-want) <= rel*math.Abs(want)
}

// Three Adam steps (lr 0.1, defaults) on p = (1, -2, 0.5) with gradients chosen so the
// expected values have closed forms:
//
//	value 0, g = 1, -1, 0:
//	  t=1: m^ = g, v^ = g^2, so p -= 0.1 * 1/(1+eps).
//	  t=2: m = 0.09 - 0.1 = -0.01, 1-b1^2 = 0.19, m^ = -1/19; v = 0.000999 + 0.001 = 0.001999,
//	       1-b2^2 = 0.001999, v^ = 1; p += 0.1 * (1/19)/(1+eps).
//	  t=3: m = -0.009, m^ = -0.009/0.271; v = 0.999*0.001999 = 0.001997001,
//	       1-b2^3 = 0.002997001; p += 0.1 * (0.009/0.271)/(sqrt(0.001997001/0.002997001)+eps).
//	value 1, g = 1e-3 always: a constant gradient has m^ = g and v^ = g^2 at every t, so each
//	  step moves p by -0.1 * 1e-3/(1e-3+eps).
//	value 2, g = -4 always: each step moves p by +0.1 * 4/(4+eps).
func TestAdamHandSteps(t *testing.T) {
	const eps = 1e-8
	grads := [][]float32{{1, 1e-3, -4}, {-1, 1e-3, -4}, {0, 1e-3, -4}}
	d0 := []float64{
		-0.1 / (1 + eps),
		0.1 * (1.0 / 19) / (1 + eps),
		0.1 * (0.009 / 0.271) / (math.Sqrt(0.001997001/0.002997001) + eps),
	}
	d1 := -0.1 * 1e-3 / (1e-3 + eps)
	d2 := 0.1 * 4 / (4 + eps)
	want := [][]float64{
		{1 + d0[0], -2 + d1, 0.5 + d2},
		{1 + d0[0] + d0[1], -2 + 2*d1, 0.5 + 2*d2},
		{1 + d0[0] + d0[1] + d0[2], -2 + 3*d1, 0.5 + 3*d2},
	}
	a, err := NewAdam(DefaultAdam())
	if err != nil {
		t.Fatal(err)
	}
	p := [][]float32{{1, -2, 0.5}}
	for k, g := range grads {
		if err := a.Step(p, [][]float32{g}, 0.1); err != nil {
			t.Fatal(err)
		}
		for j, w := range want[k] {
			if !near(p[0][j], w, 1e-6) {
				t.Errorf("step %d: p[%d] = %.9g, want %.9g", k+1, j, p[0][j], w)
			}
		}
	}
	st := a.State()
	if st.Step != 3 {
		t.Errorf("state step %d, want 3", st.Step)
	}
	// Moments of value 0 after t=3 (derived above) and of the constant gradients:
	// m = g(1-0.9^3) = 0.271g, v = g^2(1-0.999^3) = 0.002997001 g^2.
	wantM := []float64{-0.009, 0.271e-3, -4 * 0.271}
	wantV := []float64{0.001997001, 0.002997001e-6, 16 * 0.002997001}
	for j := range wantM {
		if !near(st.M[0][j], wantM[j], 1e-6) || !near(st.V[0][j], wantV[j], 1e-6) {
			t.Errorf("moments of value %d: m %.9g v %.9g, want %.9g %.9g",
				j, st.M[0][j], st.V[0][j], wantM[j], wantV[j])
		}
	}
}

// Bias correction makes the first step move every value by lr*g/(|g|+eps), whatever the scale
// of g.
func TestAdamFirstStepBiasCorrection(t *testing.T) {
	for _, g := range []float32{1e-3, 10, -4, 1e4, -1e-6} {
		a, err := NewAdam(DefaultAdam())
		if err != nil {
			t.Fatal(err)
		}
		p := [][]float32{{1}}
		if err := a.Step(p, [][]float32{{g}}, 0.1); err != nil {
			t.Fatal(err)
		}
		gf := float64(g)
		want := 1 - 0.1*gf/(math.Abs(gf)+1e-8)
		if !near(p[0][0], want, 1e-6) {
			t.Errorf("g %g: p = %.9g, want %.9g", g, p[0][0], want)
		}
	}
}

// A step at lr 0 (the first EBM step under warmup) leaves p alone but counts: the next step
// uses t = 2 bias corrections and moments that include the first gradient. With g = 1 then -1
// the second step is the t=2 step of TestAdamHandSteps: p += 0.1 * (1/19)/(1+eps).
func TestAdamZeroLearningRateCounts(t *testing.T) {
	a, err := NewAdam(DefaultAdam())
	if err != nil {
		t.Fatal(err)
	}
	p := [][]float32{{1}}
	if err := a.Step(p, [][]float32{{1}}, 0); err != nil {
		t.Fatal(err)
	}
	if p[0][0] != 1 {
		t.Errorf("after a step at lr 0: p = %v, want 1", p[0][0])
	}
	if err := a.Step(p, [][]float32{{-1}}, 0.1); err != nil {
		t.Fatal(err)
	}
	if want := 1 + 0.1*(1.0/19)/(1+1e-8); !near(p[0][0], want, 1e-6) {
		t.Errorf("second step: p = %.9g, want %.9g", p[0][0], want)
	}
}

// AdamW multiplies by 1 - lr*wd before the Adam update: with p = 1, g = 0.5, lr 0.1, wd 0.5
// each step is p <- 0.95 p - 0.1 * 0.5/(0.5+eps) (constant g, so m^/sqrt(v^) = 1).
func TestAdamWDecay(t *testing.T) {
	cfg := DefaultAdam()
	cfg.WeightDecay = 0.5
	a, err := NewAdam(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := [][]float32{{1}, {0}}
	upd := 0.1 * 0.5 / (0.5 + 1e-8)
	want := []float64{0.95 - upd, 0.95*(0.95-upd) - upd}
	for k, w := range want {
		if err := a.Step(p, [][]float32{{0.5}, {0.5}}, 0.1); err != nil {
			t.Fatal(err)
		}
		if !near(p[0][0], w, 1e-6) {
			t.Errorf("step %d: p = %.9g, want %.9g", k+1, p[0][0], w)
		}
	}
	// A value at 0 is first moved by the Adam update alone, then decays with the rest.
	if want := 0.95*(-upd) - upd; !near(p[1][0], want, 1e-6) {
		t.Errorf("zero value after 2 steps: p = %.9g, want %.9g", p[1][0], want)
	}
}

// adamRef is a textbook AdamW in float64 throughout, written from the formulas of the paper
// (bias-corrected m^ and v^ made explicit), for comparison with the float32 implementation.
type adamRef struct {
	b1, b2, eps, wd float64
	t               int
	m, v, p         []float64
}

func (r *adamRef) step(g []float64, lr float64) {
	r.t++
	for j := range r.p {
		r.p[j] -= lr * r.wd * r.p[j]
		r.m[j] = r.b1*r.m[j] + (1-r.b1)*g[j]
		r.v[j] = r.b2*r.v[j] + (1-r.b2)*g[j]*g[j]
		mHat := r.m[j] / (1 - math.Pow(r.b1, float64(r.t)))
		vHat := r.v[j] / (1 - math.Pow(r.b2, float64(r.t)))
		r.p[j] -= lr * mHat / (math.Sqrt(vHat) + r.eps)
	}
}

func TestAdamAgainstFloat64Reference(t *testing.T) {
	for _, wd := range []float64{0, 0.01} {
		rng := seeded(t, 7)
		p := randLayout(rng, 1, 40)
		ref := &adamRef{b1: 0.9, b2: 0.999, eps: 1e-8, wd: wd,
			m: make([]float64, 40), v: make([]float64, 40), p: make([]float64, 40)}
		for j, x := range p[0] {
			ref.p[j] = float64(x)
		}
		cfg := DefaultAdam()
		cfg.WeightDecay = wd
		a, err := NewAdam(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for k := range 20 {
			g := randLayout(rng, 0.1, 40)
			g64 := make([]float64, 40)
			for j, x := range g[0] {
				g64[j] = float64(x)
			}
			lr := 1e-2 * Warmup{Steps: 5}.Factor(k)
			if err := a.Step(p, g, lr); err != nil {
				t.Fatal(err)
			}
			ref.step(g64, lr)
			st := a.State()
			for _, c := range []struct {
				name string
				got  [][]float32
				want []float64
			}{{"params", p, ref.p}, {"m", st.M, ref.m}, {"v", st.V, ref.v}} {
				if e := relErr(c.got, [][]float64{c.want}); e > 1e-6 {
					t.Errorf("wd %g step %d: %s relative error %.3g, want <= 1e-6", wd, k+1, c.name, e)
				}
			}
		}
	}
}

func TestAdamConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*AdamConfig)
		want string
	}{
		{func(c *AdamConfig) { c.Beta1 = 1 }, "optim: adam: beta1 1 outside [0, 1)"},
		{func(c *AdamConfig) { c.Beta1 = math.NaN() }, "optim: adam: beta1 NaN outside [0, 1)"},
		{func(c *AdamConfig) { c.Beta2 = -0.1 }, "optim: adam: beta2 -0.1 outside [0, 1)"},
		{func(c *AdamConfig) { c.Eps = -1 }, "optim: adam: eps -1 is not a finite number >= 0"},
		{func(c *AdamConfig) { c.Eps = math.Inf(1) }, "optim: adam: eps +Inf is not a finite number >= 0"},
		{func(c *AdamConfig) { c.WeightDecay = -0.5 }, "optim: adam: weight decay -0.5 is not a finite number >= 0"},
	} {
		cfg := DefaultAdam()
		tc.mod(&cfg)
		if _, err := NewAdam(cfg); err == nil || err.Error() != tc.want {
			t.Errorf("NewAdam(%+v) error %v, want %q", cfg, err, tc.want)
		}
	}
}

func TestAdamStepErrors(t *testing.T) {
	a, err := NewAdam(DefaultAdam())
	if err != nil {
		t.Fatal(err)
	}
	p := [][]float32{{1, 2}, {3}}
	if err := a.Step(p, [][]float32{{0.1, 0.2}, {0.3}}, 0.1); err != nil {
		t.Fatal(err)
	}
	before, beforeState := cloneData(p), a.State()
	for _, tc := range []struct {
		name          string
		params, grads [][]float32
		lr            float64
		want          string
	}{
		{"negative lr", p, [][]float32{{0, 0}, {0}}, -1e-4, "optim: adam: learning rate -0.0001 is not a finite number >= 0"},
		{"NaN lr", p, [][]float32{{0, 0}, {0}}, math.NaN(), "optim: adam: learning rate NaN is not a finite number >= 0"},
		{"Inf lr", p, [][]float32{{0, 0}, {0}}, math.Inf(1), "optim: adam: learning rate +Inf is not a finite number >= 0"},
		{"grad count", p, [][]float32{{0, 0}}, 0.1, "optim: adam: grads has 1 tensors, params has 2"},
		{"grad size", p, [][]float32{{0, 0}, {0, 0}}, 0.1, "optim: adam: tensor 1: grads has 2 values, params has 1"},
		{"state layout", [][]float32{{1, 2, 3}, {3}}, [][]float32{{0, 0, 0}, {0}}, 0.1, "optim: adam: tensor 0: state has 2 values, params has 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := a.Step(tc.params, tc.grads, tc.lr); err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if d := sameBits(p, before); d != "" {
				t.Errorf("params changed on error: %s", d)
			}
			st := a.State()
			if st.Step != beforeState.Step || sameBits(st.M, beforeState.M) != "" || sameBits(st.V, beforeState.V) != "" {
				t.Errorf("state changed on error: step %d, want %d", st.Step, beforeState.Step)
			}
		})
	}
}

func TestAdamSetStateErrors(t *testing.T) {
	a, err := NewAdam(DefaultAdam())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s    AdamState
		want string
	}{
		{AdamState{Step: -1}, "optim: adam: state step -1 is negative"},
		{AdamState{Step: 1, M: [][]float32{{0}}, V: [][]float32{{0, 0}}}, "optim: adam: state: tensor 0: V has 2 values, M has 1"},
		{AdamState{Step: 1, M: [][]float32{{0}}}, "optim: adam: state: V has 0 tensors, M has 1"},
	} {
		if err := a.SetState(tc.s); err == nil || err.Error() != tc.want {
			t.Errorf("SetState(%+v) error %v, want %q", tc.s, err, tc.want)
		}
	}
	// A state with steps but no moments fits no non-empty parameters.
	if err := a.SetState(AdamState{Step: 3}); err != nil {
		t.Fatal(err)
	}
	want := "optim: adam: state has 0 tensors, params has 1"
	if err := a.Step([][]float32{{1}}, [][]float32{{1}}, 0.1); err == nil || err.Error() != want {
		t.Errorf("Step error %v, want %q", err, want)
	}
}

// State and SetState copy: changing a saved state or the state given to SetState never touches
// the optimiser.
func TestAdamStateCopies(t *testing.T) {
	a, err := NewAdam(DefaultAdam())
	if err != nil {
		t.Fatal(err)
	}
	p := [][]float32{{1}}
	if err := a.Step(p, [][]float32{{1}}, 0.1); err != nil {
		t.Fatal(err)
	}
	s := a.State()
	s.M[0][0] = 99
	if got := a.State().M[0][0]; got == 99 {
		t.Error("State aliases the optimiser's moments")
	}
	in := AdamState{Step: 1, M: [][]float32{{0.5}}, V: [][]float32{{0.25}}}
	if err := a.SetState(in); err != nil {
		t.Fatal(err)
	}
	in.M[0][0] = 99
	if got := a.State().M[0][0]; got != 0.5 {
		t.Errorf("after changing SetState's argument: m = %v, want 0.5", got)
	}
	if got := a.Config(); got != DefaultAdam() {
		t.Errorf("Config() = %+v, want %+v", got, DefaultAdam())
	}
}

func BenchmarkAdamStep(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			cfg := DefaultAdam()
			cfg.WeightDecay = 0.01
			a, err := NewAdam(cfg)
			if err != nil {
				b.Fatal(err)
			}
			p, g := benchLayout(sz.n, 1), benchLayout(sz.n, 2)
			b.SetBytes(int64(28 * sz.n)) // reads p, g, m, v and writes p, m, v: 7 float32 per value
			for b.Loop() {
				if err := a.Step(p, g, 1e-6); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
