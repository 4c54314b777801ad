package infer_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/zoo"
	"github.com/cdrl-go/cdrl/train/classifier"
	"github.com/cdrl-go/cdrl/train/data"
)

// TestClassPosteriorFindsDigits checks that the shipped mnist model's most probable class for
// test digits whose upper half alone is known is, most of the time, their digit: 30 of these
// 40 are (about 0.8 over larger sets); at least 24 leaves room for the rounding of other
// machines, and chance is 4.
func TestClassPosteriorFindsDigits(t *testing.T) {
	b, err := zoo.Open("mnist")
	if err != nil {
		t.Fatal(err)
	}
	s, err := infer.NewSampler(b, session)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds, err := data.OpenSplit("mnist", data.Test)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	x, digits, err := classifier.Draw(ds, n, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	upper := make([]bool, 28*28)
	for i := range upper {
		upper[i] = i/28 < 14
	}
	right := 0
	for i := range n {
		p, err := s.ClassPosterior(context.Background(), x[i*784:(i+1)*784], upper, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		checkDistribution(t, p, 10)
		if id := infer.MostProbableClass(p); b.Manifest.Classes[id-1] == string(rune('0'+digits[i])) {
			right++
		}
	}
	t.Logf("the most probable class is the digit for %d of %d upper halves", right, n)
	if right < 24 {
		t.Errorf("the most probable class is the digit for %d of %d upper halves, want at least 24", right, n)
	}
}

// TestClassPosteriorNothingKnown checks that with no known element every class is equally
// probable, exactly: no element gives evidence.
func TestClassPosteriorNothingKnown(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	p, err := s.ClassPosterior(context.Background(), barImage(), make([]bool, 28*28), 1)
	if err != nil {
		t.Fatal(err)
	}
	for c, v := range p {
		if v != 1/float64(len(p)) {
			t.Fatalf("class %d: %v with nothing known, want %v", c+1, v, 1/float64(len(p)))
		}
	}
}

// TestClassPosteriorSeeds checks that a seed reproduces its probabilities and that another
// seed's noise gives others.
func TestClassPosteriorSeeds(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	post := func(seed uint64) []float64 {
		p, err := s.ClassPosterior(context.Background(), barImage(), halfMask(), seed)
		if err != nil {
			t.Fatal(err)
		}
		checkDistribution(t, p, len(s.Manifest().Classes))
		return p
	}
	if a, b := post(3), post(3); !slices.Equal(a, b) {
		t.Errorf("seed 3 twice: %v, then %v", a, b)
	}
	if a, b := post(3), post(4); slices.Equal(a, b) {
		t.Errorf("seeds 3 and 4 both give %v", a)
	}
}

// TestClassPosteriorRuns checks that ClassPosterior splits its probes into initializer runs of
// at most ClassMaxBatch inputs, each holding whole draws (every class), and runs every class
// for every draw of every transition it reads.
func TestClassPosteriorRuns(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	classes := len(s.Manifest().Classes)
	lo, hi := infer.ClassTransitions(s.Schedule().Levels)
	for _, draws := range []int{1, 8, 13} {
		var runs []int
		restore := infer.ObserveRuns(func(op, graph string, batch int) { runs = append(runs, batch) })
		_, err := s.ClassPosteriorDraws(context.Background(), barImage(), halfMask(), 1, draws)
		restore()
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, k := range runs {
			if k > infer.ClassMaxBatch || k%classes != 0 {
				t.Errorf("%d draws: a run of %d inputs; want at most %d, whole draws of %d classes", draws, k, infer.ClassMaxBatch, classes)
			}
			total += k
		}
		if want := classes * draws * (hi - lo + 1); total != want {
			t.Errorf("%d draws: %d inputs in %d runs, want %d", draws, total, len(runs), want)
		}
	}
}

// TestClassPosteriorErrors checks the errors for an unconditional model, sizes that do not
// fit, non-finite values and a cancelled context.
func TestClassPosteriorErrors(t *testing.T) {
	ctx := context.Background()
	dig := sharedSampler(t, bundles.Digits(t))
	toy := sharedSampler(t, bundles.Toy(t))
	nan := barImage()
	nan[5] = float32(math.NaN())
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, c := range []struct {
		name  string
		s     *infer.Sampler
		ctx   context.Context
		image []float32
		known []bool
		want  string
	}{
		{"unconditional", toy, ctx, []float32{0, 0}, []bool{true, false}, "unconditional"},
		{"image size", dig, ctx, barImage()[:100], halfMask(), "image has 100 values"},
		{"mask size", dig, ctx, barImage(), halfMask()[:100], "mask has 100 flags"},
		{"not finite", dig, ctx, nan, halfMask(), "image value 5 is NaN"},
		{"cancelled", dig, cancelled, barImage(), halfMask(), "cancel"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.s.ClassPosterior(c.ctx, c.image, c.known, 1)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

// TestFill checks the probe image against hand-computed values: known pixels stay, an image
// with nothing known is the background, and an unknown pixel amid known pixels of one value v
// is the normalised average (sum_q g_q v + g_2 bg) / (sum_q g_q + g_2), g_q = exp(-|q|^2/2).
func TestFill(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	bg := float32(s.Manifest().Range[0])
	x := s.Fill(barImage(), make([]bool, 28*28))
	for i, v := range x {
		if v != bg {
			t.Fatalf("nothing known: element %d = %v, want the background %v", i, v, bg)
		}
	}
	img, known := make([]float32, 28*28), make([]bool, 28*28)
	for i := range img {
		img[i], known[i] = 0.5, true
	}
	const hole = 14*28 + 14
	known[hole] = false
	var sum float64
	for dy := -3; dy <= 3; dy++ {
		for dx := -3; dx <= 3; dx++ {
			if dx != 0 || dy != 0 {
				sum += math.Exp(-float64(dx*dx+dy*dy) / 2)
			}
		}
	}
	g2 := math.Exp(-2)
	want := (sum*0.5 + g2*float64(bg)) / (sum + g2)
	x = s.Fill(img, known)
	if math.Abs(float64(x[hole])-want) > 1e-6 {
		t.Errorf("hole = %v, want %v", x[hole], want)
	}
	for i, v := range x {
		if i != hole && v != 0.5 {
			t.Fatalf("known element %d = %v, want 0.5", i, v)
		}
	}
}

// TestClassTransitions checks which transitions the posterior reads: the upper half of the
// schedule below the top, or the top alone.
func TestClassTransitions(t *testing.T) {
	for _, c := range []struct{ levels, lo, hi int }{{1, 1, 1}, {2, 2, 2}, {3, 2, 2}, {6, 4, 5}, {7, 4, 6}, {10, 6, 9}} {
		if lo, hi := infer.ClassTransitions(c.levels); lo != c.lo || hi != c.hi {
			t.Errorf("%d levels: transitions %d..%d, want %d..%d", c.levels, lo, hi, c.lo, c.hi)
		}
	}
}

// checkDistribution fails unless p holds n finite probabilities summing to 1.
func checkDistribution(t *testing.T, p []float64, n int) {
	t.Helper()
	if len(p) != n {
		t.Fatalf("%d probabilities, want %d", len(p), n)
	}
	var sum float64
	for c, v := range p {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("class %d: probability %v", c+1, v)
		}
		sum += v
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("probabilities sum to %v", sum)
	}
}

// TestMostProbableClass checks the class id of the largest probability, the first on ties.
func TestMostProbableClass(t *testing.T) {
	for _, c := range []struct {
		p    []float64
		want int64
	}{{[]float64{1}, 1}, {[]float64{0.2, 0.5, 0.3}, 2}, {[]float64{0.1, 0.1, 0.4, 0.4}, 3}, {[]float64{0.25, 0.25, 0.25, 0.25}, 1}} {
		if got := infer.MostProbableClass(c.p); got != c.want {
			t.Errorf("%v: class %d, want %d", c.p, got, c.want)
		}
	}
}
