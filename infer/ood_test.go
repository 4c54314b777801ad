package infer_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
)

// TestOODIsLevelZeroEnergy checks that the scores are the EBM output at level 0 with the null
// class, f(sqrt(r_1) x, lambda_0), also when the inputs span several chunks.
func TestOODIsLevelZeroEnergy(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  func(testing.TB) string
		n    int
	}{{"toy", bundles.Toy, 600}, {"digits", bundles.Digits, 5}} {
		t.Run(c.name, func(t *testing.T) {
			s := sharedSampler(t, c.dir(t))
			x := make([]float32, c.n*size(s))
			infer.Normal(x, rand.New(rand.NewPCG(1, 1)))
			scores, err := s.OOD(context.Background(), x, c.n)
			if err != nil {
				t.Fatal(err)
			}
			var classes []int64
			if len(s.Manifest().Classes) > 0 {
				classes = make([]int64, c.n)
			}
			f, _, err := s.Energy(context.Background(), x, c.n, 0, classes)
			if err != nil {
				t.Fatal(err)
			}
			if len(scores) != c.n {
				t.Fatalf("%d scores, want %d", len(scores), c.n)
			}
			for i := range f {
				if scores[i] != float64(f[i]) {
					t.Fatalf("score %d = %v, the level-0 energy is %v", i, scores[i], f[i])
				}
			}
			if scores[0] == scores[1] {
				t.Errorf("inputs 0 and 1 got the same score %v", scores[0])
			}
		})
	}
}

func TestOODErrors(t *testing.T) {
	s := sharedSampler(t, bundles.Toy(t))
	inf := []float32{1, float32(math.Inf(1))}
	for _, c := range []struct {
		name string
		x    []float32
		n    int
		want string
	}{
		{"n", nil, 0, "n = 0"},
		{"length", []float32{1, 2, 3}, 2, "3 values for 2 inputs"},
		{"inf", inf, 1, "input 0, value 1"},
	} {
		if _, err := s.OOD(context.Background(), c.x, c.n); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
