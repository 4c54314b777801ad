package metrics

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

const testSeed = 20240601

// gaussianSet returns n points of dim values, N(shift e_0, I).
func gaussianSet(rng *rand.Rand, n, dim int, shift float64) []float32 {
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		if i%dim == 0 {
			x[i] += float32(shift)
		}
	}
	return x
}

// distances lists the two-sample distances under test, with automatic bandwidth for MMD.
var distances = []struct {
	name string
	f    func(a, b []float32, dim int) (float64, error)
}{
	{"energy", EnergyDistance},
	{"mmd", func(a, b []float32, dim int) (float64, error) { return MMD(a, b, dim, 0) }},
	{"mmd h=2", func(a, b []float32, dim int) (float64, error) { return MMD(a, b, dim, 2) }},
}

func TestDistanceHandComputed(t *testing.T) {
	// 1-D, a = {0, 1}, b = {2}: E|X-Y| = 1.5, E|X-X'| = 2/4, E|Y-Y'| = 0.
	if got, err := EnergyDistance([]float32{0, 1}, []float32{2}, 1); err != nil || math.Abs(got-2.5) > 1e-12 {
		t.Errorf("energy distance {0,1} vs {2}: got %v, %v, want 2.5", got, err)
	}
	// Two single 2-D points at distance 5: 2*5.
	if got, err := EnergyDistance([]float32{0, 0}, []float32{3, 4}, 2); err != nil || math.Abs(got-10) > 1e-12 {
		t.Errorf("energy distance of two points 5 apart: got %v, %v, want 10", got, err)
	}
	// MMD^2 of two single points at distance d with bandwidth h: 2 - 2 exp(-d^2/(2h^2)).
	want := 2 - 2*math.Exp(-25.0/8)
	if got, err := MMD([]float32{0, 0}, []float32{3, 4}, 2, 2); err != nil || math.Abs(got-want) > 1e-12 {
		t.Errorf("mmd of two points 5 apart, h=2: got %v, %v, want %v", got, err, want)
	}
	// Median bandwidth of {0, 1} and {3}: distances 1, 3, 2 -> 2.
	if got, err := MedianBandwidth([]float32{0, 1}, []float32{3}, 1); err != nil || got != 2 {
		t.Errorf("median bandwidth: got %v, %v, want 2", got, err)
	}
	// 0, 1, 2, 3: distances sorted 1, 1, 1, 2, 2, 3, median (1+2)/2.
	if got, err := MedianBandwidth([]float32{0, 1}, []float32{2, 3}, 1); err != nil || got != 1.5 {
		t.Errorf("median bandwidth of 0..3: got %v, %v, want 1.5", got, err)
	}
}

func TestDistanceProperties(t *testing.T) {
	t.Logf("seed %d", testSeed)
	const n, dim = 300, 3
	for _, d := range distances {
		rng := rand.New(rand.NewPCG(testSeed, 1))
		a := gaussianSet(rng, n, dim, 0)
		b := gaussianSet(rng, n+17, dim, 0)
		if got, err := d.f(a, a, dim); err != nil || math.Abs(got) > 1e-12 {
			t.Errorf("%s: identical sets: got %v, %v, want 0", d.name, got, err)
		}
		same, err := d.f(a, b, dim)
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		ba, err := d.f(b, a, dim)
		if err != nil || math.Abs(same-ba) > 1e-12*math.Max(1, same) {
			t.Errorf("%s: not symmetric: d(a,b) = %v, d(b,a) = %v (%v)", d.name, same, ba, err)
		}
		prev := same
		for _, shift := range []float64{0.5, 1, 2, 4} {
			c := gaussianSet(rng, n, dim, shift)
			got, err := d.f(a, c, dim)
			if err != nil {
				t.Fatalf("%s: %v", d.name, err)
			}
			if !(got > prev) {
				t.Errorf("%s: shift %v gives %v, not above %v (previous shift)", d.name, shift, got, prev)
			}
			prev = got
		}
		// Two draws of one distribution are much closer than a shift of one std.
		c := gaussianSet(rng, n, dim, 1)
		shifted, _ := d.f(a, c, dim)
		if !(same < shifted/4) {
			t.Errorf("%s: same distribution %v, shift 1 %v: want the first under a quarter of the second", d.name, same, shifted)
		}
	}
}

