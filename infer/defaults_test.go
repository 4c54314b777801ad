package infer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
)

// TestGuidanceDefault checks that a nil SampleOptions.Guidance is the manifest's weight: for
// Sample, SampleFrom and Compose its guidance_default, bit for bit the samples of that weight
// given explicitly and not those without guidance.
func TestGuidanceDefault(t *testing.T) {
	ctx := context.Background()
	s := sharedSampler(t, bundles.Digits(t))
	def := s.Manifest().GuidanceDefault
	if def == 0 {
		t.Fatalf("the digits test bundle's guidance_default is 0; the test needs a weight that guides")
	}
	if got := s.GuidanceWeight(nil); got != def {
		t.Errorf("GuidanceWeight(nil) = %g, want guidance_default %g", got, def)
	}
	if got := s.GuidanceWeight(infer.Weight(2.5)); got != 2.5 {
		t.Errorf("GuidanceWeight(Weight(2.5)) = %g, want 2.5", got)
	}
	const n = 3
	tasks := []struct {
		name string
		run  func(o infer.SampleOptions) ([]float32, error)
	}{
		{"sample", func(o infer.SampleOptions) ([]float32, error) {
			o.Class = 2
			return s.Sample(ctx, n, o)
		}},
		{"sample per class", func(o infer.SampleOptions) ([]float32, error) {
			o.Classes = []int64{1, 0, 2}
			return s.Sample(ctx, n, o)
		}},
		{"sample-from", func(o infer.SampleOptions) ([]float32, error) {
			o.Class = 1
			return s.SampleFrom(ctx, slices.Repeat(barImage(), n), n, 2, o)
		}},
		{"compose", func(o infer.SampleOptions) ([]float32, error) { return s.Compose(ctx, n, []int64{1, 2}, o) }},
	}
	for _, task := range tasks {
		t.Run(task.name, func(t *testing.T) {
			run := func(w *float64) []float32 {
				t.Helper()
				x, err := task.run(infer.SampleOptions{Seed: 4, Steps: 1, Guidance: w})
				if err != nil {
					t.Fatal(err)
				}
				return x
			}
			got := run(nil)
			if want := run(infer.Weight(def)); !slices.Equal(got, want) {
				t.Errorf("nil guidance: max difference %g from guidance %g (guidance_default)", maxAbsDiff(t, got, want), def)
			}
			if slices.Equal(got, run(infer.Weight(0))) {
				t.Errorf("nil guidance gave the samples without guidance")
			}
		})
	}
}

// TestInpaintGuidanceDefault checks that Inpaint's nil guidance is the manifest's inpainting
// weight: inpaint_guidance where it is set (Sample keeps guidance_default then), and
// guidance_default where it is not.
func TestInpaintGuidanceDefault(t *testing.T) {
	ctx := context.Background()
	dir := bundles.Digits(t)
	plain := sharedSampler(t, dir)
	b, err := bundle.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	def := b.Manifest.GuidanceDefault
	if b.Manifest.InpaintGuidance != nil {
		t.Fatalf("the digits test bundle sets inpaint_guidance %g; the test needs it unset", *b.Manifest.InpaintGuidance)
	}
	inpaintW := def + 1.5
	b.Manifest.InpaintGuidance = &inpaintW
	set, err := infer.NewSampler(b, session)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	img, known := barImage(), halfMask()
	inpaint := func(s *infer.Sampler, w *float64) []float32 {
		t.Helper()
		x, err := s.Inpaint(ctx, img, known, 2, infer.SampleOptions{Seed: 6, Class: 1, Steps: 1, Guidance: w})
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, c := range []struct {
		name string
		s    *infer.Sampler
		want float64
	}{
		{"inpaint_guidance unset", plain, def},
		{"inpaint_guidance set", set, inpaintW},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.InpaintGuidanceWeight(nil); got != c.want {
				t.Errorf("InpaintGuidanceWeight(nil) = %g, want %g", got, c.want)
			}
			got := inpaint(c.s, nil)
			if want := inpaint(c.s, infer.Weight(c.want)); !slices.Equal(got, want) {
				t.Errorf("nil guidance: max difference %g from guidance %g", maxAbsDiff(t, got, want), c.want)
			}
		})
	}
	if slices.Equal(inpaint(set, nil), inpaint(set, infer.Weight(def))) {
		t.Errorf("inpaint_guidance %g: nil guidance gave the completions of guidance_default %g", inpaintW, def)
	}
	if got := set.GuidanceWeight(nil); got != def {
		t.Errorf("with inpaint_guidance set, GuidanceWeight(nil) = %g, want guidance_default %g", got, def)
	}
	o := infer.SampleOptions{Seed: 6, Class: 1, Steps: 1}
	if got, want := sample(t, set, 2, o), sample(t, plain, 2, o); !slices.Equal(got, want) {
		t.Errorf("inpaint_guidance changed what Sample draws by %g; Sample uses guidance_default", maxAbsDiff(t, got, want))
	}
}

