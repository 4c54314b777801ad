package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// testManifest returns a valid MNIST-like image manifest; conditional adds the ten digit
// classes.
func testManifest(conditional bool) *Manifest {
	m := &Manifest{
		Format:   Format,
		Version:  Version,
		Kind:     KindImage,
		Shape:    []int{1, 28, 28},
		Range:    [2]float64{-1, 1},
		Schedule: Schedule{Levels: 6, LogSNRMin: -5.1, LogSNRMax: 9.8},
		Langevin: Langevin{Steps: 15, B: 2e-4, CMode: CModeImage, Tweedie: true},
		OODLevel: 3,
		Graphs: Graphs{
			Energy:      Graph{File: "energy.onnx", Inputs: []string{"x", "logsnr"}, Outputs: []string{"energy", "grad"}},
			Initializer: Graph{File: "initializer.onnx", Inputs: []string{"logsnr", "x"}, Outputs: []string{"y"}},
		},
		Provenance: Provenance{
			Command:    "cdrl-train --data mnist --out models/zoo/mnist",
			Seed:       7,
			Iterations: 20000,
			Date:       "2026-03-01T12:00:00Z",
			Figures:    map[string]float64{"fid": 12.5, "accuracy_guided": 0.97},
			Notes:      "test bundle",
		},
	}
	if conditional {
		m.Classes = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
		m.GuidanceDefault = 0.7
		w := 0.4
		m.InpaintGuidance = &w
		m.Graphs.Energy.Inputs = append(m.Graphs.Energy.Inputs, "class")
		m.Graphs.Initializer.Inputs = append(m.Graphs.Initializer.Inputs, "class")
	}
	return m
}

// testGraphs returns distinct stand-in content for the graphs of m (this package never parses
// it).
func testGraphs(m *Manifest) map[string][]byte {
	graphs := map[string][]byte{}
	for _, gr := range m.graphList() {
		graphs[gr.role] = []byte("onnx bytes of the " + gr.role + " graph")
	}
	return graphs
}

// testFS returns a bundle file system holding m's manifest (as JSON) and graphs.
func testFS(t *testing.T, m *Manifest) fstest.MapFS {
	t.Helper()
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{ManifestFile: {Data: data}}
	graphs := testGraphs(m)
	for _, gr := range m.graphList() {
		fsys[gr.g.File] = &fstest.MapFile{Data: graphs[gr.role]}
	}
	return fsys
}

// checkErr fails the test unless err is non-nil and its message contains every fragment.
func checkErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("got error %q, want it to contain %q", err, f)
		}
	}
	if !strings.HasPrefix(err.Error(), "bundle: ") {
		t.Errorf("got error %q, want it to start with \"bundle: \"", err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name        string
		conditional bool
	}{
		{"unconditional", false},
		{"conditional", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testManifest(tc.conditional)
			graphs := testGraphs(m)
			dir := filepath.Join(t.TempDir(), "mnist")
			if err := Write(dir, m, graphs); err != nil {
				t.Fatal(err)
			}

			fromDir, err := ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			files := fstest.MapFS{}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				files[e.Name()] = &fstest.MapFile{Data: data}
			}
			if got, want := len(files), len(graphs)+1; got != want {
				t.Errorf("got %d files in the bundle folder, want %d", got, want)
			}
			fromFS, err := Read(files)
			if err != nil {
				t.Fatal(err)
			}

			for name, b := range map[string]*Bundle{"ReadDir": fromDir, "Read": fromFS} {
				if !reflect.DeepEqual(b.Manifest, *m) {
					t.Errorf("%s: got manifest\n%+v\nwant\n%+v", name, b.Manifest, *m)
				}
				for role, want := range graphs {
					got, err := b.ReadGraph(role)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("%s: ReadGraph(%q) got %q, want %q", name, role, got, want)
					}
				}
			}
			if err := fstest.TestFS(fromDir.FS, ManifestFile); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestReadFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(fstest.MapFS)
		want   []string
		isFile bool // errors.Is(err, fs.ErrNotExist) must hold
	}{
		{"no manifest", func(f fstest.MapFS) { delete(f, ManifestFile) },
			[]string{"bundle: manifest.json: no such file"}, true},
		{"manifest is a folder", func(f fstest.MapFS) {
			delete(f, ManifestFile)
			f[ManifestFile+"/x"] = &fstest.MapFile{Data: []byte("x")}
		}, []string{"bundle: manifest.json: "}, false},
		{"manifest too large", func(f fstest.MapFS) {
			f[ManifestFile] = &fstest.MapFile{Data: bytes.Repeat([]byte(" "), maxManifestSize+1)}
		}, []string{"manifest.json: larger than the 1048576 bytes"}, false},
		{"energy file missing", func(f fstest.MapFS) { delete(f, "energy.onnx") },
			[]string{`manifest.json: graphs.energy.file: "energy.onnx" is not in the bundle`}, true},
		{"initializer file empty", func(f fstest.MapFS) { f["initializer.onnx"].Data = nil },
			[]string{`manifest.json: graphs.initializer.file: "initializer.onnx" is empty`}, false},
		{"initializer file is a folder", func(f fstest.MapFS) {
			delete(f, "initializer.onnx")
			f["initializer.onnx/inner"] = &fstest.MapFile{Data: []byte("x")}
		}, []string{`graphs.initializer.file: "initializer.onnx" is not a regular file`}, false},
		{"two files missing", func(f fstest.MapFS) {
			delete(f, "energy.onnx")
			delete(f, "initializer.onnx")
		}, []string{`graphs.energy.file: "energy.onnx" is not`, `graphs.initializer.file: "initializer.onnx" is not`}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := testFS(t, testManifest(true))
			tc.edit(fsys)
			b, err := Read(fsys)
			checkErr(t, err, tc.want...)
			if b != nil {
				t.Errorf("got a bundle with the error")
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tc.isFile {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v", got, tc.isFile)
			}
		})
	}
}

