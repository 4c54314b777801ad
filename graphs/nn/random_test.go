package nn

import (
	"math"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// TestCounterUniformMatchesReference checks the graph against the Go reference bit for bit,
// at keys from 0 to the largest allowed.
func TestCounterUniformMatchesReference(t *testing.T) {
	g := graphs.New("counter")
	key := graphs.Input(g, "key", tensor.Int64, -1)
	shape := []int{3, 4, 5}
	u := CounterUniform(key, 2, shape)
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	keys := []int64{0, 1, 12345, CounterKeyLimit - 1}
	got := evaluate(t, map[string]*tensor.Tensor{"key": tensor.FromInt64(keys, len(keys))}, u)[0]
	if want := append([]int{len(keys)}, shape...); !tensor.Shape(got.Shape).Equal(tensor.Shape(want)) {
		t.Fatalf("shape %v, want %v", got.Shape, want)
	}
	for n, k := range keys {
		for e := 0; e < 60; e++ {
			if v, want := got.Float64[n*60+e], float64(CounterUniformAt(k, 2, e)); v != want {
				t.Fatalf("key %d element %d: graph %v, reference %v", k, e, v, want)
			}
		}
	}
}

// TestCounterUniformDistribution checks the generator's moments, histogram and correlations:
// between neighbouring elements, between samples with consecutive keys, and between streams.
func TestCounterUniformDistribution(t *testing.T) {
	const keys, elems = 512, 4096
	var sum, sq, adjElem, adjKey, adjStream float64
	bins := make([]float64, 100)
	for k := int64(0); k < keys; k++ {
		key := k * 7919 // spread, as keys drawn from a stream would be
		for e := 0; e < elems; e++ {
			v := float64(CounterUniformAt(key, 0, e))
			if v < 0 || v >= 1 {
				t.Fatalf("key %d element %d: %v outside [0, 1)", key, e, v)
			}
			sum += v
			sq += v * v
			bins[int(v*100)]++
			if e > 0 {
				adjElem += (v - 0.5) * (float64(CounterUniformAt(key, 0, e-1)) - 0.5)
			}
			adjKey += (v - 0.5) * (float64(CounterUniformAt(key+1, 0, e)) - 0.5)
			adjStream += (v - 0.5) * (float64(CounterUniformAt(key, 1, e)) - 0.5)
		}
	}
	n := float64(keys * elems)
	mean := sum / n
	variance := sq/n - mean*mean
	// Standard errors at n = 2^21: mean 2e-4, variance 6e-5, correlations 7e-4.
	if math.Abs(mean-0.5) > 1e-3 || math.Abs(variance-1.0/12) > 5e-4 {
		t.Errorf("mean %.5f, variance %.5f; want 0.5 and %.5f", mean, variance, 1.0/12)
	}
	for name, c := range map[string]float64{"neighbouring elements": adjElem, "consecutive keys": adjKey, "streams 0 and 1": adjStream} {
		if r := 12 * c / n; math.Abs(r) > 5e-3 {
			t.Errorf("correlation between %s: %.4f", name, r)
		}
	}
	var chi float64
	for _, b := range bins {
		chi += (b - n/100) * (b - n/100) / (n / 100)
	}
	if chi > 170 { // 99 degrees of freedom: mean 99, standard deviation 14
		t.Errorf("chi-square of 100 bins %.1f, want below 170", chi)
	}
	t.Logf("mean %.5f variance %.5f chi-square %.1f", mean, variance, chi)
}

// TestCounterUniformLimits checks that a sample too large for one stream is refused.
func TestCounterUniformLimits(t *testing.T) {
	g := graphs.New("counter")
	key := graphs.Input(g, "key", tensor.Int64, -1)
	CounterUniform(key, 0, []int{2, 1024, 1024})
	if err := g.Err(); err == nil {
		t.Fatal("2^21 elements per sample were accepted")
	}
}

// TestCounterNormal checks the graph's normal draws against the Go reference (to float32
// rounding) and their moments and correlations across elements, keys and streams.
func TestCounterNormal(t *testing.T) {
	g := graphs.New("counter normal")
	key := graphs.Input(g, "key", tensor.Int64, -1)
	z := CounterNormal(key, 1, []int{2, 8})
	keys := []int64{3, 77, CounterKeyLimit - 1}
	got := evaluate(t, map[string]*tensor.Tensor{"key": tensor.FromInt64(keys, len(keys))}, z)[0]
	for n, k := range keys {
		for e := 0; e < 16; e++ {
			if v, want := got.Float64[n*16+e], CounterNormalAt(k, 1, e); math.Abs(v-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("key %d element %d: graph %v, reference %v", k, e, v, want)
			}
		}
	}
	const keysN, elems = 256, 4096
	var sum, sq, adjElem, adjKey, adjStream float64
	for k := int64(0); k < keysN; k++ {
		key := k * 7919
		for e := 0; e < elems; e++ {
			v := CounterNormalAt(key, 0, e)
			sum += v
			sq += v * v
			if e > 0 {
				adjElem += v * CounterNormalAt(key, 0, e-1)
			}
			adjKey += v * CounterNormalAt(key+1, 0, e)
			adjStream += v * CounterNormalAt(key, 1, e)
		}
	}
	n := float64(keysN * elems)
	mean := sum / n
	// Standard errors at n = 2^20: mean 1e-3, variance 1.4e-3, correlations 1e-3.
	if math.Abs(mean) > 5e-3 || math.Abs(sq/n-mean*mean-1) > 7e-3 {
		t.Errorf("mean %.4f, variance %.4f; want 0 and 1", mean, sq/n-mean*mean)
	}
	for name, c := range map[string]float64{"neighbouring elements": adjElem, "consecutive keys": adjKey, "streams 0 and 1": adjStream} {
		if r := c / n; math.Abs(r) > 5e-3 {
			t.Errorf("correlation between %s: %.4f", name, r)
		}
	}
}
