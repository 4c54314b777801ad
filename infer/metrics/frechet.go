package metrics

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// psdTolerance is how far below zero, relative to the largest eigenvalue magnitude (at least
// 1), an eigenvalue of a covariance may be and still count as rounding noise (set to 0).
const psdTolerance = 1e-9

// MeanCov returns the mean and the unbiased covariance (divided by n-1, as numpy.cov and FID
// implementations do) of the n points of dim values each in x. Computing the statistics of a
// reference set once and passing them to FrechetGaussians avoids recomputing them per
// comparison. It returns an error when dim is not positive, x is not a whole number of points,
// holds fewer than 2 points, or holds a non-finite value.
func MeanCov(x []float32, dim int) (mean []float64, cov *mat.SymDense, err error) {
	if dim <= 0 {
		return nil, nil, fmt.Errorf("metrics: mean and covariance: dim %d, want at least 1", dim)
	}
	n, err := pointSet("mean and covariance", "x", x, dim)
	if err != nil {
		return nil, nil, err
	}
	if n < 2 {
		return nil, nil, fmt.Errorf("metrics: mean and covariance: %d point, want at least 2", n)
	}
	mean = make([]float64, dim)
	for i := 0; i < n; i++ {
		for k, v := range x[i*dim : (i+1)*dim] {
			mean[k] += float64(v)
		}
	}
	for k := range mean {
		mean[k] /= float64(n)
	}
	// Accumulate the centred outer products in the upper triangle of a dense buffer.
	c := make([]float64, dim*dim)
	d := make([]float64, dim)
	for i := 0; i < n; i++ {
		for k, v := range x[i*dim : (i+1)*dim] {
			d[k] = float64(v) - mean[k]
		}
		for r := 0; r < dim; r++ {
			dr := d[r]
			if dr == 0 {
				continue
			}
			row := c[r*dim : (r+1)*dim]
			for s := r; s < dim; s++ {
				row[s] += dr * d[s]
			}
		}
	}
	inv := 1 / float64(n-1)
	for r := 0; r < dim; r++ {
		for s := r; s < dim; s++ {
			v := c[r*dim+s] * inv
			c[r*dim+s], c[s*dim+r] = v, v
		}
	}
	return mean, mat.NewSymDense(dim, c), nil
}

// Frechet returns the Frechet distance between Gaussians fitted (MeanCov) to the point sets a
// and b of dim values per point: the FID formula applied to any features. Errors are those of
// MeanCov and FrechetGaussians, naming the set.
func Frechet(a, b []float32, dim int) (float64, error) {
	mu1, cov1, err := MeanCov(a, dim)
	if err != nil {
		return 0, fmt.Errorf("metrics: frechet: set a: %w", err)
	}
	mu2, cov2, err := MeanCov(b, dim)
	if err != nil {
		return 0, fmt.Errorf("metrics: frechet: set b: %w", err)
	}
	return FrechetGaussians(mu1, cov1, mu2, cov2)
}

