package onnx

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// torchDir holds the PyTorch-exported fixtures (testdata/torch/README.md).
const torchDir = "../../testdata/torch"

// torchTol is the fixtures' norm-wise relative tolerance.
const torchTol = 1e-4

var torchFixtures = []string{"mlp_opset13", "mlp_opset17", "conv_opset17", "conv_cond_opset15", "mlp_opset16_matmul"}

// torchFeeds reads a fixture's inputs (x, logsnr and, where present, class).
func torchFeeds(t *testing.T, name string) map[string]*tensor.Tensor {
	t.Helper()
	feeds := map[string]*tensor.Tensor{}
	for _, in := range []string{"x", "logsnr", "class"} {
		path := filepath.Join(torchDir, name+"."+in+".npy")
		if _, err := os.Stat(path); in == "class" && os.IsNotExist(err) {
			continue
		}
		feeds[in] = readNpy(t, path)
	}
	return feeds
}

func readNpy(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	v, err := tensor.ReadNpyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// relErr returns ||got - want|| / ||want|| over the flattened values.
func importRelErr(t *testing.T, got, want *tensor.Tensor) float64 {
	t.Helper()
	g, w := got.AsFloat64(), want.AsFloat64()
	if len(g) != len(w) {
		t.Fatalf("got %d values %v, want %d %v", len(g), got.Shape, len(w), want.Shape)
	}
	var num, den float64
	for k := range g {
		num += (g[k] - w[k]) * (g[k] - w[k])
		den += w[k] * w[k]
	}
	return math.Sqrt(num / den)
}

// TestImportTorchFixtures imports each torch fixture, evaluates energy and d(sum energy)/dx with
// the reference evaluator and compares them with torch.
func TestImportTorchFixtures(t *testing.T) {
	for _, name := range torchFixtures {
		t.Run(name, func(t *testing.T) {
			imp, err := ImportFile(filepath.Join(torchDir, name+".onnx"), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			energy := imp.Outputs["energy"]
			grads, err := graphs.Grad(energy, imp.Inputs["x"])
			if err != nil {
				t.Fatal(err)
			}
			got, err := graphs.Evaluate(torchFeeds(t, name), energy, grads[0])
			if err != nil {
				t.Fatal(err)
			}
			eErr := importRelErr(t, got[0], readNpy(t, filepath.Join(torchDir, name+".energy.npy")))
			gErr := importRelErr(t, got[1], readNpy(t, filepath.Join(torchDir, name+".grad.npy")))
			t.Logf("opset %d, %d params; rel err energy %.2e, grad %.2e", imp.Opset, len(imp.Params), eErr, gErr)
			if eErr > torchTol || gErr > torchTol {
				t.Errorf("rel err energy %.2e, grad %.2e; want <= %.0e", eErr, gErr, torchTol)
			}
		})
	}
}

// TestImportTorchFixturesORT runs each imported fixture with its input gradient in ONNX Runtime
// (params baked in) and compares with torch; then, with params as inputs, compares the
// parameter gradients of sum(energy) between ONNX Runtime and the reference evaluator.
func TestImportTorchFixturesORT(t *testing.T) {
	for _, name := range torchFixtures {
		t.Run(name, func(t *testing.T) {
			imp, err := ImportFile(filepath.Join(torchDir, name+".onnx"), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			energy := imp.Outputs["energy"]
			wrt := append([]*graphs.Value{imp.Inputs["x"]}, imp.Params...)
			grads, err := graphs.Grad(energy, wrt...)
			if err != nil {
				t.Fatal(err)
			}
			imp.Graph.Output("grad", grads[0])
			feeds := torchFeeds(t, name)
			out := runImportedORT(t, imp.Graph, BakeParams, feeds)
			eErr := importRelErr(t, out["energy"], readNpy(t, filepath.Join(torchDir, name+".energy.npy")))
			gErr := importRelErr(t, out["grad"], readNpy(t, filepath.Join(torchDir, name+".grad.npy")))
			t.Logf("ORT vs torch: rel err energy %.2e, grad %.2e", eErr, gErr)
			if eErr > torchTol || gErr > torchTol {
				t.Errorf("ORT vs torch: rel err energy %.2e, grad %.2e; want <= %.0e", eErr, gErr, torchTol)
			}

			// Training form: params fed as inputs, gradients with respect to every param.
			for k, p := range imp.Params {
				imp.Graph.Output("grad_"+p.Name(), grads[k+1])
				feeds[p.Name()] = p.Node().Attrs.Tensor("value")
			}
			out = runImportedORT(t, imp.Graph, ParamsAsInputs, feeds)
			want, err := graphs.Evaluate(feeds, grads[1:]...)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for k, p := range imp.Params {
				worst = max(worst, importRelErr(t, out["grad_"+p.Name()], want[k]))
			}
			t.Logf("ORT vs reference evaluator: worst rel err of %d param grads %.2e", len(imp.Params), worst)
			if worst > torchTol {
				t.Errorf("param grads: worst rel err %.2e > %.0e", worst, torchTol)
			}
		})
	}
}

// runImportedORT marshals g, runs it in a single-threaded CPU ONNX Runtime session and
// returns every output.
func runImportedORT(t *testing.T, g *graphs.Graph, mode ParamMode, feeds map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	model, err := Marshal(g, Options{Params: mode})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewSession(model, ort.SessionConfig{Provider: "cpu", IntraOpThreads: 1})
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

// importDir holds the models made by testdata/import/gen.py.
const importDir = "testdata/import"

// TestImportOps imports each single-feature model of testdata/import/ops and checks its output
// with the reference evaluator and ONNX Runtime against numpy/torch, and its gradient with
// respect to the float inputs and params against central differences.
func TestImportOps(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(importDir, "ops", "*.onnx"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no op cases in %s (%v)", importDir, err)
	}
	const seed = 20261202
	t.Logf("seed %d", seed)
	for _, path := range paths {
		base := strings.TrimSuffix(path, ".onnx")
		t.Run(filepath.Base(base), func(t *testing.T) {
			imp, err := ImportFile(path, ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			feeds := map[string]*tensor.Tensor{}
			for c := range imp.Inputs {
				feeds[c] = readNpy(t, base+"."+c+".npy")
			}
			want := readNpy(t, base+".y.npy")
			y := imp.Outputs["y"]
			got, err := graphs.Evaluate(feeds, y)
			if err != nil {
				t.Fatal(err)
			}
			if !got[0].Shape.Equal(want.Shape) {
				t.Fatalf("reference evaluator: shape %v, want %v", got[0].Shape, want.Shape)
			}
			if e := importRelErr(t, got[0], want); e > 1e-5 {
				t.Errorf("reference evaluator: rel err %.2e > 1e-5", e)
			}
			if e := importRelErr(t, runImportedORT(t, imp.Graph, BakeParams, feeds)["y"], want); e > 1e-4 {
				t.Errorf("ONNX Runtime: rel err %.2e > 1e-4", e)
			}
			if _, err := os.Stat(base + ".nograd"); err == nil {
				return
			}
			ana, num := directionalCheck(t, imp, feeds, rand.New(rand.NewSource(seed)))
			t.Logf("directional derivative: analytic %.10g, numeric %.10g", ana, num)
			if d := math.Abs(ana - num); d > 1e-6*max(math.Abs(num), 1) {
				t.Errorf("directional derivative: analytic %.10g, numeric %.10g", ana, num)
			}
		})
	}
}

// directionalCheck compares <dL/dw, u> for L = sum(y * R) over the float inputs and params w and
// a random unit direction u with the central difference of L along u (float64 evaluation).
func directionalCheck(t *testing.T, imp *Imported, feeds map[string]*tensor.Tensor, rng *rand.Rand) (analytic, numeric float64) {
	t.Helper()
	g, y := imp.Graph, imp.Outputs["y"]
	base := map[string]*tensor.Tensor{}
	var wrt []*graphs.Value
	for _, c := range contractInputs {
		if v := imp.Inputs[c]; v != nil && v.DType() == tensor.Float32 {
			wrt = append(wrt, v)
			base[v.Name()] = feeds[c]
		}
	}
	for _, p := range imp.Params {
		wrt = append(wrt, p)
		base[p.Name()] = p.Node().Attrs.Tensor("value")
	}
	ys, err := graphs.Evaluate(feeds, y)
	if err != nil {
		t.Fatal(err)
	}
	r := make([]float32, ys[0].Len())
	for k := range r {
		r[k] = float32(rng.NormFloat64())
	}
	loss := graphs.ReduceSum(graphs.Mul(y, graphs.Const(g, tensor.FromFloat32(r, ys[0].Shape...))), nil, false)
	grads, err := graphs.Grad(loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]*tensor.Tensor{}
	for k, v := range feeds {
		all[k] = v
	}
	gs, err := graphs.Evaluate(all, grads...)
	if err != nil {
		t.Fatal(err)
	}
	dirs := make([][]float64, len(wrt))
	norm := 0.0
	for k, w := range wrt {
		dirs[k] = make([]float64, base[w.Name()].Len())
		for j := range dirs[k] {
			dirs[k][j] = rng.NormFloat64()
			norm += dirs[k][j] * dirs[k][j]
		}
	}
	for k := range wrt {
		g := gs[k].AsFloat64()
		for j := range dirs[k] {
			dirs[k][j] /= math.Sqrt(norm)
			analytic += g[j] * dirs[k][j]
		}
	}
	const h = 1e-5
	at := func(sign float64) float64 {
		shifted := map[string]*tensor.Tensor{}
		for k, v := range all {
			shifted[k] = v
		}
		for k, w := range wrt {
			b := base[w.Name()]
			p := b.AsFloat64()
			for j := range p {
				p[j] += sign * h * dirs[k][j]
			}
			shifted[w.Name()] = tensor.FromFloat64(p, b.Shape...)
		}
		out, err := graphs.Evaluate(shifted, loss)
		if err != nil {
			t.Fatal(err)
		}
		return out[0].AsFloat64()[0]
	}
	return analytic, (at(1) - at(-1)) / (2 * h)
}

// TestImportInputShapes checks that dynamic dimensions (dim_param or no value) become -1 and
// that the contract names replace the model's.
func TestImportInputShapes(t *testing.T) {
	imp, err := ImportFile(filepath.Join(torchDir, "conv_cond_opset15.onnx"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"x": "float32(?,1,8,8)", "logsnr": "float32(?)", "class": "int64(?)"}
	for c, w := range want {
		v := imp.Inputs[c]
		if v == nil {
			t.Fatalf("no input %q", c)
		}
		if got := fmt.Sprintf("%v%v", v.DType(), v.Shape()); got != w || v.Name() != c {
			t.Errorf("input %q: %s named %q, want %s named %q", c, got, v.Name(), w, c)
		}
	}
	if imp.Opset != 15 {
		t.Errorf("opset %d, want 15", imp.Opset)
	}
}

// TestImportIOMapping imports a model whose inputs and outputs have other names.
func TestImportIOMapping(t *testing.T) {
	path := filepath.Join(importDir, "io_names.onnx")
	io := map[string]string{"x": "input_0", "logsnr": "input_1", "energy": "output_0"}
	imp, err := ImportFile(path, ImportOptions{IO: io})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Outputs) != 1 || imp.Outputs["energy"] == nil {
		t.Fatalf("outputs %v, want energy only (aux is not a contract output)", imp.Outputs)
	}
	if s := imp.Inputs["x"].Shape(); !s.Equal(tensor.Shape{-1, 2}) {
		t.Errorf("x shape %v, want (?,2)", s)
	}
	if s := imp.Inputs["logsnr"].Shape(); !s.Equal(tensor.Shape{-1}) {
		t.Errorf("logsnr shape %v, want (?) (a dimension without value or name)", s)
	}
	if len(imp.Params) != 1 || imp.Params[0].Name() != "w" {
		t.Fatalf("params %v, want [w]", imp.Params)
	}
	w := imp.Params[0].Node().Attrs.Tensor("value").Float32
	x := tensor.FromFloat32([]float32{1, 2, -3, 0.5}, 2, 2)
	l := tensor.FromFloat32([]float32{0.25, -1}, 2)
	got, err := graphs.Evaluate(map[string]*tensor.Tensor{"x": x, "logsnr": l}, imp.Outputs["energy"])
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 2; n++ {
		want := float64(x.Float32[2*n]*w[0]+x.Float32[2*n+1]*w[1]) + float64(l.Float32[n])
		if d := math.Abs(got[0].Float64[n] - want); d > 1e-6 {
			t.Errorf("energy[%d] = %g, want %g", n, got[0].Float64[n], want)
		}
	}

	errs := []struct {
		name string
		io   map[string]string
		want []string
	}{
		{"no mapping", nil, []string{`no input "x"`, `"input_0", "input_1"`}},
		{"missing input name", map[string]string{"x": "inp", "logsnr": "input_1", "energy": "output_0"},
			[]string{`contract input "x" maps to "inp"`, `graph inputs: "input_0", "input_1"`}},
		{"missing output name", map[string]string{"x": "input_0", "logsnr": "input_1", "energy": "out"},
			[]string{`contract output "energy" maps to "out"`, `graph outputs: "output_0", "aux"`}},
		{"no contract output", map[string]string{"x": "input_0", "logsnr": "input_1"},
			[]string{`no output "energy" or "y"`, `"output_0", "aux"`}},
		{"input left unmapped", map[string]string{"x": "input_0", "energy": "output_0"},
			[]string{`no input "logsnr"`}},
		{"unknown contract name", map[string]string{"z": "input_0"}, []string{`"z", which is not a contract name`}},
		{"two names for one input", map[string]string{"x": "input_0", "logsnr": "input_0", "energy": "output_0"},
			[]string{`contract inputs "x" and "logsnr" both map to graph input "input_0"`}},
	}
	for _, c := range errs {
		_, err := ImportFile(path, ImportOptions{IO: c.io})
		checkErr(t, c.name, err, append(c.want, "onnx: "+path+": ")...)
	}
}

// checkErr fails unless err contains every want.
func checkErr(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one containing %q", what, want)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not contain %q", what, err, w)
		}
	}
}

// TestImportParams checks which initializers become trainable params, and Freeze.
func TestImportParams(t *testing.T) {
	path := filepath.Join(importDir, "params.onnx")
	names := func(vs []*graphs.Value) string {
		var s []string
		for _, v := range vs {
			s = append(s, v.Name())
		}
		return strings.Join(s, " ")
	}
	imp, err := ImportFile(path, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(imp.Params), "W b s bb k"; got != want {
		t.Errorf("params %q, want %q (lo, shape, mean, var, z, unused and dead are constants)", got, want)
	}
	if got := names(imp.Graph.Params()); got != "W b s bb k" {
		t.Errorf("graph params %q, want the same as Imported.Params", got)
	}
	imp, err = ImportFile(path, ImportOptions{Freeze: regexp.MustCompile(`^(W|k)$`)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(imp.Params), "b s bb"; got != want {
		t.Errorf("with Freeze: params %q, want %q", got, want)
	}
	// Frozen or not, the energy is the same.
	x := tensor.FromFloat32([]float32{-3, 0.5, 2, 1, -1, 0}, 2, 3)
	l := tensor.FromFloat32([]float32{1, -2}, 2)
	feeds := map[string]*tensor.Tensor{"x": x, "logsnr": l}
	frozen, err := graphs.Evaluate(feeds, imp.Outputs["energy"])
	if err != nil {
		t.Fatal(err)
	}
	if imp, err = ImportFile(path, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	trainable, err := graphs.Evaluate(feeds, imp.Outputs["energy"])
	if err != nil {
		t.Fatal(err)
	}
	if e := importRelErr(t, frozen[0], trainable[0]); e > 1e-12 {
		t.Errorf("energy differs with Freeze: rel err %.2e", e)
	}
}

// TestImportErrors checks the errors for unsupported and broken models.
func TestImportErrors(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"opset11.onnx", []string{"opset 11 is not supported (supported: 13 to 18)"}},
		{"opset19.onnx", []string{"opset 19 is not supported"}},
		{"unsupported_op.onnx", []string{`node "/head/Einsum" (Einsum): unsupported op type "Einsum"`}},
		{"custom_domain.onnx", []string{`node "/head/Relu" (Relu): unsupported op "Relu" of domain "com.example"`}},
		{"truncated.onnx", []string{"malformed protobuf", "unexpected EOF"}},
		{"garbage.onnx", []string{"malformed"}},
		{"ext_short.onnx", []string{`initializer "k": external data:`, "ext.bin has 16 bytes, the tensor needs 64 at offset 12"}},
		{"ext_escape.onnx", []string{`initializer "w": external data: location "../ext.bin" is not a relative path inside`}},
		{"ext_missing.onnx", []string{`initializer "w": external data:`, "missing.bin"}},
		{"bad_allowzero.onnx", []string{`node "/bad" (Reshape): allowzero=1 is supported only for constant shapes without zeros`}},
		{"bad_dropout_mask.onnx", []string{`node "/bad" (Dropout): output 1 ("mask") is not supported`}},
		{"bad_auto_pad.onnx", []string{`node "/bad" (Conv): auto_pad "SAME_UPPER" is not supported`}},
		{"bad_empty_constant.onnx", []string{`node "/bad" (Constant): onnx-go decoder: No data found`}},
	}
	for _, c := range cases {
		path := filepath.Join(importDir, c.file)
		_, err := ImportFile(path, ImportOptions{})
		checkErr(t, c.file, err, append(c.want, "onnx: "+path+": ")...)
	}
	data, err := os.ReadFile(filepath.Join(importDir, "ext.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Import(data, ImportOptions{})
	checkErr(t, "external data without BaseDir", err, "onnx: import: ", `no folder to read it from`)
	_, err = ImportFile(filepath.Join(importDir, "no-such.onnx"), ImportOptions{})
	checkErr(t, "missing file", err, "onnx: import: ", "no-such.onnx")
}

// TestImportExternalData reads two initializers from one external data file.
func TestImportExternalData(t *testing.T) {
	imp, err := ImportFile(filepath.Join(importDir, "ext.onnx"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(importDir, "ext.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	viaBytes, err := Import(data, ImportOptions{BaseDir: importDir})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.FromFloat32([]float32{1, 2, 3, -1, 0, 0.5}, 2, 3)
	l := tensor.FromFloat32([]float32{0.5, -0.25}, 2)
	want := []float64{0.5 - 4 + 9 + 2, -0.5 + 1.5 - 1}
	for _, m := range []*Imported{imp, viaBytes} {
		got, err := graphs.Evaluate(map[string]*tensor.Tensor{"x": x, "logsnr": l}, m.Outputs["energy"])
		if err != nil {
			t.Fatal(err)
		}
		for n, w := range want {
			if math.Abs(got[0].Float64[n]-w) > 1e-6 {
				t.Errorf("energy[%d] = %g, want %g", n, got[0].Float64[n], w)
			}
		}
	}
}

// TestImportTruncated imports every 37th prefix of each torch fixture: each must fail cleanly.
func TestImportTruncated(t *testing.T) {
	for _, name := range torchFixtures {
		data, err := os.ReadFile(filepath.Join(torchDir, name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n += 37 {
			if _, err := Import(data[:n], ImportOptions{}); err == nil || !strings.HasPrefix(err.Error(), "onnx: import: ") {
				t.Errorf("%s cut at %d bytes: error %v, want one starting %q", name, n, err, "onnx: import: ")
			}
		}
	}
}
