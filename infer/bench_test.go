package infer_test

import (
	"context"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
)

// BenchmarkSample measures samples per second of the tiny test bundles (toy: 3 Langevin steps
// per level; digits: mnist-s networks, 2 steps per level; 6 levels each), unguided and with
// classifier-free guidance (twice the batch per network call). One ONNX Runtime thread.
func BenchmarkSample(b *testing.B) {
	for _, c := range []struct {
		name string
		dir  func(testing.TB) string
		n    int
		o    infer.SampleOptions
	}{
		{"toy/unguided", bundles.Toy, 256, infer.SampleOptions{Seed: 1}},
		{"digits/unguided", bundles.Digits, 16, infer.SampleOptions{Seed: 1, Class: 1, Guidance: infer.Weight(0)}},
		{"digits/guided", bundles.Digits, 16, infer.SampleOptions{Seed: 1, Class: 1, Guidance: infer.Weight(1)}},
		{"digits/compose2", bundles.Digits, 16, infer.SampleOptions{Seed: 1, Guidance: infer.Weight(1)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := sharedSampler(b, c.dir(b))
			b.ResetTimer()
			for b.Loop() {
				var err error
				if c.name == "digits/compose2" {
					_, err = s.Compose(context.Background(), c.n, []int64{1, 2}, c.o)
				} else {
					_, err = s.Sample(context.Background(), c.n, c.o)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.n*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkInpaint measures completions per second of one candidate with the tiny digits
// bundle: the null class, and the class inferred first (AutoClass: ClassPosterior, then guided
// inpainting with w = 1), the default of cdrl-infer inpaint for a conditional model, so the
// ratio of the two is what inferring the class costs. One ONNX Runtime thread.
func BenchmarkInpaint(b *testing.B) {
	img, known := barImage(), halfMask()
	for _, inferred := range []bool{false, true} {
		name := "null-class"
		if inferred {
			name = "class-inferred"
		}
		b.Run(name, func(b *testing.B) {
			s := sharedSampler(b, bundles.Digits(b))
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				o := infer.SampleOptions{Seed: 1}
				if inferred {
					o.Class, o.Guidance = infer.AutoClass, infer.Weight(1)
				}
				if _, err := s.Inpaint(ctx, img, known, 1, o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
