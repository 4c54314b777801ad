package infer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// near reports whether float32 got is within rel (relative, with an absolute floor of rel)
// of the float64 want.
func near(got float32, want, rel float64) bool {
	return math.Abs(float64(got)-want) <= rel*math.Max(1, math.Abs(want))
}

func TestLangevinStep(t *testing.T) {
	// Two samples of three elements, with different constants each.
	y := []float32{0.5, -1, 2, 0.25, 0, -0.75}
	grad := []float32{1, 0.5, -2, 4, -1, 0}
	x := []float32{0.4, -0.8, 1, 0, 1, -1}
	noise := []float32{0.3, -1.2, 0, 2, 0.5, -0.1}
	q := []float32{0.1, 0}
	s := []float32{0.2, 0.05}
	want := make([]float64, len(y))
	for i := range want {
		n := i / 3
		yi := float64(y[i])
		want[i] = yi + 0.5*float64(grad[i]) - float64(q[n])*(yi-float64(x[i])) + float64(s[n])*float64(noise[i])
	}
	// Sample 0, element 0: 0.5 + 0.5 - 0.1*0.1 + 0.2*0.3 = 1.05.
	if math.Abs(want[0]-1.05) > 1e-7 {
		t.Fatalf("hand value %v, want 1.05", want[0])
	}
	for _, alias := range []bool{false, true} {
		yy := append([]float32(nil), y...)
		dst := make([]float32, len(y))
		if alias {
			dst = yy
		}
		if err := LangevinStep(dst, yy, grad, x, noise, 3, q, s); err != nil {
			t.Fatalf("alias %v: %v", alias, err)
		}
		for i := range want {
			if !near(dst[i], want[i], 1e-6) {
				t.Errorf("alias %v: dst[%d] = %v, want %v", alias, i, dst[i], want[i])
			}
		}
		if !alias {
			for i := range y {
				if yy[i] != y[i] {
					t.Errorf("y[%d] changed to %v", i, yy[i])
				}
			}
		}
	}
}

func TestBatchFunctionErrors(t *testing.T) {
	v := func(n int) []float32 { return make([]float32, n) }
	tw, err := DefaultSchedule().Tweedie(Langevin{Mode: ImageSteps})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"step dim 0", LangevinStep(v(4), v(4), v(4), v(4), v(4), 0, v(2), v(2)), "dim 0 is not positive"},
		{"step ragged", LangevinStep(v(5), v(5), v(5), v(5), v(5), 2, v(2), v(2)), "len(y) = 5 is not a multiple of dim 2"},
		{"step dst", LangevinStep(v(3), v(4), v(4), v(4), v(4), 2, v(2), v(2)), "len(dst) = 3, want 4"},
		{"step grad", LangevinStep(v(4), v(4), v(6), v(4), v(4), 2, v(2), v(2)), "len(grad) = 6, want 4"},
		{"step x", LangevinStep(v(4), v(4), v(4), nil, v(4), 2, v(2), v(2)), "len(x) = 0, want 4"},
		{"step noise", LangevinStep(v(4), v(4), v(4), v(4), v(2), 2, v(2), v(2)), "len(noise) = 2, want 4"},
		{"step q", LangevinStep(v(4), v(4), v(4), v(4), v(4), 2, v(1), v(2)), "len(q) = 1, want 2 (one per sample)"},
		{"step s", LangevinStep(v(4), v(4), v(4), v(4), v(4), 2, v(2), v(3)), "len(s) = 3, want 2"},
		{"scale dim", ScaleBy(v(4), v(4), -1, v(2)), "dim -1"},
		{"scale dst", ScaleBy(v(2), v(4), 2, v(2)), "len(dst) = 2, want 4"},
		{"scale c", ScaleBy(v(4), v(4), 2, v(4)), "len(c) = 4, want 2"},
		{"unscale ragged", Unscale(v(4), v(4), 3, v(1)), "not a multiple of dim 3"},
		{"unscale dst", Unscale(v(2), v(4), 2, v(2)), "len(dst) = 2, want 4"},
		{"unscale m", Unscale(v(4), v(4), 2, v(1)), "len(m) = 1, want 2"},
		{"unscale negative m", Unscale(v(4), v(4), 2, []float32{1, -0.5}), "m[1] = -0.5"},
		{"unscale NaN m", Unscale(v(4), v(4), 2, []float32{float32(math.NaN()), 1}), "m[0] = NaN"},
		{"denoise dst", tw.Denoise(v(2), v(3), v(3)), "len(dst) = 2, want 3"},
		{"denoise grad", tw.Denoise(v(3), v(3), v(1)), "len(grad) = 1, want 3"},
		{"denoise zero", Tweedie{}.Denoise(v(3), v(3), v(3)), "must be positive"},
	} {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), "infer: ") || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}

