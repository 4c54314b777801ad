package data

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestOpenSplitBadSpecs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		spec  string
		split Split
		want  string // substring of the error
	}{
		{"", Train, "unknown dataset"},
		{"svhn:" + dir, Train, "unknown dataset"},
		{"toy2d:spirals", Train, `unknown toy set "spirals", want one of 8gaussians, moons, rings, squares`},
		{"toy2d:", Train, "unknown toy set"},
		{"toy2d", "valid", `unknown split "valid"`},
		{"mnist:", Train, "empty folder"},
		{"mnist:" + dir, Train, "train-images-idx3-ubyte.gz: no such file"},
		{"mnist:" + dir, Test, "t10k-images-idx3-ubyte.gz: no such file"},
		{"cifar10", Train, "want cifar10:DIR"},
		{"cifar10:", Train, "want cifar10:DIR"},
		{"cifar10:" + dir, Train, "data_batch_1.bin: no such file"},
		{"images", Train, "want images:DIR"},
		{"images:" + dir, Test, "no test split"},
		{"images:" + dir, Train, "has no PNG or JPEG files"},
		{"images:" + dir + "@32", Train, `option "32": want WIDTHxHEIGHT`},
		{"images:" + dir + "@0x32", Train, `option "0x32"`},
		{"images:" + dir + "@32x32,flop", Train, `option "flop"`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			d, err := OpenSplit(tt.spec, tt.split)
			if err == nil {
				t.Fatalf("OpenSplit(%q, %q) = %s, want an error containing %q", tt.spec, tt.split, d.Name(), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "data: ") {
				t.Errorf("OpenSplit(%q, %q) error = %q, want a \"data: \" error containing %q", tt.spec, tt.split, err, tt.want)
			}
		})
	}
}

func TestOpenMissingFilesWrapNotExist(t *testing.T) {
	for _, spec := range []string{"mnist:" + t.TempDir(), "cifar10:" + t.TempDir(), "images:" + t.TempDir() + "/none"} {
		if _, err := Open(spec); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q) error = %v, want one wrapping fs.ErrNotExist", spec, err)
		}
	}
}

func TestImagesTestSplitIsErrNoTestSplit(t *testing.T) {
	if _, err := OpenSplit("images:"+t.TempDir(), Test); !errors.Is(err, ErrNoTestSplit) {
		t.Errorf("OpenSplit(images, Test) error = %v, want ErrNoTestSplit", err)
	}
}

func TestDrawIndices(t *testing.T) {
	tests := []struct{ k, n int }{
		{0, 5}, {1, 1}, {3, 10}, {5, 10}, {6, 10}, {10, 10}, {25, 10}, {64, 60000}, {2500, 50000},
	}
	for _, tt := range tests {
		seed := uint64(tt.k*1000 + tt.n)
		rng := rand.New(rand.NewPCG(seed, 7))
		idx := make([]int, tt.k)
		drawIndices(idx, tt.n, rng)
		for start := 0; start < tt.k; start += tt.n {
			block := slices.Clone(idx[start:min(start+tt.n, tt.k)])
			slices.Sort(block)
			for i, j := range block {
				if j < 0 || j >= tt.n {
					t.Fatalf("k=%d n=%d seed=%d: index %d out of [0, %d)", tt.k, tt.n, seed, j, tt.n)
				}
				if i > 0 && block[i-1] == j {
					t.Fatalf("k=%d n=%d seed=%d: index %d repeated within a block", tt.k, tt.n, seed, j)
				}
			}
		}
	}
}

// TestDrawDistinctUniform checks that both branches of drawDistinct give every index the same
// chance at every position.
func TestDrawDistinctUniform(t *testing.T) {
	const n, trials = 6, 60000
	for _, k := range []int{2, 3, 5} { // 2, 3: rejection against a bit set; 5: partial shuffle
		rng := rand.New(rand.NewPCG(uint64(k), 1))
		var counts [n][n]int // counts[position][index]
		dst := make([]int, k)
		for range trials {
			drawDistinct(dst, n, rng)
			for pos, j := range dst {
				counts[pos][j]++
			}
		}
		want := float64(trials) / n
		for pos := range k {
			for j, c := range counts[pos] {
				if d := float64(c) - want; d*d > 25*want { // 5 standard deviations
					t.Errorf("k=%d: index %d at position %d drawn %d times, want about %.0f", k, j, pos, c, want)
				}
			}
		}
	}
}

