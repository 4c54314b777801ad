package bundle

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestValidateAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Manifest)
	}{
		{"image", func(*Manifest) {}},
		{"rgb image", func(m *Manifest) { m.Shape = []int{3, 32, 32} }},
		{"points", func(m *Manifest) {
			m.Kind, m.Shape, m.Range = KindPoints, []int{2}, [2]float64{-4, 4}
			m.Langevin = Langevin{Steps: 15, B: 1e-3, CMode: CModeToy}
		}},
		{"no provenance", func(m *Manifest) { m.Provenance = Provenance{} }},
		{"empty class list", func(m *Manifest) { m.Classes = []string{} }},
		{"date with zone offset", func(m *Manifest) { m.Provenance.Date = "2026-03-01T12:00:00+01:00" }},
		{"other graph file names", func(m *Manifest) {
			m.Graphs.Energy.File, m.Graphs.Initializer.File = "ebm-v2.onnx", "Init_1.onnx"
		}},
		{"inputs in any order", func(m *Manifest) { m.Graphs.Energy.Outputs = []string{"grad", "energy"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testManifest(false)
			tc.edit(m)
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name        string
		conditional bool
		edit        func(*Manifest)
		want        string
	}{
		// format and version
		{"no format", false, func(m *Manifest) { m.Format = "" }, `format: missing; want "cdrl-bundle"`},
		{"foreign format", false, func(m *Manifest) { m.Format = "onnx" }, `format: "onnx" is not "cdrl-bundle" (not a cdrl-go bundle)`},
		{"newer version", false, func(m *Manifest) { m.Version = 4 },
			"version: bundle was written by a newer cdrl-go (version 4); this build reads version 3"},
		{"version 0", false, func(m *Manifest) { m.Version = 0 }, "version: 0 is not a bundle version; this build reads version 3"},

		// kind and shape
		{"no kind", false, func(m *Manifest) { m.Kind = "" }, "kind: missing; want one of image, points"},
		{"unknown kind", false, func(m *Manifest) { m.Kind = "audio" }, `kind: "audio" is not one of image, points`},
		{"image rank 2", false, func(m *Manifest) { m.Shape = []int{28, 28} }, "shape: [28 28] has 2 dimensions; image bundles want [C, H, W]"},
		{"image no shape", false, func(m *Manifest) { m.Shape = nil }, "shape: [] has 0 dimensions"},
		{"image 2 channels", false, func(m *Manifest) { m.Shape = []int{2, 8, 8} }, "shape[0]: 2 channels; want 1 or 3"},
		{"image zero height", false, func(m *Manifest) { m.Shape = []int{1, 0, 8} }, "shape[1]: height 0; want at least 1"},
		{"image negative width", false, func(m *Manifest) { m.Shape = []int{1, 8, -8} }, "shape[2]: width -8; want at least 1"},
		{"image too large", false, func(m *Manifest) { m.Shape = []int{3, 1 << 20, 1 << 20} }, "values per sample; at most 268435456"},
		{"image overflowing", false, func(m *Manifest) { m.Shape = []int{3, math.MaxInt, math.MaxInt} }, "at most 268435456 are allowed"},
		{"points rank 3", false, func(m *Manifest) { m.Kind = KindPoints }, "shape: [1 28 28] has 3 dimensions; points bundles want [D]"},
		{"points zero dimension", false, func(m *Manifest) { m.Kind, m.Shape = KindPoints, []int{0} }, "shape[0]: dimension 0; want at least 1"},

		// range
		{"range reversed", false, func(m *Manifest) { m.Range = [2]float64{1, -1} }, "range: [1, -1]: want lo < hi"},
		{"range empty", false, func(m *Manifest) { m.Range = [2]float64{} }, "range: [0, 0]: want lo < hi"},
		{"range NaN", false, func(m *Manifest) { m.Range[0] = nan }, "range: [NaN, 1] is not finite"},

		// classes
		{"empty label", true, func(m *Manifest) { m.Classes[3] = "" }, "classes[3]: empty label; want a non-empty string"},
		{"duplicate label", true, func(m *Manifest) { m.Classes[5] = "1" }, `classes[5]: "1" repeats classes[1]; labels must be unique`},
		{"padded label", true, func(m *Manifest) { m.Classes[0] = " 0" }, `classes[0]: " 0" has leading or trailing white space`},
		{"comma in label", true, func(m *Manifest) { m.Classes[0] = "0,1" }, `classes[0]: "0,1" contains a comma`},
		{"control in label", true, func(m *Manifest) { m.Classes[0] = "a\x00b" }, `classes[0]: "a\x00b" contains a control character`},

		// schedule
		{"zero levels", false, func(m *Manifest) { m.Schedule.Levels = 0 }, "schedule.levels: 0; want at least 1"},
		{"logsnr reversed", false, func(m *Manifest) { m.Schedule.LogSNRMin, m.Schedule.LogSNRMax = 9.8, -5.1 },
			"schedule.logsnr_min: 9.8 is not below logsnr_max -5.1"},
		{"logsnr equal", false, func(m *Manifest) { m.Schedule.LogSNRMin = 9.8 }, "schedule.logsnr_min: 9.8 is not below logsnr_max 9.8"},
		{"logsnr_min infinite", false, func(m *Manifest) { m.Schedule.LogSNRMin = -inf }, "schedule.logsnr_min: -Inf is not finite"},
		{"logsnr_max NaN", false, func(m *Manifest) { m.Schedule.LogSNRMax = nan }, "schedule.logsnr_max: NaN is not finite"},

		// langevin
		{"zero steps", false, func(m *Manifest) { m.Langevin.Steps = 0 }, "langevin.steps: 0; want at least 1"},
		{"zero b", false, func(m *Manifest) { m.Langevin.B = 0 }, "langevin.b: 0; want a finite number above 0"},
		{"infinite b", false, func(m *Manifest) { m.Langevin.B = inf }, "langevin.b: +Inf; want a finite number above 0"},
		{"no c_mode", false, func(m *Manifest) { m.Langevin.CMode = "" }, "langevin.c_mode: missing; want one of image, toy"},
		{"bad c_mode", false, func(m *Manifest) { m.Langevin.CMode = "foo" }, `manifest.json: langevin.c_mode: "foo" is not one of image, toy`},

		// guidance
		{"negative guidance", true, func(m *Manifest) { m.GuidanceDefault = -0.5 }, "guidance_default: -0.5; want a finite number, 0 or above"},
		{"NaN guidance", true, func(m *Manifest) { m.GuidanceDefault = nan }, "guidance_default: NaN; want a finite number"},
		{"guidance without classes", false, func(m *Manifest) { m.GuidanceDefault = 1 },
			"guidance_default: 1, but the model has no classes to guide with; want 0"},

		// inpainting guidance
		{"negative inpainting guidance", true, func(m *Manifest) { w := -1.0; m.InpaintGuidance = &w },
			"inpaint_guidance: -1; want a finite number, 0 or above"},
		{"infinite inpainting guidance", true, func(m *Manifest) { m.InpaintGuidance = &inf }, "inpaint_guidance: +Inf; want a finite number"},
		{"inpainting guidance without classes", false, func(m *Manifest) { w := 1.0; m.InpaintGuidance = &w },
			"inpaint_guidance: 1, but the model has no classes to guide with; leave it out"},
		{"inpainting guidance in version 2", true, func(m *Manifest) { m.Version = 2 },
			"inpaint_guidance: present in a version 2 manifest; it was added in version 3"},

		// OOD level
		{"negative ood level", false, func(m *Manifest) { m.OODLevel = -1 }, "ood_level: -1; want a level 0..levels-1 (levels is 6)"},
		{"ood level past the last", false, func(m *Manifest) { m.OODLevel = 6 }, "ood_level: 6; want a level 0..levels-1 (levels is 6)"},
		{"ood level in version 1", false, func(m *Manifest) { m.Version, m.OODLevel = 1, 2 },
			"ood_level: present in a version 1 manifest; it was added in version 2"},

		// graph files
		{"no energy file", false, func(m *Manifest) { m.Graphs.Energy.File = "" }, `graphs.energy.file: missing; want a file name like "energy.onnx"`},
		{"no initializer", false, func(m *Manifest) { m.Graphs.Initializer = Graph{} }, "graphs.initializer.file: missing"},
		{"traversal", false, func(m *Manifest) { m.Graphs.Initializer.File = "../initializer.onnx" },
			`graphs.initializer.file: "../initializer.onnx" is not a plain file name in the bundle folder (no folders, no "..")`},
		{"absolute", false, func(m *Manifest) { m.Graphs.Energy.File = "/tmp/energy.onnx" }, `graphs.energy.file: "/tmp/energy.onnx" is not a plain file name`},
		{"backslash", false, func(m *Manifest) { m.Graphs.Energy.File = `sub\energy.onnx` }, "is not a plain file name"},
		{"dot dot", false, func(m *Manifest) { m.Graphs.Initializer.File = ".." }, `graphs.initializer.file: ".." is not a plain file name`},
		{"hidden", false, func(m *Manifest) { m.Graphs.Energy.File = ".energy.onnx" }, `graphs.energy.file: ".energy.onnx" starts with ".", which go:embed leaves out`},
		{"underscore", false, func(m *Manifest) { m.Graphs.Energy.File = "_energy.onnx" }, `starts with "_", which go:embed leaves out`},
		{"space", false, func(m *Manifest) { m.Graphs.Energy.File = "my energy.onnx" }, "has characters other than letters, digits"},
		{"not onnx", false, func(m *Manifest) { m.Graphs.Energy.File = "energy.bin" }, `graphs.energy.file: "energy.bin" does not end in ".onnx"`},
		{"only suffix", false, func(m *Manifest) { m.Graphs.Energy.File = ".onnx" }, `".onnx" starts with "."`},
		{"too long", false, func(m *Manifest) { m.Graphs.Energy.File = longName(201) }, "is longer than 200 bytes"},
		{"manifest name", false, func(m *Manifest) { m.Graphs.Energy.File = ManifestFile }, `"manifest.json" does not end in ".onnx"`},
		{"shared file", false, func(m *Manifest) { m.Graphs.Initializer.File = "energy.onnx" },
			`graphs.initializer.file: "energy.onnx" is also the file of graphs.energy; each graph needs its own file`},

		// graph inputs and outputs
		{"energy without logsnr", false, func(m *Manifest) { m.Graphs.Energy.Inputs = []string{"x"} },
			`graphs.energy.inputs: "logsnr" is missing; want x, logsnr`},
		{"energy extra input", false, func(m *Manifest) { m.Graphs.Energy.Inputs = []string{"x", "logsnr", "t"} },
			`graphs.energy.inputs: "t" is not an input of this graph; want x, logsnr`},
		{"energy class without classes", false, func(m *Manifest) { m.Graphs.Energy.Inputs = []string{"x", "logsnr", "class"} },
			`graphs.energy.inputs: has "class", but the model has no classes`},
		{"energy without class", true, func(m *Manifest) { m.Graphs.Energy.Inputs = []string{"x", "logsnr"} },
			`graphs.energy.inputs: "class" is missing; want x, logsnr, class`},
		{"energy input twice", false, func(m *Manifest) { m.Graphs.Energy.Inputs = []string{"x", "logsnr", "x"} },
			`graphs.energy.inputs: "x" is listed twice`},
		{"energy without grad", false, func(m *Manifest) { m.Graphs.Energy.Outputs = []string{"energy"} },
			`graphs.energy.outputs: "grad" is missing; want energy, grad`},
		{"energy output y", false, func(m *Manifest) { m.Graphs.Energy.Outputs = []string{"energy", "grad", "y"} },
			`graphs.energy.outputs: "y" is not an output of this graph; want energy, grad`},
		{"initializer without x", true, func(m *Manifest) { m.Graphs.Initializer.Inputs = []string{"logsnr", "class"} },
			`graphs.initializer.inputs: "x" is missing; want x, logsnr, class`},
		{"initializer outputs energy", false, func(m *Manifest) { m.Graphs.Initializer.Outputs = []string{"energy"} },
			`graphs.initializer.outputs: "energy" is not an output of this graph; want y`},
		{"initializer no outputs", false, func(m *Manifest) { m.Graphs.Initializer.Outputs = nil }, `graphs.initializer.outputs: "y" is missing`},
		{"energy guidance input", true, func(m *Manifest) { m.Graphs.Energy.Inputs = append(m.Graphs.Energy.Inputs, "guidance") },
			`graphs.energy.inputs: "guidance" is not an input of this graph`},

		// provenance
		{"negative iterations", false, func(m *Manifest) { m.Provenance.Iterations = -1 }, "provenance.iterations: -1; want 0 or more"},
		{"bad date", false, func(m *Manifest) { m.Provenance.Date = "yesterday" }, `provenance.date: "yesterday" is not an RFC 3339 time`},
		{"date without time", false, func(m *Manifest) { m.Provenance.Date = "2026-03-01" }, `provenance.date: "2026-03-01" is not an RFC 3339 time`},
		{"unnamed figure", false, func(m *Manifest) { m.Provenance.Figures[""] = 1 }, "provenance.figures: a figure has an empty name"},
		{"NaN figure", false, func(m *Manifest) { m.Provenance.Figures["fid"] = nan }, "provenance.figures.fid: NaN is not finite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testManifest(tc.conditional)
			tc.edit(m)
			err := m.Validate()
			checkErr(t, err, "bundle: manifest.json: ", tc.want)
			var e *Error
			if !errors.As(err, &e) || e.File != ManifestFile || e.Field == "" {
				t.Errorf("got %#v, want an *Error naming %s and a field", e, ManifestFile)
			}
		})
	}
}

// longName returns a graph file name of n bytes, valid but for its length.
func longName(n int) string { return strings.Repeat("a", n-len(".onnx")) + ".onnx" }

func TestValidateReportsAll(t *testing.T) {
	m := testManifest(false)
	m.Langevin.Steps, m.Langevin.CMode, m.Graphs.Energy.File = 0, "foo", "../e.onnx"
	err := m.Validate()
	checkErr(t, err, "langevin.steps: 0", `langevin.c_mode: "foo"`, `graphs.energy.file: "../e.onnx"`)
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Errorf("got %d joined errors, want 3:\n%v", n, err)
	}
}

func TestValidateNewerVersionStops(t *testing.T) {
	m := testManifest(false)
	m.Version, m.Kind = Version+1, "audio"
	err := m.Validate()
	checkErr(t, err, fmt.Sprintf("newer cdrl-go (version %d)", Version+1))
	if !errors.Is(err, ErrNewerVersion) {
		t.Errorf("errors.Is(%v, ErrNewerVersion) = false", err)
	}
	var e *Error
	if errors.As(err, &e); e == nil || e.Field != "version" {
		t.Errorf("got %#v, want an *Error for the field version", e)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 1 {
		t.Errorf("got %d joined errors, want only the version's:\n%v", n, err)
	}
}
