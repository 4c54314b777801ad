package onnx

import (
	"context"
	"math"
	"os"
	"path/filepath"
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
