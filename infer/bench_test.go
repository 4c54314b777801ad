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
		{"digits/unguided", bundles.Digits, 16, infer.SampleOptions{Seed: 1, Class: 1}},
		{"digits/guided", bundles.Digits, 16, infer.SampleOptions{Seed: 1, Class: 1, Guidance: 1}},
		{"digits/compose2", bundles.Digits, 16, infer.SampleOptions{Seed: 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := sharedSampler(b, c.dir(b))
			b.ResetTimer()
			for b.Loop() {
				var err error
				if c.name == "digits/compose2" {
					_, err = s.Compose(context.Background(), c.n, []int64{1, 2}, 1, c.o)
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
