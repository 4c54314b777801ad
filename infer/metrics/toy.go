package metrics

import (
	"errors"
	"fmt"
	"math"
)

// Membership reports which region, numbered 0..n-1, holds the point (x, y), and whether any
// does. train/data.InSquares is the membership of the 8-squares set.
type Membership func(x, y float64) (region int, ok bool)

// ToyReport summarises where a batch of 2D samples lands relative to the regions of a toy set.
type ToyReport struct {
	// Points is the number of points checked.
	Points int
	// NonFinite counts the points with a NaN or infinite coordinate; they count as outside.
	NonFinite int
	// Inside is the fraction of all points that lie in some region (uniform points on the
	// 8-squares box [-8, 8]^2 give 0.5).
	Inside float64
	// Counts holds the number of points in each region.
	Counts []int
	// Shares holds each region's share of the inside points, Counts[i] / (inside points);
	// all zero when no point is inside. A well-spread sampler gives about 1/len(Shares) each.
	Shares []float64
	// MaxShareError is max_i |Shares[i] - 1/len(Shares)|, or 1 when no point is inside.
	MaxShareError float64
}

// ToySquares checks points, (x, y) pairs interleaved, against regions regions whose membership
// in decides (pass train/data.InSquares and data.NumSquares for the 8-squares set). It
// returns an error when points is empty or of odd length, regions is not positive, in is nil,
// or in reports a region outside 0..regions-1.
func ToySquares(points []float32, regions int, in Membership) (ToyReport, error) {
	switch {
	case in == nil:
		return ToyReport{}, errors.New("metrics: toy squares: nil membership function")
	case regions <= 0:
		return ToyReport{}, fmt.Errorf("metrics: toy squares: %d regions, want at least 1", regions)
	case len(points) == 0:
		return ToyReport{}, errors.New("metrics: toy squares: no points")
	case len(points)%2 != 0:
		return ToyReport{}, fmt.Errorf("metrics: toy squares: points has odd length %d, want (x, y) pairs", len(points))
	}
	r := ToyReport{Points: len(points) / 2, Counts: make([]int, regions), Shares: make([]float64, regions)}
	inside := 0
	for i := 0; i < len(points); i += 2 {
		x, y := float64(points[i]), float64(points[i+1])
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			r.NonFinite++
			continue
		}
		k, ok := in(x, y)
		if !ok {
			continue
		}
		if k < 0 || k >= regions {
			return ToyReport{}, fmt.Errorf("metrics: toy squares: membership put point %d (%g, %g) in region %d, want 0..%d",
				i/2, x, y, k, regions-1)
		}
		r.Counts[k]++
		inside++
	}
	r.Inside = float64(inside) / float64(r.Points)
	if inside == 0 {
		r.MaxShareError = 1
		return r, nil
	}
	want := 1 / float64(regions)
	for k, c := range r.Counts {
		r.Shares[k] = float64(c) / float64(inside)
		r.MaxShareError = math.Max(r.MaxShareError, math.Abs(r.Shares[k]-want))
	}
	return r, nil
}
