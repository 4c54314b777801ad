package nn

import (
	"fmt"
	"math"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// The constants of the logSNR embedding (cdrl-method.md 5.1).
const (
	logSNRClamp = 20    // lambda is clamped to [-20, 20]
	timeScale   = 1000  // tau in (0, 1) is scaled to (0, 1000)
	freqBase    = 10000 // omega_j = freqBase^(-j/(half-1))
)

// embedFreqs returns the per-frequency factors that turn atan(exp(-lambda/2)) into the
// embedding's angles: timeScale * omega_j / (pi/2), folded into one constant so that the
// graph rounds it to float32 once.
func embedFreqs(half int) []float64 {
	f := make([]float64, half)
	for j := range f {
		omega := math.Exp(-float64(j) * math.Log(freqBase) / float64(half-1))
		f[j] = timeScale * omega / (math.Pi / 2)
	}
	return f
}

func validEmbedDim(dim int) bool { return dim >= 4 && dim%2 == 0 }

// TimeEmbedding returns the sinusoidal embedding of the logSNR values lambda, shape (N), as a
// (N, dim) tensor:
//
//	tau   = atan(exp(-0.5 * clamp(lambda, -20, 20))) / (pi/2)
//	omega_j = exp(-j ln(10000) / (half-1)),  j = 0..half-1,  half = dim/2
//	emb   = [sin(1000 tau omega), cos(1000 tau omega)]
//
// dim must be even and at least 4. It is differentiable in lambda inside the clamp range.
// EmbeddingTable computes the same in float64.
func TimeEmbedding(logsnr *graphs.Value, dim int) *graphs.Value {
	if logsnr == nil {
		return nil
	}
	g := logsnr.Graph()
	switch {
	case logsnr.Rank() != 1:
		return fail(g, fmt.Errorf("nn: TimeEmbedding: logsnr %v must have shape (N)", logsnr))
	case !validEmbedDim(dim):
		return fail(g, fmt.Errorf("nn: TimeEmbedding: size %d must be even and at least 4", dim))
	}
	lo, hi := graphs.Scalar(g, -logSNRClamp), graphs.Scalar(g, logSNRClamp)
	l := graphs.Where(graphs.Less(logsnr, lo), lo, graphs.Where(graphs.Greater(logsnr, hi), hi, logsnr))
	a := graphs.Atan(graphs.Exp(graphs.Mul(l, graphs.Scalar(g, -0.5))))
	freqs := embedFreqs(dim / 2)
	f32 := make([]float32, len(freqs))
	for j, f := range freqs {
		f32[j] = float32(f)
	}
	angles := graphs.Mul(graphs.Unsqueeze(a, []int{1}), graphs.Const(g, tensor.FromFloat32(f32, 1, len(f32))))
	return graphs.Concat([]*graphs.Value{graphs.Sin(angles), graphs.Cos(angles)}, 1)
}

// EmbeddingTable returns TimeEmbedding of one logSNR value, computed in float64 and rounded to
// float32, for feeding precomputed embeddings (only a few logSNR levels occur). It returns nil
// when dim is odd or below 4.
func EmbeddingTable(logsnr float64, dim int) []float32 {
	if !validEmbedDim(dim) {
		return nil
	}
	l := math.Max(-logSNRClamp, math.Min(logSNRClamp, logsnr))
	a := math.Atan(math.Exp(-0.5 * l))
	half := dim / 2
	out := make([]float32, dim)
	for j, f := range embedFreqs(half) {
		out[j] = float32(math.Sin(a * f))
		out[half+j] = float32(math.Cos(a * f))
	}
	return out
}
