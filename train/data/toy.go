package data

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// ToyPoolSize is the number of points in each fixed pool of a 2D toy set.
const ToyPoolSize = 50000

// NumSquares is the number of squares of the 8-squares toy set.
const NumSquares = 8

// squaresMul scales the unit squares of the 8-squares set.
const squaresMul = 4

// squareCorners holds the lower-left corners of the 8 unit squares, in the order of the
// official toy code; InSquares numbers the squares in this order.
var squareCorners = [NumSquares][2]float64{
	{1, 0}, {0, 1}, {0, -1}, {1, -2}, {-1, -2}, {-2, -1}, {-1, 0}, {-2, 1},
}

// toySamplers draws one point of each toy set from rng.
var toySamplers = map[string]func(rng *rand.Rand) (x, y float64){
	"squares":    sampleSquare,
	"rings":      sampleRings,
	"moons":      sampleMoons,
	"8gaussians": sample8Gaussians,
}

// toySeeds are the fixed seeds of the pools, so that the pools do not depend on the run's rng.
var toySeeds = map[Split][2]uint64{Train: {1, 0}, Test: {2, 0}}

// toySet is a 2D toy set: a fixed pool of points from which batches are drawn.
type toySet struct {
	name string
	pool []float32 // ToyPoolSize points, (x, y) interleaved
}

func openToy(set string, split Split) (Dataset, error) {
	sample, ok := toySamplers[set]
	if !ok {
		return nil, fmt.Errorf("data: open %q: unknown toy set %q, want one of %s", "toy2d:"+set, set, strings.Join(slices.Sorted(maps.Keys(toySamplers)), ", "))
	}
	seed := toySeeds[split]
	rng := rand.New(rand.NewPCG(seed[0], seed[1]))
	pool := make([]float32, 2*ToyPoolSize)
	for i := 0; i < len(pool); i += 2 {
		x, y := sample(rng)
		pool[i], pool[i+1] = float32(x), float32(y)
	}
	return &toySet{name: "toy2d:" + set, pool: pool}, nil
}

func (s *toySet) Name() string      { return s.name }
func (s *toySet) Len() int          { return len(s.pool) / 2 }
func (s *toySet) Shape() []int      { return []int{2} }
func (s *toySet) Classes() []string { return nil }

func (s *toySet) Batch(x []float32, labels []int64, rng *rand.Rand) error {
	n, err := batchSize(s.name, 2, x, labels, rng)
	if err != nil {
		return err
	}
	idx := make([]int, n)
	drawIndices(idx, s.Len(), rng)
	for i, j := range idx {
		x[2*i], x[2*i+1] = s.pool[2*j], s.pool[2*j+1]
	}
	clear(labels)
	return nil
}

// SampleSquares fills dst with len(dst)/2 fresh points of the 8-squares set drawn by rng,
// (x, y) interleaved: a square picked uniformly, then x and y uniform inside it. It returns an
// error when len(dst) is odd or rng is nil.
func SampleSquares(dst []float32, rng *rand.Rand) error {
	if rng == nil {
		return fmt.Errorf("data: sample squares: nil rng")
	}
	if len(dst)%2 != 0 {
		return fmt.Errorf("data: sample squares: dst has odd length %d, want (x, y) pairs", len(dst))
	}
	for i := 0; i < len(dst); i += 2 {
		x, y := sampleSquare(rng)
		dst[i], dst[i+1] = float32(x), float32(y)
	}
	return nil
}

// InSquares reports which of the 8 squares of the 8-squares set holds the point (x, y).
// Squares are closed: a point on an edge is inside, and a corner shared by two squares belongs
// to the first in the order of the official code (lower-left corners (1,0), (0,1), (0,-1),
// (1,-2), (-1,-2), (-2,-1), (-1,0), (-2,1), times 4). When ok is false, square is -1.
func InSquares(x, y float64) (square int, ok bool) {
	for i, c := range squareCorners {
		x0, y0 := squaresMul*c[0], squaresMul*c[1]
		if x >= x0 && x <= x0+squaresMul && y >= y0 && y <= y0+squaresMul {
			return i, true
		}
	}
	return -1, false
}

func sampleSquare(rng *rand.Rand) (x, y float64) {
	c := squareCorners[rng.IntN(NumSquares)]
	x = squaresMul * (c[0] + rng.Float64())
	y = squaresMul * (c[1] + rng.Float64())
	return x, y
}

// sampleRings draws from four concentric circles of radii 6, 4.5, 3 and 1.5 (a circle picked
// uniformly, the angle uniform) with Gaussian noise of standard deviation 0.16 per coordinate.
func sampleRings(rng *rand.Rand) (x, y float64) {
	r := 1.5 * float64(1+rng.IntN(4))
	a := 2 * math.Pi * rng.Float64()
	return r*math.Cos(a) + 0.16*rng.NormFloat64(), r*math.Sin(a) + 0.16*rng.NormFloat64()
}

// sampleMoons draws from two interleaving half circles: the upper moon (cos t, sin t) or the
// lower moon (1 - cos t, 1/2 - sin t), picked uniformly, with t uniform in [0, pi] and Gaussian
// noise of standard deviation 0.1 per coordinate; the result is mapped by p -> 4p - (2, 0.4).
func sampleMoons(rng *rand.Rand) (x, y float64) {
	t := math.Pi * rng.Float64()
	if rng.IntN(2) == 0 {
		x, y = math.Cos(t), math.Sin(t)
	} else {
		x, y = 1-math.Cos(t), 0.5-math.Sin(t)
	}
	x += 0.1 * rng.NormFloat64()
	y += 0.1 * rng.NormFloat64()
	return 4*x - 2, 4*y - 0.4
}

// sample8Gaussians draws from 8 Gaussians of standard deviation sqrt(2)/2 centred at radius
// 4*sqrt(2) in the directions k*pi/4, a component picked uniformly.
func sample8Gaussians(rng *rand.Rand) (x, y float64) {
	a := math.Pi / 4 * float64(rng.IntN(8))
	const r, sd = 4 * math.Sqrt2, math.Sqrt2 / 2
	return r*math.Cos(a) + sd*rng.NormFloat64(), r*math.Sin(a) + sd*rng.NormFloat64()
}
