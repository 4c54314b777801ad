package cdrl

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// TestBakerMatchesFed checks that the score program with values baked in computes in ONNX
// Runtime what the compiled program computes with the same values fed as inputs, and that
// the values, not the initial ones, are what it bakes.
func TestBakerMatchesFed(t *testing.T) {
	nets, err := Arch("toy-small", []int{2}, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	lv := toyLevels(t)
	fed, err := nets.Compile(ScoreProgram, lv, 0)
	if err != nil {
		t.Fatal(err)
	}
	baker, err := nets.Baker(ScoreProgram, lv, 0)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]*tensor.Tensor{}
	for k, p := range fed.Params {
		v := make([]float32, len(p.Init))
		for i, x := range p.Init {
			v[i] = 1.5*x + 0.01*float32((i+k)%7) // not the initial values
		}
		values[p.Name] = tensor.FromFloat32(v, p.Shape...)
	}
	model, err := baker.Model(values)
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]*tensor.Tensor{
		InputX:     tensor.FromFloat32([]float32{1, -2, 3.5, 0.5, -6, 7}, 3, 2),
		InputLevel: tensor.FromInt64([]int64{0, 2, 5}, 3),
	}
	run := func(model []byte, feeds map[string]*tensor.Tensor) map[string]*tensor.Tensor {
		t.Helper()
		s, err := ort.NewSession(model, ort.SessionConfig{IntraOpThreads: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		out, err := s.Run(context.Background(), feeds)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := map[string]*tensor.Tensor{}
	for k, v := range inputs {
		all[k] = v
	}
	for _, name := range fed.Fed {
		all[name] = values[name]
	}
	want, got := run(fed.Model, all), run(model, inputs)
	for _, name := range []string{OutEnergy, OutGrad} {
		for i, w := range want[name].Float32 {
			if g := got[name].Float32[i]; math.Abs(float64(g-w)) > 1e-5*(1+math.Abs(float64(w))) {
				t.Fatalf("%s[%d]: baked %g, fed %g", name, i, g, w)
			}
		}
	}
	delete(values, fed.Params[0].Name)
	if _, err := baker.Model(values); err == nil || !strings.Contains(err.Error(), fed.Params[0].Name) {
		t.Errorf("a missing value: error %v, want one naming %s", err, fed.Params[0].Name)
	}
	if _, err := nets.Baker(EBMStepProgram, lv, 0); err == nil {
		t.Error("the EBM step (parameter gradients) was baked")
	}
}
