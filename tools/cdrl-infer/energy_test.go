package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
)

const fixtures = "../../testdata/torch"

// runCLI runs cdrl-infer's main logic with args and returns the exit code and both streams.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := newApp()
	app.Writer = &stdout
	code := cli.Run(context.Background(), app, append([]string{"cdrl-infer"}, args...), &stderr)
	return code, stdout.String(), stderr.String()
}

func fixture(name, part string) string { return filepath.Join(fixtures, name+"."+part) }

func relErr(t *testing.T, got, want *tensor.Tensor) float64 {
	t.Helper()
	if !got.Shape.Equal(want.Shape) {
		t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
	}
	g, w := got.AsFloat64(), want.AsFloat64()
	var num, den float64
	for i := range g {
		num += (g[i] - w[i]) * (g[i] - w[i])
		den += w[i] * w[i]
	}
	return math.Sqrt(num / den)
}

// TestEnergyMatchesTorch runs `cdrl-infer energy` on every torch-exported fixture and compares
// energies and input gradients with torch.autograd's (norm-wise relative error 1e-4).
func TestEnergyMatchesTorch(t *testing.T) {
	for _, name := range []string{"mlp_opset13", "mlp_opset17", "conv_opset17", "conv_cond_opset15", "mlp_opset16_matmul"} {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			args := []string{"energy", "--graph", fixture(name, "onnx"), "--input", fixture(name, "x.npy"),
				"--logsnr", fixture(name, "logsnr.npy"), "--out", out, "--threads", "1"}
			if _, err := os.Stat(fixture(name, "class.npy")); err == nil {
				args = append(args, "--class", fixture(name, "class.npy"))
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "energy.npy") || !strings.Contains(stdout, "done in") {
				t.Errorf("stdout does not say what was written: %q", stdout)
			}
			for _, part := range []string{"energy", "grad"} {
				got, err := tensor.ReadNpyFile(filepath.Join(out, part+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				want, err := tensor.ReadNpyFile(fixture(name, part+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				if e := relErr(t, got, want); e > 1e-4 {
					t.Errorf("%s: relative error %.2e > 1e-4", part, e)
				}
			}
		})
	}
}

// TestEnergyErrors checks that bad input gets a clear error naming the flag/file, not a panic.
func TestEnergyErrors(t *testing.T) {
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.onnx")
	data, err := os.ReadFile(fixture("mlp_opset13", "onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	wrongX := filepath.Join(dir, "x3.npy")
	if err := tensor.WriteNpyFile(wrongX, tensor.New(tensor.Float32, 5, 3)); err != nil {
		t.Fatal(err)
	}
	nanX := filepath.Join(dir, "nan.npy")
	nan := tensor.New(tensor.Float32, 5, 2)
	nan.Float32[3] = float32(math.NaN())
	if err := tensor.WriteNpyFile(nanX, nan); err != nil {
		t.Fatal(err)
	}
	shortL := filepath.Join(dir, "l4.npy")
	if err := tensor.WriteNpyFile(shortL, tensor.New(tensor.Float32, 4)); err != nil {
		t.Fatal(err)
	}
	mlp := fixture("mlp_opset13", "onnx")
	x, l := fixture("mlp_opset13", "x.npy"), fixture("mlp_opset13", "logsnr.npy")
	cond := fixture("conv_cond_opset15", "onnx")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"missing graph file", []string{"--graph", filepath.Join(dir, "none.onnx"), "--input", x, "--logsnr", l}, []string{"--graph", "none.onnx"}},
		{"truncated graph", []string{"--graph", truncated, "--input", x, "--logsnr", l}, []string{"--graph", "truncated.onnx"}},
		{"wrong io name", []string{"--graph", mlp, "--io", "x=input_0", "--input", x, "--logsnr", l}, []string{"input_0"}},
		{"bad io syntax", []string{"--graph", mlp, "--io", "x", "--input", x, "--logsnr", l}, []string{"--io"}},
		{"shape mismatch", []string{"--graph", mlp, "--input", wrongX, "--logsnr", l}, []string{"--input", "x3.npy", "shape"}},
		{"nan input", []string{"--graph", mlp, "--input", nanX, "--logsnr", l}, []string{"--input", "nan.npy"}},
		{"logsnr length", []string{"--graph", mlp, "--input", x, "--logsnr", shortL}, []string{"--logsnr", "l4.npy"}},
		{"class missing", []string{"--graph", cond, "--input", fixture("conv_cond_opset15", "x.npy"), "--logsnr", fixture("conv_cond_opset15", "logsnr.npy")}, []string{"--class"}},
		{"class not taken", []string{"--graph", mlp, "--input", x, "--logsnr", l, "--class", fixture("conv_cond_opset15", "class.npy")}, []string{"--class", "no class input"}},
		{"missing npy", []string{"--graph", mlp, "--input", filepath.Join(dir, "nope.npy"), "--logsnr", l}, []string{"--input", "nope.npy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"energy", "--out", filepath.Join(dir, "out")}, c.args...)
			code, _, stderr := runCLI(t, args...)
			if code == 0 {
				t.Fatalf("exit 0, want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("error %q does not mention %q", stderr, w)
				}
			}
		})
	}
}