// TestEnergyDistanceLargeShift checks the asymptote: for a shift s much larger than the spread,
// the energy distance approaches 2s.
func TestEnergyDistanceLargeShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed, 2))
	a := gaussianSet(rng, 200, 2, 0)
	b := gaussianSet(rng, 200, 2, 1000)
	got, err := EnergyDistance(a, b, 2)
	if err != nil || math.Abs(got-2000)/2000 > 0.01 {
		t.Errorf("shift 1000: got %v, %v, want about 2000", got, err)
	}
}

func TestDistanceErrors(t *testing.T) {
	ok := []float32{0, 1, 2, 3}
	tests := []struct {
		name string
		a, b []float32
		dim  int
		want string
	}{
		{"dim 0", ok, ok, 0, "dim 0"},
		{"empty a", nil, ok, 2, "set a is empty"},
		{"empty b", ok, []float32{}, 2, "set b is empty"},
		{"ragged", ok, []float32{1, 2, 3}, 2, "set b has 3 values, not a multiple of dim 2"},
		{"nan", ok, []float32{1, float32(math.NaN())}, 2, "set b: value 1 (point 0) is NaN"},
		{"inf", []float32{float32(math.Inf(-1)), 0}, ok, 2, "set a: value 0 (point 0) is -Inf"},
	}
	for _, d := range distances {
		for _, tc := range tests {
			_, err := d.f(tc.a, tc.b, tc.dim)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "metrics: ") {
				t.Errorf("%s, %s: got error %v, want one containing %q", d.name, tc.name, err, tc.want)
			}
		}
	}
	if _, err := MMD(ok, ok, 2, math.Inf(1)); err == nil || !strings.Contains(err.Error(), "bandwidth") {
		t.Errorf("infinite bandwidth: got %v, want an error naming the bandwidth", err)
	}
	if _, err := MedianBandwidth(ok, ok, -1); err == nil {
		t.Error("median bandwidth with dim -1: no error")
	}
}

// TestMMDConstantSets checks the degenerate case of a zero median bandwidth.
func TestMMDConstantSets(t *testing.T) {
	x := []float32{1, 1, 1, 1}
	if got, err := MMD(x, x, 2, 0); err != nil || got != 0 {
		t.Errorf("constant sets: got %v, %v, want 0", got, err)
	}
}

// TestMedianBandwidthSubset checks that pools over the cap still give a sensible bandwidth: for
// N(0, I) in 2-D the distance between two points is Rayleigh with scale sqrt(2), median
// sqrt(2)*sqrt(2 ln 2) ~ 1.665.
func TestMedianBandwidthSubset(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed, 3))
	a := gaussianSet(rng, 1500, 2, 0)
	b := gaussianSet(rng, 1500, 2, 0)
	got, err := MedianBandwidth(a, b, 2)
	want := math.Sqrt(2) * math.Sqrt(2*math.Ln2)
	if err != nil || math.Abs(got-want) > 0.05 {
		t.Errorf("median bandwidth of 3000 N(0, I) points: got %v, %v, want about %.3f", got, err, want)
	}
}

func BenchmarkEnergyDistance(b *testing.B) {
	for _, size := range []struct {
		name   string
		n, dim int
	}{{"small", 500, 2}, {"medium", 2000, 2}, {"large", 500, 784}} {
		b.Run(size.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(testSeed, 4))
			x := gaussianSet(rng, size.n, size.dim, 0)
			y := gaussianSet(rng, size.n, size.dim, 1)
			for b.Loop() {
				if _, err := EnergyDistance(x, y, size.dim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