func TestReadDirErrors(t *testing.T) {
	root := t.TempDir()
	m := testManifest(false)
	dir := filepath.Join(root, "toy")
	if err := Write(dir, m, testGraphs(m)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "energy.onnx")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		want      string
	}{
		{"missing folder", filepath.Join(root, "nope"), "bundle: read " + filepath.Join(root, "nope") + ": "},
		{"a file", filepath.Join(root, "file"), "not a folder"},
		{"folder without manifest", root, "bundle: " + filepath.Join(root, ManifestFile) + ": no such file"},
		{"graph missing", dir, "bundle: " + filepath.Join(dir, ManifestFile) + `: graphs.energy.file: "energy.onnx" is not in the bundle`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadDir(tc.dir)
			checkErr(t, err, tc.want)
		})
	}
	if _, err := Read(nil); err == nil {
		t.Error("Read(nil): got no error")
	}
}

// TestPathTraversal checks that graph file names cannot leave the bundle folder, even when the
// file they point at exists.
func TestPathTraversal(t *testing.T) {
	for _, name := range []string{
		"../energy.onnx", "sub/energy.onnx", "/etc/energy.onnx", `..\energy.onnx`, "..", ".",
		"C:/energy.onnx", "./energy.onnx",
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			m := testManifest(false)
			dir := filepath.Join(root, "b")
			if err := Write(dir, m, testGraphs(m)); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{filepath.Join(root, "energy.onnx"), filepath.Join(dir, "sub", "energy.onnx")} {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("outside"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m.Graphs.Energy.File = name
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = ReadDir(dir)
			checkErr(t, err, "graphs.energy.file: ", "is not a plain file name")
			checkErr(t, Write(filepath.Join(root, "w"), m, testGraphs(m)), "graphs.energy.file: ", "is not a plain file name")
			if _, err := os.Stat(filepath.Join(root, "w")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused Write left %s behind (stat: %v)", filepath.Join(root, "w"), err)
			}
		})
	}
}

func TestReadGraph(t *testing.T) {
	m := testManifest(true)
	fsys := testFS(t, m)
	b, err := Read(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, role string
		edit       func(fstest.MapFS)
		want       string
	}{
		{"unknown role", "score", nil, `bundle: read graph "score": not a graph role; want energy or initializer`},
		{"removed role", "langevin", nil, `bundle: read graph "langevin": not a graph role; want energy or initializer`},
		{"removed after Read", GraphEnergy, func(f fstest.MapFS) { delete(f, "energy.onnx") }, "bundle: energy.onnx: "},
		{"emptied after Read", GraphInitializer, func(f fstest.MapFS) { f["initializer.onnx"].Data = nil },
			"bundle: initializer.onnx: empty file; want the initializer graph in ONNX form"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.edit != nil {
				tc.edit(fsys)
			}
			data, err := b.ReadGraph(tc.role)
			checkErr(t, err, tc.want)
			if data != nil {
				t.Errorf("got data %q with the error", data)
			}
		})
	}
}

func TestClassID(t *testing.T) {
	cond := testManifest(true)
	uncond := testManifest(false)
	many := testManifest(false)
	for i := range 30 {
		many.Classes = append(many.Classes, "c"+strings.Repeat("x", i))
	}
	for _, tc := range []struct {
		name  string
		m     *Manifest
		label string
		id    int64
		want  string // error fragment; "" for success
	}{
		{"first", cond, "0", 1, ""},
		{"last", cond, "9", 10, ""},
		{"unknown", cond, "10", 0, `bundle: class "10" is not one of the model's classes: "0", "1", "2"`},
		{"case matters", cond, " 7", 0, `class " 7" is not one of`},
		{"unconditional", uncond, "7", 0, `bundle: class "7": the model is unconditional`},
		{"long list is cut", many, "nope", 0, `"cxxxxxxxxxxxxxxxxxxx", ... (30 in all)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := tc.m.ClassID(tc.label)
			if tc.want == "" {
				if err != nil || id != tc.id {
					t.Fatalf("ClassID(%q) = %d, %v; want %d, nil", tc.label, id, err, tc.id)
				}
				if got := tc.m.Label(id); got != tc.label {
					t.Errorf("Label(%d) = %q, want %q", id, got, tc.label)
				}
				return
			}
			checkErr(t, err, tc.want)
			if id != 0 {
				t.Errorf("got id %d with the error, want 0", id)
			}
		})
	}
	for _, id := range []int64{NullClass, -1, 11, 1 << 40} {
		if got := cond.Label(id); got != "" {
			t.Errorf("Label(%d) = %q, want \"\"", id, got)
		}
	}
}
