package infer

import (
	"context"
	"fmt"
	"math"
)

// oodChunk is the number of inputs OOD scores per network call.
const oodChunk = 256

// OOD returns an out-of-distribution score for each of n inputs x (n samples of the manifest's
// shape, in the data range): the EBM output at the manifest's OOD level (ood_level, 0 when the
// manifest does not set it), f(sqrt(m_t) x, lambda_t), with the bundle's (EMA) weights and, for
// a conditional model, the null class (cdrl-method.md 8.1 uses level 0). Higher means more
// in-distribution. Scores are computed in chunks, so n may be large.
func (s *Sampler) OOD(ctx context.Context, x []float32, n int) ([]float64, error) {
	return s.OODAt(ctx, x, n, s.m.OODLevel)
}

// OODAt is OOD with the energy of the given level 0..levels-1 instead of the manifest's.
func (s *Sampler) OODAt(ctx context.Context, x []float32, n, level int) ([]float64, error) {
	if n < 1 {
		return nil, fmt.Errorf("infer: ood: n = %d, want at least 1", n)
	}
	if len(x) != n*s.dim {
		return nil, fmt.Errorf("infer: ood: %d values for %d inputs of %d", len(x), n, s.dim)
	}
	if level < 0 || level >= s.sched.Levels {
		return nil, fmt.Errorf("infer: ood: level %d outside 0..%d", level, s.sched.Levels-1)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("infer: ood: input %d, value %d is %v", i/s.dim, i%s.dim, v)
		}
	}
	scores := make([]float64, 0, n)
	for lo := 0; lo < n; lo += oodChunk {
		hi := min(n, lo+oodChunk)
		f, _, err := s.Energy(ctx, x[lo*s.dim:hi*s.dim], hi-lo, level, nil)
		if err != nil {
			return nil, err
		}
		for _, v := range f {
			scores = append(scores, float64(v))
		}
	}
	return scores, nil
}
