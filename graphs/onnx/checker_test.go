package onnx

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs/gradcheck"
)

// checkerScript runs the reference ONNX checker, with full shape inference, on every file named
// on the command line and prints one line per model that fails.
const checkerScript = `
import sys, onnx
bad = 0
for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(path, full_check=True)
    except Exception as e:
        bad += 1
        print("%s: %s" % (path, str(e).replace("\n", " ")))
sys.exit(1 if bad else 0)
`

// python3WithONNX returns the Python interpreter that has the onnx package, or skips the test.
func python3WithONNX(t *testing.T) string {
	t.Helper()
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("skipping the ONNX checker: %s not found (install python3 and python3-onnx)", python)
	}
	if out, err := exec.Command(python, "-c", "import onnx").CombinedOutput(); err != nil {
		t.Skipf("skipping the ONNX checker: python3 cannot import onnx (install python3-onnx): %v: %s", err, strings.TrimSpace(string(out)))
	}
	return python
}

// TestONNXChecker writes the model of every gradient-check case and the MLP in both param
// modes, and runs onnx.checker.check_model(path, full_check=True) on them.
func TestONNXChecker(t *testing.T) {
	python := python3WithONNX(t)
	dir := t.TempDir()
	var paths []string
	write := func(name string, data []byte) {
		p := filepath.Join(dir, fmt.Sprintf("%03d.onnx", len(paths)))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", filepath.Base(p), name)
		paths = append(paths, p)
	}
	for _, c := range gradcheck.Cases() {
		b, err := gradcheck.Build(c, rand.New(rand.NewSource(roundTripSeed)))
		if err != nil {
			t.Fatalf("%s: build: %v", c.Name, err)
		}
		b.Graph.Output("y", b.Y)
		b.Graph.Output("loss", b.Loss)
		for k, w := range b.Wrt {
			b.Graph.Output("grad_"+w.Name(), b.Grads[k])
		}
		data, err := Marshal(b.Graph, Options{})
		if err != nil {
			t.Fatalf("%s: Marshal: %v", c.Name, err)
		}
		write(c.Name, data)
	}
	g := mlp(t, rand.New(rand.NewSource(roundTripSeed)))
	for _, mode := range []ParamMode{ParamsAsInputs, BakeParams} {
		data, err := Marshal(g, Options{Params: mode, DocString: "a small MLP", ProducerVersion: "test"})
		if err != nil {
			t.Fatalf("MLP %v: Marshal: %v", mode, err)
		}
		write("MLP "+mode.String(), data)
	}
	out, err := exec.Command(python, append([]string{"-c", checkerScript}, paths...)...).CombinedOutput()
	if err != nil {
		t.Errorf("onnx.checker rejected models (%v):\n%s", err, out)
	}
}
