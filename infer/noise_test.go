package infer

import (
	"math"
	"math/rand/v2"
	"strings"
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

// TestScheduleNoise checks Noise against alpha_k x + sbar_k e computed by hand (alpha_k and
// sbar_k of DefaultSchedule to 16 digits, from cos and sin of theta_k), one sample and one
// repeated along two, in place over e, and bit for bit against the float32 arithmetic the
// callers used before it (alpha_k and sbar_k rounded to float32 once).
func TestScheduleNoise(t *testing.T) {
	s := DefaultSchedule()
	x := []float32{1, -0.5, 0.25}
	e := []float32{0.5, 2, -1, -0.5, -2, 1}
	for _, c := range []struct {
		name        string
		k           int
		n           int // samples of dst; x repeats n times
		alpha, sbar float64
	}{
		{"level 0", 0, 1, 0.9999722753533106, 0.007446376617039653},
		{"level 3", 3, 1, 0.7315800667179054, 0.6817555324168811},
		{"level 3, x repeated", 3, 2, 0.7315800667179054, 0.6817555324168811},
		{"level 6", 6, 2, 0.07784472680653529, 0.9969654951443485},
	} {
		t.Run(c.name, func(t *testing.T) {
			ee := e[:c.n*len(x)]
			dst := make([]float32, len(ee))
			if err := s.Noise(dst, x, ee, c.k); err != nil {
				t.Fatal(err)
			}
			inPlace := append([]float32(nil), ee...)
			if err := s.Noise(inPlace, x, inPlace, c.k); err != nil {
				t.Fatal(err)
			}
			a, b := float32(s.Alpha(c.k)), float32(s.SigmaBar(c.k))
			for i := range dst {
				xi, ei := x[i%len(x)], ee[i]
				if want := c.alpha*float64(xi) + c.sbar*float64(ei); !near(dst[i], want, 1e-6) {
					t.Errorf("dst[%d] = %v, want %v", i, dst[i], want)
				}
				if want := a*xi + b*ei; math.Float32bits(dst[i]) != math.Float32bits(want) || inPlace[i] != dst[i] {
					t.Errorf("dst[%d] = %v, in place %v; want %v exactly", i, dst[i], inPlace[i], want)
				}
			}
		})
	}
	v := func(n int) []float32 { return make([]float32, n) }
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"level -1", s.Noise(v(3), v(3), v(3), -1), "level -1 outside 0..6"},
		{"level 7", s.Noise(v(3), v(3), v(3), 7), "level 7 outside 0..6"},
		{"noise", s.Noise(v(4), v(2), v(3), 1), "len(e) = 3, want 4"},
		{"x", s.Noise(v(4), v(3), v(4), 1), "len(x) = 3 does not divide len(dst) = 4"},
		{"empty x", s.Noise(v(4), nil, v(4), 1), "len(x) = 0"},
		{"schedule", Schedule{}.Noise(v(3), v(3), v(3), 0), "schedule levels 0"},
	} {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), "infer: ") || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
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
