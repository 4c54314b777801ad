package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// writeFiles creates files (name -> content) in dir; a name ending in "/" makes a folder.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteNew(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "toy2d")
	m := testManifest(true)
	if err := Write(dir, m, testGraphs(m)); err != nil {
		t.Fatal(err)
	}
	if got, want := listDir(t, root), []string{"toy2d"}; !slices.Equal(got, want) {
		t.Errorf("parent folder holds %q, want %q", got, want)
	}
	want := []string{"energy.onnx", "initializer.onnx", "manifest.json"}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("bundle folder holds %q, want %q", got, want)
	}
	for name, mode := range map[string]fs.FileMode{".": fs.ModeDir | 0o755, "energy.onnx": 0o644, ManifestFile: 0o644} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode() &^ 0o022; got != mode&^0o022 {
			t.Errorf("%s has mode %v, want %v", name, info.Mode(), mode)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{fmt.Sprintf("{\n  \"format\": \"cdrl-bundle\",\n  \"version\": %d,", Version), "\"c_mode\": \"image\"", "}\n"} {
		if !strings.Contains(string(data), frag) {
			t.Errorf("manifest.json lacks %q:\n%s", frag, data)
		}
	}
}

func TestWriteReplaces(t *testing.T) {
	for _, tc := range []struct {
		name string
		old  map[string]string // nil: write an older bundle with another energy file name
	}{
		{"older bundle", nil},
		{"empty folder", map[string]string{}},
		{"bundle with a stray graph", map[string]string{ManifestFile: "{broken", "old.onnx": "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "mnist")
			if tc.old == nil {
				old := testManifest(false)
				old.Provenance.Iterations = 100
				old.Graphs.Energy.File = "energy-old.onnx"
				if err := Write(dir, old, testGraphs(old)); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFiles(t, dir, tc.old)
			}

			m := testManifest(true)
			if err := Write(dir, m, testGraphs(m)); err != nil {
				t.Fatal(err)
			}
			b, err := ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b.Manifest, *m) {
				t.Errorf("got manifest %+v, want the new one %+v", b.Manifest, *m)
			}
			if got, want := listDir(t, dir), []string{"energy.onnx", "initializer.onnx", "manifest.json"}; !slices.Equal(got, want) {
				t.Errorf("bundle folder holds %q, want only the new bundle's %q", got, want)
			}
			if got, want := listDir(t, root), []string{"mnist"}; !slices.Equal(got, want) {
				t.Errorf("parent folder holds %q, want %q (no temporary folders)", got, want)
			}
		})
	}
}

// TestWriteFailureKeepsOld checks that a Write that fails leaves the bundle already in its
// folder as it was and no temporary folders behind.
func TestWriteFailureKeepsOld(t *testing.T) {
	long := strings.Repeat("b", 250) // a valid name; ".NAME.tmp-" plus any random suffix exceeds 255 bytes
	for _, tc := range []struct {
		name   string
		base   string
		edit   func(m *Manifest, graphs map[string][]byte)
		want   string
		isPath bool // the error wraps an fs error
	}{
		{"invalid manifest", "b", func(m *Manifest, _ map[string][]byte) { m.Langevin.CMode = "foo" },
			`bundle: manifest.json: langevin.c_mode: "foo" is not one of image, toy`, false},
		{"graph missing", "b", func(_ *Manifest, g map[string][]byte) { delete(g, GraphInitializer) },
			"graphs: no content for the initializer graph (initializer.onnx)", false},
		{"graph empty", "b", func(_ *Manifest, g map[string][]byte) { g[GraphEnergy] = nil },
			"graphs: the energy graph (energy.onnx) is empty", false},
		{"graph not in manifest", "b", func(_ *Manifest, g map[string][]byte) { g["langevin"] = []byte("x") },
			`graphs: "langevin" is not a graph of the manifest; graphs has energy, initializer`, false},
		{"unknown role", "b", func(_ *Manifest, g map[string][]byte) { g["score"] = []byte("x") },
			`graphs: "score" is not a graph of the manifest`, false},
		{"temporary folder cannot be made", long, func(*Manifest, map[string][]byte) {},
			"file name too long", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, tc.base)
			old := testManifest(false)
			oldGraphs := testGraphs(old)
			short := filepath.Join(root, "short") // Write cannot make the long-named folder either
			if err := Write(short, old, oldGraphs); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(short, dir); err != nil {
				t.Fatal(err)
			}

			m := testManifest(true)
			graphs := testGraphs(m)
			tc.edit(m, graphs)
			err := Write(dir, m, graphs)
			checkErr(t, err, tc.want)
			var pe *fs.PathError
			if got := errors.As(err, &pe); got != tc.isPath {
				t.Errorf("errors.As(err, *fs.PathError) = %v, want %v", got, tc.isPath)
			}

			b, err := ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b.Manifest, *old) {
				t.Errorf("the old bundle changed: got %+v, want %+v", b.Manifest, *old)
			}
			if got, want := listDir(t, root), []string{tc.base}; !slices.Equal(got, want) {
				t.Errorf("parent folder holds %q, want %q", got, want)
			}
		})
	}
}

// TestWriteRefuses checks that Write never replaces a folder that holds other files.
func TestWriteRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"checkpoints beside a bundle", map[string]string{ManifestFile: "{}", "energy.onnx": "x", "ckpt.bin": "weights"},
			`the folder holds "ckpt.bin", which is not a bundle file (only manifest.json and *.onnx are); refusing to replace it`},
		{"subfolder", map[string]string{ManifestFile: "{}", "samples/": ""}, `the folder holds "samples", which is not a bundle file`},
		{"onnx files without manifest", map[string]string{"model.onnx": "x"},
			"the folder is not empty and holds no manifest.json, so it is not a bundle; refusing to replace it"},
		{"home-like folder", map[string]string{".bashrc": "x", "notes.txt": "y"}, `the folder holds ".bashrc"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "out")
			writeFiles(t, dir, tc.files)
			before := listDir(t, dir)
			m := testManifest(false)
			checkErr(t, Write(dir, m, testGraphs(m)), "bundle: write "+dir+": ", tc.want)
			if got := listDir(t, dir); !slices.Equal(got, before) {
				t.Errorf("folder holds %q after the refused Write, want %q", got, before)
			}
			if got, want := listDir(t, root), []string{"out"}; !slices.Equal(got, want) {
				t.Errorf("parent folder holds %q, want %q", got, want)
			}
		})
	}

	t.Run("a file", func(t *testing.T) {
		root := t.TempDir()
		p := filepath.Join(root, "model")
		writeFiles(t, root, map[string]string{"model": "not a folder"})
		m := testManifest(false)
		checkErr(t, Write(p, m, testGraphs(m)), "it exists and is not a folder")
		if data, err := os.ReadFile(p); err != nil || string(data) != "not a folder" {
			t.Errorf("the file changed: %q, %v", data, err)
		}
	})
	t.Run("a symbolic link", func(t *testing.T) {
		root := t.TempDir()
		m := testManifest(false)
		target := filepath.Join(root, "real")
		if err := Write(target, m, testGraphs(m)); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(root, "link")
		if err := os.Symlink(target, link); err != nil {
			t.Skip("no symbolic links here:", err)
		}
		checkErr(t, Write(link, m, testGraphs(m)), "it exists and is not a folder (L")
	})
	t.Run("no manifest", func(t *testing.T) {
		checkErr(t, Write(t.TempDir(), nil, nil), "no manifest given")
	})
	t.Run("root", func(t *testing.T) {
		m := testManifest(false)
		checkErr(t, Write("/", m, testGraphs(m)), "cannot replace a file system's root")
	})
}
