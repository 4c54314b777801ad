package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestInSquares(t *testing.T) {
	tests := []struct {
		x, y   float64
		square int
		ok     bool
	}{
		// The centre of each square, in the official order.
		{6, 2, 0, true}, {2, 6, 1, true}, {2, -2, 2, true}, {6, -6, 3, true},
		{-2, -6, 4, true}, {-6, -2, 5, true}, {-2, 2, 6, true}, {-6, 6, 7, true},
		// The empty cells of the checkerboard.
		{2, 2, -1, false}, {-2, -2, -1, false}, {6, 6, -1, false}, {-6, -6, -1, false},
		{6, -2, -1, false}, {-6, 2, -1, false},
		// Edges and corners are inside; a shared corner goes to the first square.
		{8, 0, 0, true}, {8, 4, 0, true}, {4, 4, 0, true}, {0, 0, 2, true}, {-8, 8, 7, true},
		{-4, -4, 4, true}, {-8, -4, 5, true},
		// Outside the box.
		{8.001, 2, -1, false}, {2, -8.001, -1, false}, {-9, 6, -1, false}, {math.NaN(), 2, -1, false},
	}
	for _, tt := range tests {
		square, ok := InSquares(tt.x, tt.y)
		if square != tt.square || ok != tt.ok {
			t.Errorf("InSquares(%v, %v) = %d, %v, want %d, %v", tt.x, tt.y, square, ok, tt.square, tt.ok)
		}
	}
}

// TestInSquaresIsCheckerboard checks the documented equivalence: away from cell edges, a point
// of [-8, 8]^2 is in a square exactly when floor(x/4) + floor(y/4) is odd.
func TestInSquaresIsCheckerboard(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 20000 {
		x, y := 16*rng.Float64()-8, 16*rng.Float64()-8
		odd := (int(math.Floor(x/4))+int(math.Floor(y/4)))%2 != 0
		if _, ok := InSquares(x, y); ok != odd {
			t.Fatalf("InSquares(%v, %v) ok = %v, want %v (checkerboard parity)", x, y, ok, odd)
		}
	}
}

// squareShares returns the fraction of points (x, y interleaved) in each square and outside.
func squareShares(pts []float32) (shares [NumSquares]float64, outside float64) {
	n := float64(len(pts) / 2)
	for i := 0; i < len(pts); i += 2 {
		if s, ok := InSquares(float64(pts[i]), float64(pts[i+1])); ok {
			shares[s] += 1 / n
		} else {
			outside += 1 / n
		}
	}
	return shares, outside
}

func TestSampleSquares(t *testing.T) {
	const seed = 5
	rng := rand.New(rand.NewPCG(seed, 0))
	pts := make([]float32, 2*40000)
	if err := SampleSquares(pts, rng); err != nil {
		t.Fatal(err)
	}
	shares, outside := squareShares(pts)
	if outside != 0 {
		t.Errorf("seed %d: %.4f of fresh samples outside the squares, want 0", seed, outside)
	}
	for s, got := range shares {
		if math.Abs(got-0.125) > 0.01 {
			t.Errorf("seed %d: square %d share = %.4f, want 0.125 +- 0.01", seed, s, got)
		}
	}
	// Within a square, x and y are uniform: the mean offset from the lower-left corner is 2.
	var sx, sy float64
	for i := 0; i < len(pts); i += 2 {
		s, _ := InSquares(float64(pts[i]), float64(pts[i+1]))
		sx += float64(pts[i]) - squaresMul*squareCorners[s][0]
		sy += float64(pts[i+1]) - squaresMul*squareCorners[s][1]
	}
	n := float64(len(pts) / 2)
	if math.Abs(sx/n-2) > 0.03 || math.Abs(sy/n-2) > 0.03 {
		t.Errorf("seed %d: mean offset inside the squares = (%.3f, %.3f), want (2, 2) +- 0.03", seed, sx/n, sy/n)
	}
	for _, bad := range []struct {
		dst []float32
		rng *rand.Rand
	}{{make([]float32, 3), rng}, {make([]float32, 4), nil}} {
		if err := SampleSquares(bad.dst, bad.rng); err == nil {
			t.Errorf("SampleSquares(len %d, rng %v) = nil, want an error", len(bad.dst), bad.rng != nil)
		}
	}
}

func TestToySquaresPool(t *testing.T) {
	d, err := Open("toy2d")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Name(), "toy2d:squares"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	if d.Len() != ToyPoolSize || !slices.Equal(d.Shape(), []int{2}) || d.Classes() != nil {
		t.Fatalf("Len, Shape, Classes = %d, %v, %v, want %d, [2], nil", d.Len(), d.Shape(), d.Classes(), ToyPoolSize)
	}
	pool := d.(*toySet).pool
	shares, outside := squareShares(pool)
	if outside != 0 {
		t.Errorf("%.4f of the pool outside the squares, want 0", outside)
	}
	for s, got := range shares {
		if math.Abs(got-0.125) > 0.01 {
			t.Errorf("square %d share of the pool = %.4f, want 0.125 +- 0.01", s, got)
		}
	}
	for _, v := range pool {
		if v < -8 || v > 8 {
			t.Fatalf("pool coordinate %v outside [-8, 8]", v)
		}
	}

	// The pools are fixed: a second Open gives the same points; the test pool differs.
	again, err := Open("toy2d:squares")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.(*toySet).pool, pool) {
		t.Error("two Opens of toy2d gave different pools, want the same fixed pool")
	}
	test, err := OpenSplit("toy2d", Test)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(test.(*toySet).pool[:20], pool[:20]) {
		t.Error("the Test pool starts like the Train pool, want a pool from another seed")
	}
}

