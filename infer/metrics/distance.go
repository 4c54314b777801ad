package metrics

import (
	"fmt"
	"math"
	"slices"
)

// EnergyDistance returns 2 E|X-Y| - E|X-X'| - E|Y-Y'|, with |.| the Euclidean norm and the
// expectations taken over all pairs of points of a (X, X') and b (Y, Y'), including each point
// with itself (a V-statistic). It is 0 for identical sets, positive otherwise, symmetric in a
// and b, in the units of the points (two single points at distance d give 2d), and grows with
// a shift of one set. a and b hold points of dim values each; the sets may differ in size.
// The cost is O((n+m)^2 dim). It returns an error when dim is not positive, a set is empty or
// not a whole number of points, or a value is not finite.
func EnergyDistance(a, b []float32, dim int) (float64, error) {
	n, m, err := twoSets("energy distance", a, b, dim)
	if err != nil {
		return 0, err
	}
	dist := math.Sqrt
	ab := crossMean(a, b, n, m, dim, dist)
	aa := selfMean(a, n, dim, dist)
	bb := selfMean(b, m, dim, dist)
	return math.Max(2*ab-aa-bb, 0), nil
}

// MMD returns the squared maximum mean discrepancy between a and b with the Gaussian kernel
// k(x, y) = exp(-|x-y|^2 / (2 h^2)): E k(X,X') + E k(Y,Y') - 2 E k(X,Y), with the expectations
// over all pairs, each point included with itself (the biased V-statistic, so identical sets
// give exactly 0 and the value is never negative). A bandwidth h <= 0 selects
// MedianBandwidth(a, b, dim). The cost is O((n+m)^2 dim). Errors are those of
// EnergyDistance, plus a NaN or infinite bandwidth.
func MMD(a, b []float32, dim int, h float64) (float64, error) {
	n, m, err := twoSets("mmd", a, b, dim)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(h) || math.IsInf(h, 0) {
		return 0, fmt.Errorf("metrics: mmd: bandwidth %v is not finite", h)
	}
	if h <= 0 {
		h = medianBandwidth(a, b, n, m, dim)
	}
	if h == 0 { // every point at the same place in both sets
		return 0, nil
	}
	inv := -1 / (2 * h * h)
	k := func(d2 float64) float64 { return math.Exp(d2 * inv) }
	v := selfMean(a, n, dim, k) + selfMean(b, m, dim, k) - 2*crossMean(a, b, n, m, dim, k)
	return math.Max(v, 0), nil
}

// bandwidthPoints caps the pooled points whose pairwise distances MedianBandwidth sorts.
const bandwidthPoints = 1024

// MedianBandwidth returns the median heuristic for the Gaussian kernel bandwidth: the median
// of the Euclidean distances between distinct pairs of the pooled points of a and b. When the
// pool holds more than 1024 points, an evenly spaced subset of 1024 of them (by index in a
// followed by b) is used, so the cost stays bounded. Errors are those of EnergyDistance.
func MedianBandwidth(a, b []float32, dim int) (float64, error) {
	n, m, err := twoSets("median bandwidth", a, b, dim)
	if err != nil {
		return 0, err
	}
	return medianBandwidth(a, b, n, m, dim), nil
}

func medianBandwidth(a, b []float32, n, m, dim int) float64 {
	total := n + m
	k := min(total, bandwidthPoints)
	point := func(i int) []float32 {
		if i < n {
			return a[i*dim : (i+1)*dim]
		}
		i -= n
		return b[i*dim : (i+1)*dim]
	}
	pick := make([][]float32, k)
	for i := range pick {
		pick[i] = point(int(int64(i) * int64(total) / int64(k)))
	}
	if k < 2 {
		return 0
	}
	d := make([]float64, 0, k*(k-1)/2)
	for i := range pick {
		for j := i + 1; j < k; j++ {
			d = append(d, math.Sqrt(sqDist(pick[i], pick[j])))
		}
	}
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

// twoSets checks the two point sets of a distance and returns their sizes.
func twoSets(what string, a, b []float32, dim int) (n, m int, err error) {
	if dim <= 0 {
		return 0, 0, fmt.Errorf("metrics: %s: dim %d, want at least 1", what, dim)
	}
	if n, err = pointSet(what, "a", a, dim); err != nil {
		return 0, 0, err
	}
	if m, err = pointSet(what, "b", b, dim); err != nil {
		return 0, 0, err
	}
	return n, m, nil
}

// pointSet checks one flat set of points and returns the number of points.
func pointSet(what, name string, x []float32, dim int) (int, error) {
	if len(x) == 0 {
		return 0, fmt.Errorf("metrics: %s: set %s is empty", what, name)
	}
	if len(x)%dim != 0 {
		return 0, fmt.Errorf("metrics: %s: set %s has %d values, not a multiple of dim %d", what, name, len(x), dim)
	}
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("metrics: %s: set %s: value %d (point %d) is %v", what, name, i, i/dim, v)
		}
	}
	return len(x) / dim, nil
}

// sqDist returns the squared Euclidean distance of two equal-length vectors.
func sqDist(p, q []float32) float64 {
	var s float64
	for k, v := range p {
		d := float64(v) - float64(q[k])
		s += d * d
	}
	return s
}

// selfMean returns the mean of f(|x_i - x_j|^2) over all n^2 ordered pairs of x, i = j
// included (there f(0) is used).
func selfMean(x []float32, n, dim int, f func(d2 float64) float64) float64 {
	var s float64
	for i := 0; i < n; i++ {
		p := x[i*dim : (i+1)*dim]
		for j := i + 1; j < n; j++ {
			s += f(sqDist(p, x[j*dim:(j+1)*dim]))
		}
	}
	return (2*s + float64(n)*f(0)) / (float64(n) * float64(n))
}

// crossMean returns the mean of f(|a_i - b_j|^2) over all n*m pairs.
func crossMean(a, b []float32, n, m, dim int, f func(d2 float64) float64) float64 {
	var s float64
	for i := 0; i < n; i++ {
		p := a[i*dim : (i+1)*dim]
		for j := 0; j < m; j++ {
			s += f(sqDist(p, b[j*dim:(j+1)*dim]))
		}
	}
	return s / (float64(n) * float64(m))
}
