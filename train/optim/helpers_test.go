package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randLayout returns tensors of the given sizes filled with N(0, scale^2) values from rng.
func randLayout(rng *rand.Rand, scale float64, sizes ...int) [][]float32 {
	out := make([][]float32, len(sizes))
	for i, n := range sizes {
		out[i] = make([]float32, n)
		for j := range out[i] {
			out[i][j] = float32(rng.NormFloat64() * scale)
		}
	}
	return out
}

// relErr returns the norm-wise relative difference ||got - want|| / ||want|| over all values,
// or the absolute norm of the difference when want is all zeros.
func relErr(got [][]float32, want [][]float64) float64 {
	var diff, norm float64
	for i := range want {
		for j := range want[i] {
			d := float64(got[i][j]) - want[i][j]
			diff += d * d
			norm += want[i][j] * want[i][j]
		}
	}
	if norm == 0 {
		return math.Sqrt(diff)
	}
	return math.Sqrt(diff / norm)
}

// sameBits reports the first position where a and b differ in their bits, or "" when they
// are identical.
func sameBits(a, b [][]float32) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d tensors vs %d", len(a), len(b))
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return fmt.Sprintf("tensor %d: %d values vs %d", i, len(a[i]), len(b[i]))
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return fmt.Sprintf("[%d][%d]: %v vs %v", i, j, a[i][j], b[i][j])
			}
		}
	}
	return ""
}

// benchSizes are the parameter counts benchmarked: small, medium and the toy EBM (1.2M).
var benchSizes = []struct {
	name string
	n    int
}{{"small", 1_000}, {"medium", 100_000}, {"large", 1_200_000}}

// benchLayout splits n values into tensors of at most 1<<16 values, filled from a fixed seed.
func benchLayout(n int, seed uint64) [][]float32 {
	var sizes []int
	for n > 0 {
		k := min(n, 1<<16)
		sizes = append(sizes, k)
		n -= k
	}
	return randLayout(rand.New(rand.NewPCG(seed, 0)), 1, sizes...)
}

// seeded returns a generator for the test and logs its seed.
func seeded(t *testing.T, seed uint64) *rand.Rand {
	t.Helper()
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 0))
}