func TestScaleUnscale(t *testing.T) {
	x := []float32{1, -2, 0.5, 3, 0, -1}
	m := []float32{0.25, 1, 0.936416}
	scaled := make([]float32, len(x))
	sqrtM := make([]float32, len(m))
	for i := range m {
		sqrtM[i] = float32(math.Sqrt(float64(m[i])))
	}
	if err := ScaleBy(scaled, x, 2, sqrtM); err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if want := math.Sqrt(float64(m[i/2])) * float64(x[i]); !near(scaled[i], want, 1e-6) {
			t.Errorf("ScaleBy: dst[%d] = %v, want %v", i, scaled[i], want)
		}
	}
	back := append([]float32(nil), scaled...)
	if err := Unscale(back, back, 2, m); err != nil { // in place
		t.Fatal(err)
	}
	for i := range x {
		want := float64(scaled[i]) / (math.Sqrt(float64(m[i/2])) + 1e-8)
		if !near(back[i], want, 1e-6) || !near(back[i], float64(x[i]), 1e-6) {
			t.Errorf("Unscale: dst[%d] = %v, want %v (and x = %v)", i, back[i], want, x[i])
		}
	}
	// m = 0 divides by the 1e-8 guard, as the reference code does.
	zero := []float32{1e-9, 2e-9}
	if err := Unscale(zero, zero, 2, []float32{0}); err != nil {
		t.Fatal(err)
	}
	if !near(zero[0], 0.1, 1e-6) || !near(zero[1], 0.2, 1e-6) {
		t.Errorf("Unscale with m = 0: %v, want [0.1 0.2]", zero)
	}
}

func TestTweedieDenoise(t *testing.T) {
	tw, err := DefaultSchedule().Tweedie(Langevin{Mode: ImageSteps})
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{0.5, -0.25, 0}
	grad := []float32{1e-5, 2e-5, -3e-5}
	dst := make([]float32, 3)
	if err := tw.Denoise(dst, x, grad); err != nil {
		t.Fatal(err)
	}
	for i := range x {
		want := (float64(x[i]) + tw.OneMinusAbar0*tw.InScale*float64(grad[i])/tw.ScoreDiv) / tw.SqrtAbar0
		if !near(dst[i], want, 1e-6) {
			t.Errorf("dst[%d] = %v, want %v", i, dst[i], want)
		}
	}
	// A standard-normal level-0 model, f/s_1^2 = -|y|^2/2 in the EBM's input y = sqrt(r_1) x,
	// has df/dy = -s_1^2 y. With the code's factor 2 the step maps x to
	// x (1 - 2 (1 - abar_0) r_1) / alpha_0.
	tr1, err := DefaultSchedule().Transition(1, Langevin{Mode: ImageSteps})
	if err != nil {
		t.Fatal(err)
	}
	y := float32(tw.InScale * 0.5)
	if err := tw.Denoise(dst[:1], []float32{0.5}, []float32{float32(-tr1.S2) * y}); err != nil {
		t.Fatal(err)
	}
	if want := 0.5 * (1 - 2*tw.OneMinusAbar0*tr1.R) / tw.SqrtAbar0; !near(dst[0], want, 1e-6) {
		t.Errorf("quadratic model: Denoise(0.5) = %v, want %v", dst[0], want)
	}
}

