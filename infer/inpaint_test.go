package infer_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
)

// halfMask returns the known flags of a 1 x 28 x 28 sample whose left half is known.
func halfMask() []bool {
	known := make([]bool, 28*28)
	for i := range known {
		known[i] = i%28 < 14
	}
	return known
}

// barImage returns a 28x28 grey sample: black with a white horizontal bar.
func barImage() []float32 {
	x := make([]float32, 28*28)
	for i := range x {
		x[i] = -1
		if r := i / 28; r >= 12 && r < 16 {
			x[i] = 1
		}
	}
	return x
}

// TestInpaintKeepsKnown checks that every candidate keeps the known pixels bit for bit, with
// and without class and guidance, and that the candidates differ in the unknown pixels.
func TestInpaintKeepsKnown(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	img, known := barImage(), halfMask()
	for _, o := range []infer.SampleOptions{{Seed: 1}, {Seed: 2, Class: 1, Guidance: infer.Weight(2)}, {Seed: 3, Class: 2, Batch: 2, Steps: 1},
		{Seed: 4, Resample: 2, Steps: 2}, {Seed: 5, Class: infer.AutoClass, Steps: 1}} {
		const n = 3
		x, err := s.Inpaint(context.Background(), img, known, n, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(x) != n*len(img) {
			t.Fatalf("%d values, want %d", len(x), n*len(img))
		}
		checkFinite(t, "inpaint", x)
		for i := range n {
			cand := x[i*len(img) : (i+1)*len(img)]
			for j, k := range known {
				if k && math.Float32bits(cand[j]) != math.Float32bits(img[j]) {
					t.Fatalf("%+v: candidate %d, known pixel %d = %v, want %v exactly", o, i, j, cand[j], img[j])
				}
			}
		}
		unknownDiffer := false
		for j, k := range known {
			if !k && x[j] != x[len(img)+j] {
				unknownDiffer = true
			}
		}
		if !unknownDiffer {
			t.Errorf("%+v: candidates 0 and 1 agree on every unknown pixel", o)
		}
		again, err := s.Inpaint(context.Background(), img, known, n, o)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(x, again) {
			t.Errorf("%+v twice: max difference %g", o, maxAbsDiff(t, x, again))
		}
	}
}

// TestInpaintNoisedObservation checks the replacement at every level: the known pixels of the
// level-k samples are the observation noised to level k, alpha_k x* + sbar_k e with e standard
// normal, so (x_k - alpha_k x*)/sbar_k has mean 0 and variance 1.
func TestInpaintNoisedObservation(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	img, known := barImage(), halfMask()
	for _, resample := range []int{0, 2} {
		var levels [][]float32
		const n = 4
		if _, err := s.Inpaint(context.Background(), img, known, n, infer.SampleOptions{Seed: 8, Levels: &levels, Resample: resample}); err != nil {
			t.Fatal(err)
		}
		checkNoisedObservation(t, s, img, known, levels, n)
	}
}

// checkNoisedObservation checks the known pixels of the n samples at every level k of levels:
// (x_k - alpha_k x*)/sbar_k must have mean 0 and variance 1.
func checkNoisedObservation(t *testing.T, s *infer.Sampler, img []float32, known []bool, levels [][]float32, n int) {
	t.Helper()
	m := s.Manifest()
	sched := infer.Schedule{Levels: m.Schedule.Levels, LogSNRMin: m.Schedule.LogSNRMin, LogSNRMax: m.Schedule.LogSNRMax}
	for k := 0; k < sched.Levels; k++ {
		a, sb := sched.Alpha(k), sched.SigmaBar(k)
		var sum, sum2 float64
		count := 0
		for i := range n {
			for j, kn := range known {
				if kn {
					e := (float64(levels[k][i*len(img)+j]) - a*float64(img[j])) / sb
					sum += e
					sum2 += e * e
					count++
				}
			}
		}
		mean := sum / float64(count)
		v := sum2/float64(count) - mean*mean
		// count = 1568: the standard error of the mean is 0.025, of the variance 0.036.
		if math.Abs(mean) > 0.15 || math.Abs(v-1) > 0.2 {
			t.Errorf("level %d: known pixels have noise mean %.3f, variance %.3f; want 0 and 1", k, mean, v)
		}
	}
}

// TestInpaintResample checks that resampling repeats every transition: R+1 passes of the
// Langevin steps per level, a different completion than plain replacement, and an error for
// the tasks that take no resampling.
func TestInpaintResample(t *testing.T) {
	ctx := context.Background()
	s := sharedSampler(t, bundles.Digits(t))
	img, known := barImage(), halfMask()
	const resample, steps = 2, 3
	calls := 0
	o := infer.SampleOptions{Seed: 5, Steps: steps, Progress: func(i infer.StepInfo) {
		if !i.LevelDone {
			calls++
		}
	}}
	plain, err := s.Inpaint(ctx, img, known, 1, o)
	if err != nil {
		t.Fatal(err)
	}
	levels := s.Manifest().Schedule.Levels
	if calls != levels*steps {
		t.Fatalf("plain replacement: %d Langevin steps, want %d", calls, levels*steps)
	}
	calls, o.Resample = 0, resample
	x, err := s.Inpaint(ctx, img, known, 1, o)
	if err != nil {
		t.Fatal(err)
	}
	if calls != levels*(resample+1)*steps {
		t.Errorf("resample %d: %d Langevin steps, want %d", resample, calls, levels*(resample+1)*steps)
	}
	if slices.Equal(x, plain) {
		t.Errorf("resample %d gave plain replacement's completion", resample)
	}
	if _, err := s.Sample(ctx, 1, infer.SampleOptions{Resample: 1}); err == nil || !strings.Contains(err.Error(), "infer: sample: resample 1") {
		t.Errorf("Sample with resampling: error %v", err)
	}
}

// TestInpaintPoints inpaints 2-D points with the first coordinate known.
func TestInpaintPoints(t *testing.T) {
	s := sharedSampler(t, bundles.Toy(t))
	obs := []float32{2.5, 0}
	x, err := s.Inpaint(context.Background(), obs, []bool{true, false}, 50, infer.SampleOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(x); i += 2 {
		if x[i] != obs[0] {
			t.Fatalf("point %d: x = %v, want %v", i/2, x[i], obs[0])
		}
	}
}

func TestInpaintErrors(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	img, known := barImage(), halfMask()
	nan := slices.Clone(img)
	nan[7] = float32(math.NaN())
	cases := []struct {
		name  string
		img   []float32
		known []bool
		n     int
		o     infer.SampleOptions
		want  string
	}{
		{"image size", img[:100], known, 1, infer.SampleOptions{}, "image has 100 values"},
		{"mask size", img, known[:5], 1, infer.SampleOptions{}, "mask has 5 flags"},
		{"nan", nan, known, 1, infer.SampleOptions{}, "image value 7"},
		{"n", img, known, 0, infer.SampleOptions{}, "n = 0"},
		{"class", img, known, 1, infer.SampleOptions{Class: 9}, "class id 9"},
		{"resample", img, known, 1, infer.SampleOptions{Resample: -1}, "resample -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Inpaint(context.Background(), c.img, c.known, c.n, c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
