package infer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Normal gives exactly the rng's NormFloat64 stream rounded to float32, and its moments are
// those of a standard normal: on N = 1e6 draws the mean, variance, fourth moment and the mass
// of [-1, 1] each lie within 4 standard errors (sqrt(1/N), sqrt(2/N), sqrt(96/N) and
// sqrt(p(1-p)/N) with p = 0.682689).
func TestNormal(t *testing.T) {
	const n = 1_000_000
	seed := uint64(5)
	t.Logf("seed %d", seed)
	got := make([]float32, n)
	Normal(got, rand.New(rand.NewPCG(seed, 1)))
	ref := rand.New(rand.NewPCG(seed, 1))
	for i := range 1000 {
		if want := float32(ref.NormFloat64()); got[i] != want {
			t.Fatalf("draw %d = %v, want %v", i, got[i], want)
		}
	}
	var m1, m2, m4, in1 float64
	for _, z := range got {
		v := float64(z)
		m1 += v
		m2 += v * v
		m4 += v * v * v * v
		if math.Abs(v) <= 1 {
			in1++
		}
	}
	m1, m2, m4, in1 = m1/n, m2/n, m4/n, in1/n
	p := math.Erf(1 / math.Sqrt2)
	for _, c := range []struct {
		name      string
		got, want float64
		se        float64
	}{
		{"mean", m1, 0, math.Sqrt(1.0 / n)},
		{"second moment", m2, 1, math.Sqrt(2.0 / n)},
		{"fourth moment", m4, 3, math.Sqrt(96.0 / n)},
		{"P(|z| <= 1)", in1, p, math.Sqrt(p * (1 - p) / n)},
	} {
		if math.Abs(c.got-c.want) > 4*c.se {
			t.Errorf("%s = %.6f, want %.6f within %.2g", c.name, c.got, c.want, 4*c.se)
		}
	}
	other := make([]float32, 1000)
	Normal(other, rand.New(rand.NewPCG(seed+1, 1)))
	same := 0
	for i := range other {
		if other[i] == got[i] {
			same++
		}
	}
	if same > 10 {
		t.Errorf("seeds %d and %d share %d of 1000 draws", seed, seed+1, same)
	}
}

func BenchmarkNormal(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
	}{
		{"toy-5000", 5000},
		{"mnist-50176", 64 * 784},
		{"1e6", 1_000_000},
	} {
		b.Run(c.name, func(b *testing.B) {
			dst := make([]float32, c.n)
			rng := rand.New(rand.NewPCG(1, 2))
			b.SetBytes(int64(c.n) * 4)
			for b.Loop() {
				Normal(dst, rng)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c.n), "ns/elem")
		})
	}
}
