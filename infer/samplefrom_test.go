package infer_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
)

// TestSampleFromTopIsSample checks that continuing from Sample's start noise at the top level
// reproduces Sample bit for bit (same noise streams), for every sampler case, and that the
// levels above a lower start are left nil while the start level holds the input exactly.
func TestSampleFromTopIsSample(t *testing.T) {
	for _, c := range samplerCases() {
		t.Run(c.name, func(t *testing.T) {
			s := sharedSampler(t, c.dir(t))
			top := s.Schedule().Levels
			var levels [][]float32
			o := c.o
			o.Levels = &levels
			want := sample(t, s, 4, o)
			got, err := s.SampleFrom(context.Background(), levels[top], 4, top, c.o)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("SampleFrom(start noise, %d): max difference %g from Sample, want identical", top, maxAbsDiff(t, got, want))
			}
			var from [][]float32
			o.Levels = &from
			if _, err := s.SampleFrom(context.Background(), levels[2], 4, 2, o); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(from[2], levels[2]) || from[3] != nil || from[top] != nil || len(from[0]) != len(levels[0]) {
				t.Errorf("SampleFrom(x, 2) levels: level 2 equal to the input %v, level 3 nil %v, level 0 filled %v",
					slices.Equal(from[2], levels[2]), from[3] == nil, len(from[0]) == len(levels[0]))
			}
		})
	}
}

// TestSampleFromKeepsStructure checks on the digit test model that starting from a slightly
// noised image stays close to it, and closer than starting from the top level.
func TestSampleFromKeepsStructure(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	dim := size(s)
	x := make([]float32, dim)
	for i := range x {
		if (i/28)%7 < 3 { // stripes
			x[i] = 0.8
		} else {
			x[i] = -0.8
		}
	}
	sch := s.Schedule()
	start := make([]float32, dim)
	a := float32(sch.Alpha(1))
	for i := range start {
		start[i] = a * x[i] // level 1 with its (small) noise left out
	}
	near, err := s.SampleFrom(context.Background(), start, 1, 1, infer.SampleOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	far := sample(t, s, 1, infer.SampleOptions{Seed: 1})
	dNear, dFar := rms(near, x), rms(far, x)
	if !(dNear < 0.5*dFar) {
		t.Errorf("rms distance to the image: %.3f from level 1, %.3f from noise; want the first well below the second", dNear, dFar)
	}
}

func rms(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return math.Sqrt(s / float64(len(a)))
}

// TestSampleFromErrors checks the errors for a bad start.
func TestSampleFromErrors(t *testing.T) {
	s := sharedSampler(t, bundles.Toy(t))
	top := s.Schedule().Levels
	ok := make([]float32, 2*size(s))
	nan := slices.Clone(ok)
	nan[3] = float32(math.NaN())
	cases := []struct {
		name  string
		x     []float32
		level int
		want  string
	}{
		{"level 0", ok, 0, "level 0 outside 1..6"},
		{"level above top", ok, top + 1, "outside 1..6"},
		{"short input", ok[:3], 1, "3 input values for 2 samples"},
		{"nan", nan, 1, "input value 3 is NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.SampleFrom(context.Background(), c.x, 2, c.level, infer.SampleOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
