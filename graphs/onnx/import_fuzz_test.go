package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
)

// FuzzImport feeds mutated models to Import, seeded with the torch fixtures and the models of
// testdata/import: every input must give a graph or an "onnx: import: " error, never a panic,
// and an imported graph must differentiate or fail with an error. Run it with
//
//	go test -run '^$' -fuzz FuzzImport -fuzztime 30s ./graphs/onnx
func FuzzImport(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{
		filepath.Join(torchDir, "*.onnx"),
		filepath.Join(importDir, "*.onnx"),
		filepath.Join(importDir, "ops", "*.onnx"),
	} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, paths...)
	}
	if len(seeds) == 0 {
		f.Fatal("no seed models")
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		imp, err := Import(data, ImportOptions{})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "onnx: import: ") {
				t.Errorf("error %q lacks the prefix %q", err, "onnx: import: ")
			}
			return
		}
		for _, out := range imp.Outputs {
			if _, err := graphs.Grad(out, imp.Inputs["x"]); err != nil {
				return
			}
		}
	})
}
