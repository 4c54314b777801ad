package infer_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
)

// proposalChain is unguided sampling without Langevin steps written out: per sample its start
// noise, then at every level the initializer's mean plus its noise, unscaled; the final
// denoising step when the manifest has one, and clamping for images.
func proposalChain(t *testing.T, s *infer.Sampler, n int, seed uint64) []float32 {
	t.Helper()
	ctx, m, d := context.Background(), s.Manifest(), size(s)
	var classes []int64
	if len(m.Classes) > 0 {
		classes = make([]int64, n) // the null class
	}
	rngs := make([]*rand.Rand, n)
	x := make([]float32, n*d)
	for i := range rngs {
		rngs[i] = infer.SampleRNG(seed, i)
		infer.Normal(x[i*d:(i+1)*d], rngs[i])
	}
	noise := make([]float32, d)
	for level := m.Schedule.Levels - 1; level >= 0; level-- {
		tr, err := s.Transition(level)
		if err != nil {
			t.Fatal(err)
		}
		logsnr, mt := make([]float32, n), make([]float32, n)
		for i := range n {
			logsnr[i], mt[i] = float32(tr.LogSNRIn), float32(tr.M)
		}
		y, err := s.Initializer(ctx, x, logsnr, classes)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rngs {
			infer.Normal(noise, r)
			for j, e := range noise {
				y[i*d+j] += float32(tr.InitStd) * e
			}
		}
		if err := infer.Unscale(x, y, d, mt); err != nil {
			t.Fatal(err)
		}
	}
	if m.Langevin.Tweedie {
		// The denoising step reads the energy of level 0 (Sampler.Energy's y and logSNR).
		mode, err := infer.ParseStepMode(m.Langevin.CMode)
		if err != nil {
			t.Fatal(err)
		}
		tw, err := s.Schedule().Tweedie(infer.Langevin{Mode: mode, B: m.Langevin.B})
		if err != nil {
			t.Fatal(err)
		}
		_, grad, err := s.Energy(ctx, x, n, 0, classes)
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.Denoise(x, x, grad); err != nil {
			t.Fatal(err)
		}
	}
	if m.Kind == bundle.KindImage {
		for i, v := range x {
			x[i] = max(float32(m.Range[0]), min(float32(m.Range[1]), v))
		}
	}
	return x
}

// graphRuns counts the network calls of task op by graph role while f runs.
func graphRuns(t *testing.T, op string, f func()) map[string]int {
	t.Helper()
	runs := map[string]int{}
	restore := infer.ObserveRuns(func(o, graph string, _ int) {
		if o == op {
			runs[graph]++
		}
	})
	defer restore()
	f()
	return runs
}

// TestNoLangevin checks Steps: NoLangevin on Sample: one initializer run per level and no
// energy run but the final denoising step's, a level-done Progress report per level and no
// step report, the initializer-only chain written out (proposalChain) bit for bit without
// guidance, the same samples for the same seed, and other samples with one Langevin step.
func TestNoLangevin(t *testing.T) {
	for _, c := range samplerCases() {
		t.Run(c.name, func(t *testing.T) {
			s := sharedSampler(t, c.dir(t))
			m := s.Manifest()
			T := m.Schedule.Levels
			var infos []infer.StepInfo
			o := c.o
			o.Steps = infer.NoLangevin
			o.Progress = func(i infer.StepInfo) { infos = append(infos, i) }
			const n = 3
			var a []float32
			runs := graphRuns(t, "sample", func() { a = sample(t, s, n, o) })
			wantEnergy := 0
			if m.Langevin.Tweedie {
				wantEnergy = 1
			}
			if runs[bundle.GraphInitializer] != T || runs[bundle.GraphEnergy] != wantEnergy {
				t.Errorf("runs %v, want %d of the initializer and %d of the energy (the final denoising step)", runs, T, wantEnergy)
			}
			var wantInfos []infer.StepInfo
			for l := T - 1; l >= 0; l-- {
				wantInfos = append(wantInfos, infer.StepInfo{Chunks: 1, Level: l, LevelDone: true})
			}
			if !slices.Equal(infos, wantInfos) {
				t.Errorf("Progress reports %+v, want %+v", infos, wantInfos)
			}
			o.Progress = nil
			if b := sample(t, s, n, o); !slices.Equal(a, b) {
				t.Errorf("seed %d twice: max difference %g, want identical samples", o.Seed, maxAbsDiff(t, a, b))
			}
			if c.o.Class == 0 {
				if want := proposalChain(t, s, n, o.Seed); !slices.Equal(a, want) {
					t.Errorf("max difference %g from the initializer-only chain, want identical", maxAbsDiff(t, a, want))
				}
			}
			o.Steps = 1
			if one := sample(t, s, n, o); maxAbsDiff(t, a, one) == 0 {
				t.Errorf("no Langevin step and one gave the same samples")
			}
		})
	}
}

// TestNoLangevinTasks checks Steps: NoLangevin on SampleFrom, Inpaint (with resampling) and
// Compose: one initializer run per level and pass, no energy run but the final denoising
// step's, the same result for the same seed, and another with one Langevin step.
func TestNoLangevinTasks(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	ctx, d := context.Background(), size(s)
	T := s.Manifest().Schedule.Levels
	wantEnergy := 0
	if s.Manifest().Langevin.Tweedie {
		wantEnergy = 1
	}
	img, known := make([]float32, d), make([]bool, d)
	for i := range img {
		img[i], known[i] = float32(math.Sin(float64(i))), i < d/2
	}
	start := make([]float32, 2*d)
	for i := range start {
		start[i] = float32(math.Cos(float64(i)))
	}
	for _, c := range []struct {
		op   string
		runs int // initializer runs
		do   func(o infer.SampleOptions) ([]float32, error)
	}{
		{"sample-from", 3, func(o infer.SampleOptions) ([]float32, error) { return s.SampleFrom(ctx, start, 2, 3, o) }},
		{"inpaint", 2 * T, func(o infer.SampleOptions) ([]float32, error) {
			o.Class, o.Resample = 1, 1
			return s.Inpaint(ctx, img, known, 2, o)
		}},
		{"compose", T, func(o infer.SampleOptions) ([]float32, error) { return s.Compose(ctx, 2, []int64{1, 2}, o) }},
	} {
		t.Run(c.op, func(t *testing.T) {
			o := infer.SampleOptions{Seed: 7, Steps: infer.NoLangevin}
			var a []float32
			runs := graphRuns(t, c.op, func() {
				var err error
				if a, err = c.do(o); err != nil {
					t.Fatal(err)
				}
			})
			checkFinite(t, c.op, a)
			if runs[bundle.GraphInitializer] != c.runs || runs[bundle.GraphEnergy] != wantEnergy {
				t.Errorf("runs %v, want %d of the initializer and %d of the energy (the final denoising step)", runs, c.runs, wantEnergy)
			}
			b, err := c.do(o)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a, b) {
				t.Errorf("seed %d twice: max difference %g, want identical results", o.Seed, maxAbsDiff(t, a, b))
			}
			o.Steps = 1
			one, err := c.do(o)
			if err != nil {
				t.Fatal(err)
			}
			if maxAbsDiff(t, a, one) == 0 {
				t.Errorf("no Langevin step and one gave the same results")
			}
		})
	}
}
