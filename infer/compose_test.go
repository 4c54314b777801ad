package infer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
)

// TestComposeOneClass checks that composing one class is classifier-free guidance: the same
// samples as Sample with that class and weight, bit for bit.
func TestComposeOneClass(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	for _, w := range []float64{0, 0.7, 3} {
		got, err := s.Compose(context.Background(), 3, []int64{2}, infer.SampleOptions{Seed: 5, Guidance: infer.Weight(w)})
		if err != nil {
			t.Fatal(err)
		}
		want := sample(t, s, 3, infer.SampleOptions{Seed: 5, Class: 2, Guidance: infer.Weight(w)})
		if !slices.Equal(got, want) {
			t.Errorf("w %g: max difference %g from the guided sample", w, maxAbsDiff(t, got, want))
		}
	}
}

// TestComposeRepeatedClass checks the weights of a composition of two concepts: composing
// class c with itself at weight w is f(0) + 2(1+w)(f(c) - f(0)), guidance with weight 1+2w.
// With w = 0.5 the weights (1.5, 1.5, -2) and (3, -2) are exact, and the two runs batch 3n
// and 2n samples, so the results agree up to ONNX Runtime's rounding between batch sizes.
func TestComposeRepeatedClass(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	got, err := s.Compose(context.Background(), 3, []int64{1, 1}, infer.SampleOptions{Seed: 6, Guidance: infer.Weight(0.5)})
	if err != nil {
		t.Fatal(err)
	}
	want := sample(t, s, 3, infer.SampleOptions{Seed: 6, Class: 1, Guidance: infer.Weight(2)})
	if d := relDiff(t, got, want); d > 1e-3 {
		t.Errorf("relative difference %g from guidance 2 (max %g)", d, maxAbsDiff(t, got, want))
	}
}

// TestComposeTwoClasses composes both classes of the model, chunked, and checks the output
// and its reproducibility.
func TestComposeTwoClasses(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	o := infer.SampleOptions{Seed: 7, Batch: 2, Guidance: infer.Weight(1)}
	a, err := s.Compose(context.Background(), 5, []int64{1, 2}, o)
	if err != nil {
		t.Fatal(err)
	}
	checkFinite(t, "compose", a)
	if len(a) != 5*size(s) {
		t.Fatalf("%d values, want %d", len(a), 5*size(s))
	}
	b, err := s.Compose(context.Background(), 5, []int64{1, 2}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Errorf("same seed twice: max difference %g", maxAbsDiff(t, a, b))
	}
	for _, c := range []int64{1, 2} {
		if maxAbsDiff(t, a, sample(t, s, 5, infer.SampleOptions{Seed: 7, Class: c, Guidance: infer.Weight(1)})) == 0 {
			t.Errorf("the composition equals the guided samples of class %d", c)
		}
	}
}

func TestComposeErrors(t *testing.T) {
	toy := sharedSampler(t, bundles.Toy(t))
	dig := sharedSampler(t, bundles.Digits(t))
	cases := []struct {
		name    string
		s       *infer.Sampler
		classes []int64
		o       infer.SampleOptions
		want    string
	}{
		{"unconditional", toy, []int64{1}, infer.SampleOptions{}, "unconditional"},
		{"no classes", dig, nil, infer.SampleOptions{}, "no classes"},
		{"null class", dig, []int64{0, 1}, infer.SampleOptions{}, "null class"},
		{"out of range", dig, []int64{1, 3}, infer.SampleOptions{}, "class id 3 outside 0..2"},
		{"negative weight", dig, []int64{1}, infer.SampleOptions{Guidance: infer.Weight(-1)}, "infer: compose: weight -1"},
		{"class option", dig, []int64{1}, infer.SampleOptions{Class: 1}, "options set a class"},
		{"auto class", dig, []int64{1}, infer.SampleOptions{Class: infer.AutoClass}, "options set a class"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.s.Compose(context.Background(), 2, c.classes, c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestComposeBatchesOnce checks that every network call of Compose batches all the class
// groups and the null class: one run of (len(classes)+1)*n samples per Langevin step.
func TestComposeBatchesOnce(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	runs := map[string][]int{}
	restore := infer.ObserveRuns(func(op, graph string, batch int) { runs[op+" "+graph] = append(runs[op+" "+graph], batch) })
	defer restore()
	const n, steps = 3, 2
	if _, err := s.Compose(context.Background(), n, []int64{1, 2, 2}, infer.SampleOptions{Seed: 1, Steps: steps}); err != nil {
		t.Fatal(err)
	}
	T := s.Manifest().Schedule.Levels
	wantEnergy := T * steps
	if s.Manifest().Langevin.Tweedie {
		wantEnergy++
	}
	for graph, want := range map[string]int{"initializer": T, "energy": wantEnergy} {
		got := runs["compose "+graph]
		if len(got) != want {
			t.Errorf("%s: %d runs, want %d", graph, len(got), want)
		}
		for _, b := range got {
			if b != 4*n {
				t.Errorf("%s: a run of batch %d, want %d (4 groups of %d)", graph, b, 4*n, n)
				break
			}
		}
	}
}
