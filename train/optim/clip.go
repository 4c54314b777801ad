package optim

import "math"

// clipEps is added to the norm in the clipping coefficient, as torch.nn.utils.clip_grad_norm_
// does.
const clipEps = 1e-6

// GlobalNorm returns the L2 norm of all values of xs together, accumulated in float64 (so
// float32 values never overflow it). It is NaN or +Inf when a value is.
func GlobalNorm(xs [][]float32) float64 {
	var sum float64
	for _, x := range xs {
		for _, v := range x {
			f := float64(v)
			sum += f * f
		}
	}
	return math.Sqrt(sum)
}

// ClipGlobalNorm scales grads in place so that their global L2 norm is at most maxNorm, with
// the semantics of torch.nn.utils.clip_grad_norm_: the coefficient is maxNorm/(norm+1e-6) and
// the gradients are multiplied by it when it is below 1. It returns the norm before clipping.
// A NaN or infinite norm is returned as is and the gradients are left alone, so the caller can
// report the divergence (AllFinite says where). A maxNorm that is not positive (or NaN) turns
// clipping off: only the norm is computed.
func ClipGlobalNorm(grads [][]float32, maxNorm float64) (norm float64) {
	norm = GlobalNorm(grads)
	if !isFinite(norm) || !(maxNorm > 0) {
		return norm
	}
	coef := maxNorm / (norm + clipEps)
	if coef >= 1 {
		return norm
	}
	for _, g := range grads {
		for j, v := range g {
			g[j] = float32(float64(v) * coef)
		}
	}
	return norm
}

// AllFinite reports whether every value of xs is finite. When one is not, ok is false and
// tensor and index locate the first NaN or infinity (xs[tensor][index]); otherwise both are -1.
func AllFinite(xs [][]float32) (ok bool, tensor, index int) {
	for i, x := range xs {
		for j, v := range x {
			if !isFinite(float64(v)) {
				return false, i, j
			}
		}
	}
	return true, -1, -1
}

// isFinite reports whether f is neither NaN nor infinite.
func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