// FrechetGaussians returns the Frechet (2-Wasserstein) distance between N(mu1, cov1) and
// N(mu2, cov2):
//
//	||mu1 - mu2||^2 + Tr(cov1) + Tr(cov2) - 2 Tr((cov1 cov2)^{1/2})
//
// The last trace is the sum of the square roots of the eigenvalues of sqrt(cov1) cov2
// sqrt(cov1), a symmetric positive semi-definite matrix with the eigenvalues of cov1 cov2, so
// only symmetric eigen-decompositions are needed. The result is clamped at 0 against rounding.
// It returns an error when the sizes disagree, a value is not finite, a covariance has an
// eigenvalue clearly below zero, or an eigen-decomposition fails.
func FrechetGaussians(mu1 []float64, cov1 mat.Symmetric, mu2 []float64, cov2 mat.Symmetric) (float64, error) {
	if cov1 == nil || cov2 == nil {
		return 0, errors.New("metrics: frechet: nil covariance")
	}
	dim := len(mu1)
	switch {
	case dim == 0:
		return 0, errors.New("metrics: frechet: empty mean")
	case len(mu2) != dim:
		return 0, fmt.Errorf("metrics: frechet: means of length %d and %d", dim, len(mu2))
	case cov1.SymmetricDim() != dim:
		return 0, fmt.Errorf("metrics: frechet: covariance 1 is %dx%d for a mean of length %d", cov1.SymmetricDim(), cov1.SymmetricDim(), dim)
	case cov2.SymmetricDim() != dim:
		return 0, fmt.Errorf("metrics: frechet: covariance 2 is %dx%d for a mean of length %d", cov2.SymmetricDim(), cov2.SymmetricDim(), dim)
	}
	var d2 float64
	for k := range mu1 {
		d := mu1[k] - mu2[k]
		d2 += d * d
	}
	if math.IsNaN(d2) || math.IsInf(d2, 0) {
		return 0, errors.New("metrics: frechet: a mean holds a non-finite value")
	}
	for i, c := range []mat.Symmetric{cov1, cov2} {
		for r := 0; r < dim; r++ {
			for s := r; s < dim; s++ {
				if v := c.At(r, s); math.IsNaN(v) || math.IsInf(v, 0) {
					return 0, fmt.Errorf("metrics: frechet: covariance %d: entry (%d, %d) is %v", i+1, r, s, v)
				}
			}
		}
	}
	root, tr1, err := sqrtPSD(cov1, "covariance 1")
	if err != nil {
		return 0, err
	}
	var tr2 float64
	for k := 0; k < dim; k++ {
		tr2 += cov2.At(k, k)
	}
	var tmp, m mat.Dense
	tmp.Mul(root, cov2)
	m.Mul(&tmp, root)
	sym := mat.NewSymDense(dim, nil)
	for r := 0; r < dim; r++ {
		for s := r; s < dim; s++ {
			sym.SetSym(r, s, (m.At(r, s)+m.At(s, r))/2)
		}
	}
	vals, err := eigenvalues(sym, "sqrt(covariance 1) covariance 2 sqrt(covariance 1)")
	if err != nil {
		return 0, err
	}
	var trRoot float64
	for _, v := range vals {
		trRoot += math.Sqrt(math.Max(v, 0))
	}
	return math.Max(d2+tr1+tr2-2*trRoot, 0), nil
}

// sqrtPSD returns the symmetric square root of a positive semi-definite matrix and its trace
// (the sum of its eigenvalues, after clamping rounding noise).
func sqrtPSD(c mat.Symmetric, name string) (*mat.SymDense, float64, error) {
	var eig mat.EigenSym
	if !eig.Factorize(c, true) {
		return nil, 0, fmt.Errorf("metrics: frechet: eigen-decomposition of %s failed", name)
	}
	vals := eig.Values(nil)
	if err := checkPSD(vals, name); err != nil {
		return nil, 0, err
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	n := len(vals)
	root := mat.NewSymDense(n, nil)
	var tr float64
	for k, l := range vals {
		l = math.Max(l, 0)
		tr += l
		s := math.Sqrt(l)
		if s == 0 {
			continue
		}
		for r := 0; r < n; r++ {
			vr := vecs.At(r, k) * s
			for q := r; q < n; q++ {
				root.SetSym(r, q, root.At(r, q)+vr*vecs.At(q, k))
			}
		}
	}
	return root, tr, nil
}

// eigenvalues returns the eigenvalues of a symmetric matrix, checking them with checkPSD.
func eigenvalues(c mat.Symmetric, name string) ([]float64, error) {
	var eig mat.EigenSym
	if !eig.Factorize(c, false) {
		return nil, fmt.Errorf("metrics: frechet: eigen-decomposition of %s failed", name)
	}
	vals := eig.Values(nil)
	if err := checkPSD(vals, name); err != nil {
		return nil, err
	}
	return vals, nil
}

// checkPSD fails when an eigenvalue is below zero by more than rounding noise.
func checkPSD(vals []float64, name string) error {
	scale := 1.0
	for _, v := range vals {
		scale = math.Max(scale, math.Abs(v))
	}
	for k, v := range vals {
		if v < -psdTolerance*scale*float64(len(vals)) {
			return fmt.Errorf("metrics: frechet: %s is not positive semi-definite (eigenvalue %d is %g)", name, k, v)
		}
	}
	return nil
}