func TestBatchArgumentErrors(t *testing.T) {
	toy, err := Open("toy2d")
	if err != nil {
		t.Fatal(err)
	}
	img := newTestPixelSet(3, 2, 2, 5, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name   string
		d      Dataset
		x      []float32
		labels []int64
		rng    *rand.Rand
		want   string
	}{
		{"toy odd x", toy, make([]float32, 5), nil, rng, "x has 5 values, not a multiple of the sample size 2"},
		{"toy short labels", toy, make([]float32, 6), make([]int64, 2), rng, "labels has length 2, want 3"},
		{"toy nil rng", toy, make([]float32, 6), nil, nil, "nil rng"},
		{"image partial sample", img, make([]float32, 13), nil, rng, "not a multiple of the sample size 12"},
		{"image long labels", img, make([]float32, 24), make([]int64, 3), rng, "labels has length 3, want 2"},
		{"image nil rng", img, make([]float32, 24), make([]int64, 2), nil, "nil rng"},
	}
	for _, tt := range tests {
		err := tt.d.Batch(tt.x, tt.labels, tt.rng)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Batch error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

// newTestPixelSet returns an in-memory image set of n samples of shape [c, h, w] whose pixel k
// of sample i is (7i + k) mod 256, labelled i mod len(classes) + 1 when classes is not nil.
func newTestPixelSet(c, h, w, n int, classes []string) *pixelSet {
	s := &pixelSet{name: "test", shape: []int{c, h, w}, classes: classes}
	size := c * h * w
	s.pix = make([]uint8, n*size)
	for i := range n {
		for k := range size {
			s.pix[i*size+k] = uint8(7*i + k)
		}
		if classes != nil {
			s.labels = append(s.labels, int64(i%len(classes)+1))
		}
	}
	return s
}

func TestPixelSetBatchWithoutReplacement(t *testing.T) {
	s := newTestPixelSet(1, 2, 3, 4, []string{"a", "b", "c"})
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 10 // larger than the set: blocks of 4, 4 and 2 distinct samples
	x := make([]float32, n*6)
	labels := make([]int64, n)
	if err := s.Batch(x, labels, rng); err != nil {
		t.Fatal(err)
	}
	var got []int
	for i := range n {
		first := x[6*i]
		j := -1
		for cand := range 4 {
			if pixelLUT[s.pix[6*cand]] == first {
				j = cand
			}
		}
		if j < 0 {
			t.Fatalf("sample %d starts with %v, which no stored sample does", i, first)
		}
		for k := range 6 {
			if want := pixelLUT[s.pix[6*j+k]]; x[6*i+k] != want {
				t.Fatalf("sample %d (stored %d) value %d = %v, want %v", i, j, k, x[6*i+k], want)
			}
		}
		if want := int64(j%3 + 1); labels[i] != want {
			t.Errorf("sample %d (stored %d) label = %d, want %d", i, j, labels[i], want)
		}
		got = append(got, j)
	}
	for _, block := range [][]int{got[0:4], got[4:8], got[8:10]} {
		b := slices.Clone(block)
		slices.Sort(b)
		if len(slices.Compact(b)) != len(block) {
			t.Errorf("block %v repeats a sample", block)
		}
	}
}

func TestPixelLUT(t *testing.T) {
	tests := []struct {
		v    uint8
		want float32
	}{{0, -1}, {255, 1}, {51, -0.6}, {204, 0.6}}
	for _, tt := range tests {
		if got := pixelLUT[tt.v]; got != tt.want {
			t.Errorf("pixelLUT[%d] = %v, want %v", tt.v, got, tt.want)
		}
	}
	for v := 1; v < 256; v++ {
		if pixelLUT[v] <= pixelLUT[v-1] {
			t.Fatalf("pixelLUT not increasing at %d", v)
		}
	}
}

// TestBatchConcurrent checks that goroutines sharing a dataset, each with its own rng, get the
// batches a sequential run gets.
func TestBatchConcurrent(t *testing.T) {
	for _, d := range []Dataset{mustOpen(t, "toy2d:moons"), newTestPixelSet(3, 4, 4, 50, []string{"a", "b"})} {
		size := 1
		for _, s := range d.Shape() {
			size *= s
		}
		const workers, n = 4, 16
		batch := func(seed uint64) []float32 {
			x := make([]float32, n*size)
			if err := d.Batch(x, make([]int64, n), rand.New(rand.NewPCG(seed, 0))); err != nil {
				t.Error(err)
			}
			return x
		}
		var want [workers][]float32
		for w := range workers {
			want[w] = batch(uint64(w))
		}
		var got [workers][]float32
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { got[w] = batch(uint64(w)) })
		}
		wg.Wait()
		for w := range workers {
			if !slices.Equal(got[w], want[w]) {
				t.Errorf("%s: concurrent batch with seed %d differs from the sequential one", d.Name(), w)
			}
		}
	}
}

func mustOpen(t *testing.T, spec string) Dataset {
	t.Helper()
	d, err := Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ExampleOpen() {
	d, err := Open("toy2d")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Name(), d.Len(), d.Shape(), d.Classes() == nil)

	rng := rand.New(rand.NewPCG(1, 2)) // the run's one seeded source
	x := make([]float32, 2*512)        // 512 points, (x, y) interleaved
	if err := d.Batch(x, nil, rng); err != nil {
		fmt.Println(err)
		return
	}
	inside := 0
	for i := 0; i < len(x); i += 2 {
		if _, ok := InSquares(float64(x[i]), float64(x[i+1])); ok {
			inside++
		}
	}
	fmt.Println(inside, "of 512 points in the squares")
	// Output:
	// toy2d:squares 50000 [2] true
	// 512 of 512 points in the squares
}

// TestOpenErrorGivesNilDataset guards against a typed nil pointer inside a non-nil interface.
func TestOpenErrorGivesNilDataset(t *testing.T) {
	for _, spec := range []string{"toy2d:none", "mnist:" + t.TempDir(), "cifar10:" + t.TempDir(), "images:" + t.TempDir(), "nope"} {
		if d, err := Open(spec); err == nil || d != nil {
			t.Errorf("Open(%q) = %v, %v, want a nil Dataset and an error", spec, d, err)
		}
	}
}
