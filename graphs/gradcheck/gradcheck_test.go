package gradcheck

import (
	"strings"

	"github.com/cdrl-go/cdrl/runtime/tensor"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
)

const seed = 20261129

// TestCases checks every registered case against central finite differences.
func TestCases(t *testing.T) {
	t.Logf("seed %d", seed)
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			res, err := Check(c, seed)
			if err != nil {
				t.Fatal(err)
			}
			tol := c.Tol
			if tol == 0 {
				tol = 1e-6
			}
			if res.RelErr > tol {
				t.Errorf("directional derivative: analytic %.10g, numeric %.10g, rel err %.2e > %.0e", res.Analytic, res.Numeric, res.RelErr, tol)
			}
		})
	}
}

// TestEveryOpHasStateAndCase fails when a registered op has no grad state for its inputs, or
// when an op with a differentiable input appears in no gradient-check case.
func TestEveryOpHasStateAndCase(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range Cases() {
		b, err := Build(c, newRand())
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for _, n := range graphs.LiveNodes(b.Y) {
			covered[n.Op] = true
		}
	}
	for _, op := range graphs.Ops() {
		if op.Type == "Input" || op.Type == "Param" || op.Type == "Constant" {
			continue
		}
		if len(op.Inputs) == 0 {
			t.Errorf("op %s declares no gradient state for its inputs", op.Type)
			continue
		}
		diff := false
		for _, s := range op.Inputs {
			if s == graphs.Differentiable {
				diff = true
			}
		}
		if diff && !covered[op.Type] {
			t.Errorf("op %s has a differentiable input but no gradient-check case", op.Type)
		}
	}
}

// TestSliceParamLengths checks that mismatched Slice parameters are a build error, not a panic.
func TestSliceParamLengths(t *testing.T) {
	g := graphs.New("slice")
	x := graphs.Input(g, "x", tensor.Float32, 3, 4)
	graphs.Slice(x, graphs.ConstInts(g, 0, 1), graphs.ConstInts(g, 2), graphs.ConstInts(g, 0), nil)
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "one length") {
		t.Errorf("error %v, want one about parameter lengths", err)
	}
}

// TestArgMin checks the reference evaluation of ArgMin (it carries no gradient).
func TestArgMin(t *testing.T) {
	g := graphs.New("argmin")
	x := graphs.Input(g, "x", tensor.Float32, 2, 3)
	a := graphs.ArgMin(x, 1, false)
	out, err := graphs.Evaluate(map[string]*tensor.Tensor{"x": tensor.FromFloat32([]float32{3, 1, 1, -2, 5, -7}, 2, 3)}, a)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Int64; len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("ArgMin = %v, want [1 2]", got)
	}
}
