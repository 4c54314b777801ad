package infer_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
)

// TestOODIsEnergyOfItsLevel checks that OODAt scores are the EBM output at the level with the
// null class, f(sqrt(m_t) x, lambda_t), also when the inputs span several chunks, and that OOD
// uses the manifest's ood_level: level 0 when unset, the level it names otherwise.
func TestOODIsEnergyOfItsLevel(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  func(testing.TB) string
		n    int
	}{{"toy", bundles.Toy, 600}, {"digits", bundles.Digits, 5}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s := sharedSampler(t, c.dir(t))
			x := make([]float32, c.n*size(s))
			infer.Normal(x, rand.New(rand.NewPCG(1, 1)))
			var classes []int64
			if len(s.Manifest().Classes) > 0 {
				classes = make([]int64, c.n)
			}
			energy := func(level int) []float32 {
				f, _, err := s.Energy(ctx, x, c.n, level, classes)
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
			check := func(what string, scores []float64, err error, f []float32) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if len(scores) != c.n {
					t.Fatalf("%s: %d scores, want %d", what, len(scores), c.n)
				}
				for i := range f {
					if scores[i] != float64(f[i]) {
						t.Fatalf("%s: score %d = %v, the energy is %v", what, i, scores[i], f[i])
					}
				}
				if scores[0] == scores[1] {
					t.Errorf("%s: inputs 0 and 1 got the same score %v", what, scores[0])
				}
			}

			scores, err := s.OOD(ctx, x, c.n)
			check("OOD, no ood_level", scores, err, energy(0))
			levels := s.Manifest().Schedule.Levels
			for level := range levels {
				scores, err := s.OODAt(ctx, x, c.n, level)
				check(fmt.Sprintf("OODAt level %d", level), scores, err, energy(level))
			}

			b, err := bundle.ReadDir(c.dir(t))
			if err != nil {
				t.Fatal(err)
			}
			b.OODLevel = levels - 1
			other, err := infer.NewSampler(b, session)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			scores, err = other.OOD(ctx, x, c.n)
			check(fmt.Sprintf("OOD, ood_level %d", levels-1), scores, err, energy(levels-1))
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
		if _, err := s.OODAt(context.Background(), c.x, c.n, 0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("OODAt %s: error %v, want one containing %q", c.name, err, c.want)
		}
		if _, err := s.OOD(context.Background(), c.x, c.n); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	levels := s.Manifest().Schedule.Levels
	for _, level := range []int{-1, levels} {
		want := fmt.Sprintf("infer: ood: level %d outside 0..%d", level, levels-1)
		if _, err := s.OODAt(context.Background(), []float32{0, 0}, 1, level); err == nil || err.Error() != want {
			t.Errorf("OODAt level %d: error %v, want %q", level, err, want)
		}
	}
}
