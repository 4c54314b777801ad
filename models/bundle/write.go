package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Write writes a bundle into the folder dir: the graph files (graphs maps each role of the
// manifest, GraphEnergy and GraphInitializer, to the file's content) and manifest.json. It
// validates m first.
//
// The bundle appears whole or not at all: Write builds it in a hidden folder beside dir
// (".DIR.tmp-*"), syncs every file, reads it back, and only then renames it to dir. An existing
// dir is replaced only if it is empty or holds a bundle (a manifest.json and nothing but
// regular files named manifest.json or *.onnx); any other folder is refused, so that Write never
// deletes files it did not write. Replacing renames the old folder away (into ".DIR.old-*"),
// renames the new one in, and then removes the old one; if the second rename fails, the old
// folder is put back. A crash between the two renames leaves the complete old bundle at
// ".DIR.old-*/DIR"; Recover cleans up after such a crash. Concurrent Writes to the same dir are
// not supported.
func Write(dir string, m *Manifest, graphs map[string][]byte) error {
	if m == nil {
		return fmt.Errorf("bundle: write %s: no manifest given", dir)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	files, err := graphFiles(m, graphs)
	if err != nil {
		return fmt.Errorf("bundle: write %s: %w", dir, err)
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("bundle: write %s: encode %s: %w", dir, ManifestFile, err)
	}
	files = append(files, namedData{ManifestFile, append(manifest, '\n')})
	if err := write(dir, files); err != nil {
		return fmt.Errorf("bundle: write %s: %w", dir, err)
	}
	return nil
}

// namedData is the content of one file of a bundle.
type namedData struct {
	name string
	data []byte
}

// graphFiles pairs the manifest's graph file names with their content from graphs, checking
// that graphs has exactly the manifest's roles and no empty content.
func graphFiles(m *Manifest, graphs map[string][]byte) ([]namedData, error) {
	var files []namedData
	for _, gr := range m.graphList() {
		data, ok := graphs[gr.role]
		switch {
		case !ok:
			return nil, fmt.Errorf("graphs: no content for the %s graph (%s)", gr.role, gr.g.File)
		case len(data) == 0:
			return nil, fmt.Errorf("graphs: the %s graph (%s) is empty", gr.role, gr.g.File)
		}
		files = append(files, namedData{gr.g.File, data})
	}
	for _, role := range slices.Sorted(maps.Keys(graphs)) {
		if m.graph(role) == nil {
			return nil, fmt.Errorf("graphs: %q is not a graph of the manifest; graphs has %s", role, strings.Join(roles(m), ", "))
		}
	}
	return files, nil
}

// roles lists the graph roles of a manifest.
func roles(m *Manifest) []string {
	var list []string
	for _, gr := range m.graphList() {
		list = append(list, gr.role)
	}
	return list
}

// write writes files into a fresh folder beside dir and moves it into place.
func write(dir string, files []namedData) (err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	if parent == abs {
		return errors.New("cannot replace a file system's root; name a folder inside it")
	}
	exists, err := replaceable(abs)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(tmp, f.name), f.data); err != nil {
			return err
		}
	}
	syncDir(tmp)
	if _, err := ReadDir(tmp); err != nil {
		return fmt.Errorf("the new bundle does not read back: %w", err)
	}
	if !exists {
		if err := os.Rename(tmp, abs); err != nil {
			return err
		}
		syncDir(parent)
		return nil
	}
	return swap(tmp, abs)
}

// replaceable reports whether dir exists, and fails if it exists but is not a folder that
// Write may replace: an empty one or one holding only a bundle's files.
func replaceable(dir string) (exists bool, err error) {
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !info.IsDir() {
		return true, fmt.Errorf("it exists and is not a folder (%v); refusing to replace it", info.Mode().Type())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return true, err
	}
	if len(entries) == 0 {
		return true, nil
	}
	hasManifest := false
	for _, e := range entries {
		name := e.Name()
		switch {
		case !e.Type().IsRegular() || name != ManifestFile && !strings.HasSuffix(name, ".onnx"):
			return true, fmt.Errorf("the folder holds %q, which is not a bundle file (only %s and *.onnx are); refusing to replace it", name, ManifestFile)
		case name == ManifestFile:
			hasManifest = true
		}
	}
	if !hasManifest {
		return true, fmt.Errorf("the folder is not empty and holds no %s, so it is not a bundle; refusing to replace it", ManifestFile)
	}
	return true, nil
}

// swap replaces the folder dir by the folder tmp in the same parent folder.
func swap(tmp, dir string) error {
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	hold, err := os.MkdirTemp(parent, "."+base+".old-*")
	if err != nil {
		return err
	}
	old := filepath.Join(hold, base)
	if err := os.Rename(dir, old); err != nil {
		os.Remove(hold)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w; putting the old bundle back failed too (%v): it is at %s", err, rerr, old)
		}
		os.Remove(hold)
		return err
	}
	syncDir(parent)
	// The new bundle is in place; an old copy that cannot be removed is left behind, hidden.
	os.RemoveAll(hold)
	return nil
}

// writeFile creates the file path with data and syncs it to disk.
func writeFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes the renames and creations in a folder durable, where the file system allows
// syncing a folder (not all do, so failures are ignored).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