func TestToyBatch(t *testing.T) {
	d, err := Open("toy2d:squares")
	if err != nil {
		t.Fatal(err)
	}
	pool := d.(*toySet).pool
	at := make(map[[2]float32]int, ToyPoolSize)
	for i := 0; i < len(pool); i += 2 {
		at[[2]float32{pool[i], pool[i+1]}] = i / 2
	}
	const n = 2500
	batch := func(seed uint64) ([]float32, []int64) {
		x, labels := make([]float32, 2*n), make([]int64, n)
		for i := range labels {
			labels[i] = -1
		}
		if err := d.Batch(x, labels, rand.New(rand.NewPCG(seed, 0))); err != nil {
			t.Fatal(err)
		}
		return x, labels
	}
	x, labels := batch(1)
	seen := make(map[int]bool, n)
	for i := 0; i < len(x); i += 2 {
		j, ok := at[[2]float32{x[i], x[i+1]}]
		if !ok {
			t.Fatalf("batch point (%v, %v) is not in the pool", x[i], x[i+1])
		}
		if seen[j] {
			t.Fatalf("pool point %d drawn twice in one batch", j)
		}
		seen[j] = true
	}
	for i, l := range labels {
		if l != 0 {
			t.Fatalf("label %d = %d, want 0 (toy sets are unlabelled)", i, l)
		}
	}
	if again, _ := batch(1); !slices.Equal(again, x) {
		t.Error("the same seed gave a different batch")
	}
	if other, _ := batch(2); slices.Equal(other, x) {
		t.Error("seeds 1 and 2 gave the same batch")
	}
}

func TestToySets(t *testing.T) {
	tests := []struct {
		set string
		// dist returns the distance of a point from the set's noiseless support.
		dist    func(x, y float64) float64
		noiseSD float64
		// meanX, meanY: the population mean.
		meanX, meanY float64
	}{
		{"rings", func(x, y float64) float64 {
			r := math.Hypot(x, y)
			return math.Abs(r - 1.5*math.Max(1, math.Min(4, math.Round(r/1.5))))
		}, 0.16, 0, 0},
		{"8gaussians", func(x, y float64) float64 {
			d := math.Inf(1)
			for k := range 8 {
				a := math.Pi / 4 * float64(k)
				d = math.Min(d, math.Hypot(x-4*math.Sqrt2*math.Cos(a), y-4*math.Sqrt2*math.Sin(a)))
			}
			return d
		}, math.Sqrt2 / 2, 0, 0},
		{"moons", func(x, y float64) float64 {
			u, v := (x+2)/4, (y+0.4)/4 // back to the unit moons
			upper := math.Abs(math.Hypot(u, v) - 1)
			lower := math.Abs(math.Hypot(u-1, v-0.5) - 1)
			return 4 * math.Min(upper, lower)
		}, 0.4, 0, 0.6}, // the unit moons' mean is (0.5, 0.25)
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			d, err := Open("toy2d:" + tt.set)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Name(); got != "toy2d:"+tt.set {
				t.Errorf("Name() = %q, want %q", got, "toy2d:"+tt.set)
			}
			pool := d.(*toySet).pool
			n := float64(d.Len())
			var sx, sy, inBox, near float64
			for i := 0; i < len(pool); i += 2 {
				x, y := float64(pool[i]), float64(pool[i+1])
				sx += x / n
				sy += y / n
				if math.Abs(x) <= 8 && math.Abs(y) <= 8 {
					inBox += 1 / n
				}
				if tt.dist(x, y) < 3*tt.noiseSD {
					near += 1 / n
				}
			}
			if inBox < 0.995 {
				t.Errorf("%.4f of the pool inside [-8, 8]^2, want >= 0.995", inBox)
			}
			if near < 0.97 {
				t.Errorf("%.4f of the pool within 3 noise sd of the support, want >= 0.97", near)
			}
			if math.Abs(sx-tt.meanX) > 0.1 || math.Abs(sy-tt.meanY) > 0.1 {
				t.Errorf("pool mean = (%.3f, %.3f), want (%v, %v) +- 0.1", sx, sy, tt.meanX, tt.meanY)
			}
		})
	}
}

func BenchmarkToyBatch2500(b *testing.B) {
	d, err := Open("toy2d")
	if err != nil {
		b.Fatal(err)
	}
	x, labels := make([]float32, 2*2500), make([]int64, 2500)
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if err := d.Batch(x, labels, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleInSquares() {
	for _, p := range [][2]float64{{6, 2}, {2, 2}, {-7.5, 7.5}} {
		square, ok := InSquares(p[0], p[1])
		fmt.Println(p, square, ok)
	}
	// Output:
	// [6 2] 0 true
	// [2 2] -1 false
	// [-7.5 7.5] 7 true
}
