package bundle_test

import (
	"fmt"
	"testing/fstest"

	"github.com/cdrl-go/cdrl/models/bundle"
)

// manifest is a small conditional 2-D points bundle's manifest.json.
const manifest = `{
  "format": "cdrl-bundle",
  "version": 1,
  "kind": "points",
  "shape": [2],
  "range": [-4, 4],
  "classes": ["left", "right"],
  "schedule": {"levels": 6, "logsnr_min": -5.1, "logsnr_max": 9.8},
  "langevin": {"steps": 15, "b": 0.001, "c_mode": "toy", "tweedie": false},
  "guidance_default": 0.5,
  "graphs": {
    "energy": {"file": "energy.onnx", "inputs": ["x", "logsnr", "class"], "outputs": ["energy", "grad"]},
    "initializer": {"file": "initializer.onnx", "inputs": ["x", "logsnr", "class"], "outputs": ["y"]}
  },
  "provenance": {"seed": 1, "figures": {"inside_support": 0.98}}
}`

func ExampleRead() {
	fsys := fstest.MapFS{
		"manifest.json":    {Data: []byte(manifest)},
		"energy.onnx":      {Data: []byte("(ONNX bytes)")},
		"initializer.onnx": {Data: []byte("(ONNX bytes)")},
	}
	b, err := bundle.Read(fsys)
	if err != nil {
		fmt.Println(err)
		return
	}
	id, err := b.ClassID("right")
	fmt.Println(b.Kind, b.Shape, b.Langevin.Steps, id, err)
	fmt.Printf("%q %q\n", b.Label(1), b.Label(bundle.NullClass))
	_, err = b.ClassID("up")
	fmt.Println(err)
	// Output:
	// points [2] 15 2 <nil>
	// "left" ""
	// bundle: class "up" is not one of the model's classes: "left", "right"
}

func ExampleManifest_Validate() {
	m := &bundle.Manifest{Format: bundle.Format, Version: 4}
	fmt.Println(m.Validate())
	m.Version = 1
	m.Kind, m.Shape, m.Range = bundle.KindImage, []int{1, 28, 28}, [2]float64{-1, 1}
	m.Schedule = bundle.Schedule{Levels: 6, LogSNRMin: -5.1, LogSNRMax: 9.8}
	m.Langevin = bundle.Langevin{Steps: 15, B: 2e-4, CMode: "foo"}
	m.Graphs.Energy = bundle.Graph{File: "energy.onnx", Inputs: []string{"x", "logsnr"}, Outputs: []string{"energy", "grad"}}
	m.Graphs.Initializer = bundle.Graph{File: "../initializer.onnx", Inputs: []string{"x", "logsnr"}, Outputs: []string{"y"}}
	fmt.Println(m.Validate())
	// Output:
	// bundle: manifest.json: version: bundle was written by a newer cdrl-go (version 4); this build reads version 3
	// bundle: manifest.json: langevin.c_mode: "foo" is not one of image, toy
	// bundle: manifest.json: graphs.initializer.file: "../initializer.onnx" is not a plain file name in the bundle folder (no folders, no "..")
}
