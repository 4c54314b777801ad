package bundle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Bundle is a validated manifest and the file system holding its graphs.
type Bundle struct {
	// Manifest is the bundle's validated manifest.
	Manifest
	// FS holds the bundle's files: manifest.json and the graph files at its root.
	FS fs.FS

	// dir is the folder the bundle was read from, "" for a file system given to Read; it
	// prefixes the file names in errors.
	dir string
}

// Read reads the bundle at the root of fsys: it parses and validates manifest.json and checks
// that every graph file it names is a non-empty regular file. The graphs' content is not read;
// see ReadGraph. Errors name the file and, for manifest problems, the field.
func Read(fsys fs.FS) (*Bundle, error) {
	if fsys == nil {
		return nil, errors.New("bundle: read: no file system given")
	}
	return read(fsys, "")
}

// ReadDir reads the bundle in the folder dir; see Read. Errors name the files by their path.
func ReadDir(dir string) (*Bundle, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle: read %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("bundle: read %s: not a folder; a bundle is a folder holding %s and its graphs", dir, ManifestFile)
	}
	return read(os.DirFS(dir), dir)
}

// read reads the bundle in fsys; dir, when not "", is its folder, for error messages.
func read(fsys fs.FS, dir string) (*Bundle, error) {
	b := &Bundle{FS: fsys, dir: dir}
	file := b.path(ManifestFile)
	data, err := readManifest(fsys)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{File: file, Err: err, Problem: "no such file; a bundle folder holds a manifest.json and its graphs"}
	}
	if err != nil {
		return nil, &Error{File: file, Err: err, Problem: err.Error()}
	}
	m, err := decodeManifest(data, file)
	if err != nil {
		return nil, err
	}
	b.Manifest = *m
	p := &problems{file: file}
	for _, gr := range m.graphList() {
		b.checkFile(p, "graphs."+gr.role+".file", gr.g.File)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return b, nil
}

// checkFile checks that the graph file name, named by the manifest's field, is a non-empty
// regular file of the bundle.
func (b *Bundle) checkFile(p *problems, field, name string) {
	info, err := fs.Stat(b.FS, name)
	var problem string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		problem = fmt.Sprintf("%q is not in the bundle", name)
	case err != nil:
		problem = fmt.Sprintf("%q: %v", name, err)
	case !info.Mode().IsRegular():
		problem = fmt.Sprintf("%q is not a regular file (%v)", name, info.Mode().Type())
	case info.Size() == 0:
		problem = fmt.Sprintf("%q is empty", name)
	default:
		return
	}
	p.errs = append(p.errs, &Error{File: p.file, Field: field, Problem: problem, Err: err})
}

// ReadGraph returns the content of the graph file of a role: GraphEnergy or GraphInitializer.
func (b *Bundle) ReadGraph(role string) ([]byte, error) {
	g := b.graph(role)
	if g == nil {
		return nil, fmt.Errorf("bundle: read graph %q: not a graph role; want %s or %s", role, GraphEnergy, GraphInitializer)
	}
	data, err := fs.ReadFile(b.FS, g.File)
	if err != nil {
		return nil, &Error{File: b.path(g.File), Err: err, Problem: err.Error()}
	}
	if len(data) == 0 {
		return nil, &Error{File: b.path(g.File), Problem: "empty file; want the " + role + " graph in ONNX form"}
	}
	return data, nil
}

// path returns a file's name as errors show it: inside the bundle folder when there is one.
func (b *Bundle) path(name string) string {
	if b.dir == "" {
		return name
	}
	return filepath.Join(b.dir, name)
}

// readManifest reads manifest.json from fsys, failing when it is larger than maxManifestSize.
func readManifest(fsys fs.FS) ([]byte, error) {
	f, err := fsys.Open(ManifestFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("larger than the %d bytes a manifest may have", maxManifestSize)
	}
	return data, nil
}
