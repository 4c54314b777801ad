package nn

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

const testSeed = 20261130

// newTestRand returns the tests' seeded generator and logs the seed.
func newTestRand(t *testing.T) *rand.Rand {
	t.Helper()
	t.Logf("seed %d", testSeed)
	return rand.New(rand.NewSource(testSeed))
}

// randData draws n values uniformly from [-1, 1).
func randData(rng *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for k := range out {
		out[k] = 2*rng.Float64() - 1
	}
	return out
}

// evaluate runs the reference evaluator and fails the test on error.
func evaluate(t *testing.T, feeds map[string]*tensor.Tensor, outs ...*graphs.Value) []*tensor.Tensor {
	t.Helper()
	res, err := graphs.Evaluate(feeds, outs...)
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return res
}

// relErr is the norm-wise relative error ||got - want|| / ||want||.
func relErr(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, n float64
	for k := range got {
		d += (got[k] - want[k]) * (got[k] - want[k])
		n += want[k] * want[k]
	}
	if n == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d / n)
}

// checkClose fails when got and want differ by more than tol norm-wise.
func checkClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if e := relErr(got, want); e > tol || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > %.0e (got %.6g..., want %.6g...)", what, e, tol, head(got), head(want))
	}
}

func head(x []float64) []float64 {
	if len(x) > 4 {
		return x[:4]
	}
	return x
}

// wantErr fails unless g holds a build error containing substr.
func wantErr(t *testing.T, g *graphs.Graph, substr string) {
	t.Helper()
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), substr) {
		t.Errorf("graph error = %v, want one containing %q", err, substr)
	}
}

// paramValue returns the initial value of the named parameter of g.
func paramValue(t *testing.T, g *graphs.Graph, name string) *tensor.Tensor {
	t.Helper()
	for _, p := range g.Params() {
		if p.Name() == name {
			return p.Node().Attrs.Tensor("value")
		}
	}
	t.Fatalf("no param %q", name)
	return nil
}
