package nn

import (
	"fmt"
	"math"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// A counter-based generator built from ONNX integer arithmetic (opset 17 has no bitwise ops):
// the value at element e of stream s for a sample with key k is a hash of (k, s, e) in the
// integers modulo the Mersenne prime M = 2^31 - 1,
//
//	x = (k + (s*2^20 + e) * 48271) mod M
//	4 rounds:  x = (x*x + a_r) mod M;  x = (x*b_r + c_r) mod M
//	u = floor(x / 128) / 2^24
//
// Every intermediate stays below 2^63, so int64 arithmetic is exact on every provider and the
// Go reference (CounterUniformAt) gives the same bits. Squaring mod M is the non-linear step
// that decorrelates neighbouring counters; the tests check the moments, the histogram and the
// correlations across elements, samples and streams.
const (
	counterModulus    = 1<<31 - 1
	counterStreamBits = 20 // elements per sample and stream: at most 2^20
	counterMultiplier = 48271
)

var (
	counterSquareAdd = [4]int64{1103515245, 1664525, 22695477, 134775813}
	counterMul       = [4]int64{48271, 69621, 16807, 39373}
	counterAdd       = [4]int64{12345, 1013904223, 2531011, 907633385}
)

// CounterKeyLimit bounds the keys CounterUniform takes: 0 <= key < CounterKeyLimit.
const CounterKeyLimit = counterModulus

// CounterUniformAt is the Go reference of CounterUniform: the draw of element e of stream s
// for a sample keyed k.
func CounterUniformAt(k int64, s, e int) float32 {
	x := (k + (int64(s)<<counterStreamBits+int64(e))*counterMultiplier) % counterModulus
	for r := range counterMul {
		x = (x*x + counterSquareAdd[r]) % counterModulus
		x = (x*counterMul[r] + counterAdd[r]) % counterModulus
	}
	return float32(x>>7) / (1 << 24)
}

// CounterUniform returns uniform draws in [0, 1) of shape (N, shape...) computed in the graph
// from key, an int64 input of shape (N) with values in [0, CounterKeyLimit): element e (in
// row-major order within a sample) of stream s is CounterUniformAt(key[n], s, e). Distinct
// streams give independent draws for the same keys, so one key per sample serves every layer
// of a network. A graph that needs randomness thus takes one int64 per sample instead of the
// draws themselves.
func CounterUniform(key *graphs.Value, stream int, shape []int) *graphs.Value {
	g := key.Graph()
	size := tensor.Shape(shape).Size()
	if size > 1<<counterStreamBits || stream < 0 || stream >= 1<<(62-counterStreamBits-17) {
		g.Fail(fmt.Errorf("nn: counter uniform: %d elements per sample (at most %d) in stream %d", size, 1<<counterStreamBits, stream))
		return graphs.Const(g, tensor.New(tensor.Float32, append([]int{1}, shape...)...))
	}
	offsets := make([]int64, size)
	for e := range offsets {
		offsets[e] = (int64(stream)<<counterStreamBits + int64(e)) * counterMultiplier
	}
	c := func(v int64) *graphs.Value { return graphs.ConstInts(g, v) }
	mod := func(x *graphs.Value) *graphs.Value {
		m := c(counterModulus)
		return graphs.Sub(x, graphs.Mul(graphs.Div(x, m), m))
	}
	axes := make([]int, len(shape))
	for i := range axes {
		axes[i] = i + 1
	}
	x := mod(graphs.Add(graphs.Unsqueeze(key, axes), graphs.Const(g, tensor.FromInt64(offsets, append([]int{1}, shape...)...))))
	for r := range counterMul {
		x = mod(graphs.Add(graphs.Mul(x, x), c(counterSquareAdd[r])))
		x = mod(graphs.Add(graphs.Mul(x, c(counterMul[r])), c(counterAdd[r])))
	}
	return graphs.Mul(graphs.Cast(graphs.Div(x, c(128)), tensor.Float32), graphs.Scalar(g, 1.0/(1<<24)))
}

// CounterNormalAt is the Go reference of CounterNormal, computed in float64 (the graph computes
// in float32, so the two agree to float32 rounding).
func CounterNormalAt(k int64, s, e int) float64 {
	u1 := 1 - float64(CounterUniformAt(k, 2*s, e))
	u2 := float64(CounterUniformAt(k, 2*s+1, e))
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// CounterNormal returns standard normal draws of shape (N, shape...) computed in the graph from
// key like CounterUniform: by Box-Muller from the uniform streams 2s and 2s+1, so normal stream
// s uses uniform streams that no other normal stream uses.
func CounterNormal(key *graphs.Value, stream int, shape []int) *graphs.Value {
	g := key.Graph()
	u1 := graphs.Sub(graphs.Scalar(g, 1), CounterUniform(key, 2*stream, shape)) // in (0, 1]
	u2 := CounterUniform(key, 2*stream+1, shape)
	r := graphs.Sqrt(graphs.Mul(graphs.Scalar(g, -2), graphs.Log(u1)))
	return graphs.Mul(r, graphs.Cos(graphs.Mul(graphs.Scalar(g, 2*math.Pi), u2)))
}
