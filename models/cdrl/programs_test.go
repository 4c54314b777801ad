package cdrl

import (
	"math"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

func toyLevels(t *testing.T) Levels {
	t.Helper()
	trs, err := infer.DefaultSchedule().Transitions(infer.Langevin{Mode: infer.ToySteps})
	if err != nil {
		t.Fatal(err)
	}
	var lv Levels
	for _, tr := range trs {
		lv.EBM = append(lv.EBM, tr.LogSNROut)
		lv.Init = append(lv.Init, tr.LogSNRIn)
	}
	return lv
}

// TestExportMatchesScore checks that the bundle's energy graph (logSNR input, snapped to the
// level table) gives the training score program's energies and gradients (level input).
func TestExportMatchesScore(t *testing.T) {
	nets, err := Arch("toy-small", []int{2}, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	lv := toyLevels(t)
	score, err := nets.Score(lv)
	if err != nil {
		t.Fatal(err)
	}
	export, err := nets.ExportEnergy(lv)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.FromFloat32([]float32{1, -2, 3.5, 0.5, -6, 7}, 3, 2)
	levels := []int64{0, 2, 5}
	logsnr := make([]float32, 3)
	for i, l := range levels {
		logsnr[i] = float32(lv.EBM[l])
	}
	outputs := func(g *graphs.Graph) []*graphs.Value {
		var vs []*graphs.Value
		for _, o := range g.Outputs() {
			vs = append(vs, o.Value)
		}
		return vs
	}
	a, err := graphs.Evaluate(map[string]*tensor.Tensor{InputX: x, InputLevel: tensor.FromInt64(levels, 3)}, outputs(score)...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := graphs.Evaluate(map[string]*tensor.Tensor{InputX: x, InputLogSNR: tensor.FromFloat32(logsnr, 3)}, outputs(export)...)
	if err != nil {
		t.Fatal(err)
	}
	for k := range a {
		for i := range a[k].Float64 {
			if d := math.Abs(a[k].Float64[i] - b[k].Float64[i]); d > 1e-9*(1+math.Abs(a[k].Float64[i])) {
				t.Fatalf("output %d[%d]: score %g, export %g", k, i, a[k].Float64[i], b[k].Float64[i])
			}
		}
	}
}

func TestArchErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		shape []int
		want  string
	}{
		{"nope", []int{2}, "nope"},
		{"toy-small", []int{1, 28, 28}, "2-D points"},
		{"mnist-s", []int{2}, "image data"},
	} {
		if _, err := Arch(c.name, c.shape, 0, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Arch(%s, %v): error %v, want one mentioning %q", c.name, c.shape, err, c.want)
		}
	}
	if _, err := (Nets{}).Score(Levels{}); err == nil {
		t.Error("empty Nets: want an error")
	}
}