// TestInpaintAutoClass checks Class AutoClass: Inpaint infers the most probable class of the
// known pixels with the options' seed, reports it with its probability, and completes as with
// that class given, bit for bit, under the inpainting weight or the one given.
func TestInpaintAutoClass(t *testing.T) {
	ctx := context.Background()
	s := sharedSampler(t, bundles.Digits(t))
	img, known := barImage(), halfMask()
	const seed = 3
	p, err := s.ClassPosterior(ctx, img, known, seed)
	if err != nil {
		t.Fatal(err)
	}
	id := infer.MostProbableClass(p)
	want := infer.InferredClass{Class: id, Probability: p[id-1], Posterior: p}
	guess, err := s.InferClass(ctx, img, known, seed)
	if err != nil {
		t.Fatal(err)
	}
	if !sameInferred(guess, want) {
		t.Errorf("InferClass = %+v, want %+v", guess, want)
	}
	for _, w := range []*float64{nil, infer.Weight(2)} {
		got := infer.InferredClass{Class: -7}
		x, err := s.Inpaint(ctx, img, known, 2, infer.SampleOptions{Seed: seed, Steps: 1, Class: infer.AutoClass, Guidance: w, Inferred: &got})
		if err != nil {
			t.Fatal(err)
		}
		if !sameInferred(got, want) {
			t.Errorf("guidance %v: Inferred = %+v, want %+v", w, got, want)
		}
		given, err := s.Inpaint(ctx, img, known, 2, infer.SampleOptions{Seed: seed, Steps: 1, Class: id, Guidance: w})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(x, given) {
			t.Errorf("guidance %v: max difference %g from inpainting with the inferred class %d given", w, maxAbsDiff(t, x, given), id)
		}
	}
	// Without Inferred the class is inferred all the same.
	if _, err := s.Inpaint(ctx, img, known, 1, infer.SampleOptions{Seed: seed, Steps: 1, Class: infer.AutoClass}); err != nil {
		t.Error(err)
	}
}

// sameInferred reports whether two inferred classes are equal, probabilities bit for bit.
func sameInferred(a, b infer.InferredClass) bool {
	return a.Class == b.Class && a.Probability == b.Probability && slices.Equal(a.Posterior, b.Posterior)
}

// TestAutoClassErrors checks that AutoClass needs a conditional model, one class for every
// candidate and Inpaint.
func TestAutoClassErrors(t *testing.T) {
	ctx := context.Background()
	toy := sharedSampler(t, bundles.Toy(t))
	dig := sharedSampler(t, bundles.Digits(t))
	img, known := barImage(), halfMask()
	auto := infer.SampleOptions{Class: infer.AutoClass}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"unconditional", second(toy.Inpaint(ctx, []float32{1, 0}, []bool{true, false}, 1, auto)), "infer: inpaint: AutoClass: the model is unconditional"},
		{"classes", second(dig.Inpaint(ctx, img, known, 2, infer.SampleOptions{Class: infer.AutoClass, Classes: []int64{1, 2}})), "AutoClass with Classes set"},
		{"negative guidance", second(dig.Inpaint(ctx, img, known, 1, infer.SampleOptions{Class: infer.AutoClass, Guidance: infer.Weight(-1)})), "guidance -1"},
		{"sample", second(dig.Sample(ctx, 1, auto)), "infer: sample: AutoClass: only Inpaint infers the class"},
		{"sample-from", second(dig.SampleFrom(ctx, img, 1, 1, auto)), "infer: sample-from: AutoClass"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}

// second returns the error of a call that returns a value and an error.
func second[T any](_ T, err error) error { return err }

// TestClassID checks the labels a Sampler maps to class ids: the manifest's (index + 1), ""
// for the null class, and clear errors for other labels and for an unconditional model.
func TestClassID(t *testing.T) {
	dig := sharedSampler(t, bundles.Digits(t))
	toy := sharedSampler(t, bundles.Toy(t))
	for _, c := range []struct {
		name  string
		s     *infer.Sampler
		label string
		want  int64
		err   string
	}{
		{"first", dig, "3", 1, ""},
		{"second", dig, "7", 2, ""},
		{"null class", dig, "", bundle.NullClass, ""},
		{"null class, unconditional", toy, "", bundle.NullClass, ""},
		{"unknown", dig, "9", 0, `class "9" is not one of the model's classes: "3", "7"`},
		{"id, not label", dig, "1", 0, `class "1" is not one of the model's classes`},
		{"unconditional", toy, "3", 0, `class "3": the model is unconditional`},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, err := c.s.ClassID(c.label)
			switch {
			case c.err == "" && (err != nil || id != c.want):
				t.Errorf("ClassID(%q) = %d, %v; want %d", c.label, id, err, c.want)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("ClassID(%q) = %d, %v; want an error containing %q", c.label, id, err, c.err)
			}
		})
	}
}