func TestPerSampleFill(t *testing.T) {
	s := DefaultSchedule()
	trs, err := s.Transitions(Langevin{Mode: ToySteps})
	if err != nil {
		t.Fatal(err)
	}
	ts := []int{6, 1, 3, 3}
	var p PerSample
	if err := p.Fill(trs, ts); err != nil {
		t.Fatal(err)
	}
	for i, k := range ts {
		tr := trs[k-1]
		for _, c := range []struct {
			name string
			got  float32
			want float64
		}{
			{"LogSNRIn", p.LogSNRIn[i], tr.LogSNRIn},
			{"LogSNROut", p.LogSNROut[i], tr.LogSNROut},
			{"M", p.M[i], tr.M},
			{"SqrtM", p.SqrtM[i], math.Sqrt(tr.M)},
			{"S", p.S[i], tr.S},
			{"Q", p.Q[i], tr.Q},
			{"W", p.W[i], tr.W},
			{"InitStd", p.InitStd[i], tr.InitStd},
		} {
			if c.got != float32(c.want) {
				t.Errorf("sample %d (t=%d): %s = %v, want %v", i, k, c.name, c.got, float32(c.want))
			}
		}
	}
	// Refilling the same size reuses the slices; a subset of transitions is enough.
	ts2 := []int{6, 6, 6, 6}
	if allocs := testing.AllocsPerRun(10, func() {
		if err := p.Fill(trs[5:], ts2); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("refill allocated %v times, want 0", allocs)
	}
	if p.Q[1] != 0 || p.M[2] != 1 || len(p.S) != 4 {
		t.Errorf("after refill with t=6: Q %v M %v len %d, want Q 0, M 1, len 4", p.Q, p.M, len(p.S))
	}
	before := fmt.Sprint(p)
	err = p.Fill(trs[:2], []int{1, 2, 3})
	if err == nil || !strings.Contains(err.Error(), "sample 2 has transition 3") {
		t.Errorf("Fill with a missing transition: %v, want an error naming sample 2", err)
	}
	if after := fmt.Sprint(p); after != before {
		t.Errorf("failed Fill changed p: %s, want %s", after, before)
	}
}

// The Langevin chain with an analytic f has an exact Gaussian stationary law per coordinate
// (method doc section 12). With grad = -a*y (a = 0 for f = 0, a = s^2 for the standard-normal
// marginal f = -(s^2/2)|y|^2) one step is y' = (1 - kappa) y + q x + s xi with
// kappa = a/2 + q, so the law is N(q x / kappa, s^2 / (2 kappa - kappa^2)).
//
// Each case runs 20,000 chains of 2 coordinates for ceil(10/kappa) steps from a start 2 away
// from the mean (the remaining bias is at most 2 e^-10 = 9e-5, under a tenth of a standard error),
// with x_t drawn per coordinate from U(-1, 1). On the N = 40,000 independent final states it
// checks the mean of y - mu(x) within 4 standard errors sqrt(v/N), and the sample variance
// around mu within 4 standard errors v sqrt(2/N). Both would catch the continuous-time
// variance sigma^2/(1+sigma^2) (7% below the discrete one for the toy t = 1) or a wrong pull.
func TestLangevinStationary(t *testing.T) {
	const chains, dim = 20000, 2
	seed := uint64(71)
	t.Logf("seed %d", seed)
	sched := DefaultSchedule()
	for ci, c := range []struct {
		mode      StepMode
		t         int
		quadratic bool
		printedV  string // the method doc's value of the variance, if it gives one
	}{
		{ImageSteps, 2, false, "0.1805"},
		{ToySteps, 1, false, "0.06816"},
		{ImageSteps, 2, true, ""},
		{ImageSteps, 6, true, ""},
		{ToySteps, 1, true, ""},
		{ToySteps, 4, true, ""},
		{ToySteps, 6, true, ""},
	} {
		name := fmt.Sprintf("%v/t=%d/quadratic=%v", c.mode, c.t, c.quadratic)
		t.Run(name, func(t *testing.T) {
			tr, err := sched.Transition(c.t, Langevin{Mode: c.mode})
			if err != nil {
				t.Fatal(err)
			}
			a := 0.0
			if c.quadratic {
				a = tr.S2
			}
			kappa := a/2 + tr.Q
			v := tr.S2 / (2*kappa - kappa*kappa)
			if c.printedV != "" {
				checkPrinted(t, "stationary variance", v, c.printedV)
			}
			meanScale := tr.Q / kappa // mu = meanScale * x
			if c.quadratic && !tr.Final {
				if want := 1 / (1 + tr.Sigma2); math.Abs(meanScale-want) > 1e-12 {
					t.Fatalf("q/kappa = %v, want 1/(1+sigma^2) = %v", meanScale, want)
				}
			}
			steps := int(math.Ceil(10 / kappa))
			rng := rand.New(rand.NewPCG(seed, uint64(ci)))
			n := chains * dim
			x, y, grad, noise := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			mu := make([]float64, n)
			for i := range x {
				x[i] = float32(2*rng.Float64() - 1)
				mu[i] = meanScale * float64(x[i])
				y[i] = float32(mu[i] + 2)
			}
			q, s := make([]float32, chains), make([]float32, chains)
			for i := range q {
				q[i], s[i] = float32(tr.Q), float32(tr.S)
			}
			negA := float32(-a)
			for range steps {
				for i := range y {
					grad[i] = negA * y[i]
				}
				Normal(noise, rng)
				if err := LangevinStep(y, y, grad, x, noise, dim, q, s); err != nil {
					t.Fatal(err)
				}
			}
			var sum, sum2 float64
			for i := range y {
				e := float64(y[i]) - mu[i]
				sum += e
				sum2 += e * e
			}
			mean, vhat := sum/float64(n), sum2/float64(n)
			seMean, seVar := math.Sqrt(v/float64(n)), v*math.Sqrt(2/float64(n))
			t.Logf("kappa %.5g, %d steps: mean offset %.3g (tolerance %.3g), variance %.5g want %.5g (tolerance %.3g)",
				kappa, steps, mean, 4*seMean, vhat, v, 4*seVar)
			if math.Abs(mean) > 4*seMean {
				t.Errorf("mean of y - mu = %.4g, want 0 within %.3g", mean, 4*seMean)
			}
			if math.Abs(vhat-v) > 4*seVar {
				t.Errorf("variance = %.5g, want %.5g within %.3g", vhat, v, 4*seVar)
			}
		})
	}
}

func BenchmarkLangevinStep(b *testing.B) {
	for _, c := range []struct {
		name   string
		n, dim int
	}{
		{"toy-2500x2", 2500, 2},
		{"mnist-64x784", 64, 784},
	} {
		b.Run(c.name, func(b *testing.B) {
			size := c.n * c.dim
			y, grad, x, noise := make([]float32, size), make([]float32, size), make([]float32, size), make([]float32, size)
			rng := rand.New(rand.NewPCG(1, 2))
			Normal(y, rng)
			Normal(grad, rng)
			Normal(x, rng)
			Normal(noise, rng)
			q, s := make([]float32, c.n), make([]float32, c.n)
			for i := range q {
				q[i], s[i] = 0.0068, 0.049
			}
			b.SetBytes(int64(size) * 4)
			for b.Loop() {
				if err := LangevinStep(y, y, grad, x, noise, c.dim, q, s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(size), "ns/elem")
		})
	}
}
