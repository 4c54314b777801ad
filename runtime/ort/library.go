package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LibraryVersion is the ONNX Runtime release that `make setup` installs and that
// onnxruntime_go's C API headers match.
const LibraryVersion = "1.24.3"

// Environment variables that name the ONNX Runtime shared library, in the order they are read.
const (
	EnvLibrary    = "CDRL_ORT_LIB"
	EnvLibraryAlt = "ONNXRUNTIME_LIB"
)

// ErrLibraryNotFound is returned (wrapped) when no ONNX Runtime shared library can be found.
var ErrLibraryNotFound = errors.New("ort: onnxruntime shared library not found")

// setupHint is what a user has to do when the library is missing.
const setupHint = "run `make setup` (or set CDRL_ORT_LIB=/path/to/libonnxruntime.so)"

// systemLibraryNames are the file names tried in the system library folders.
var systemLibraryNames = []string{"libonnxruntime.so.1", "libonnxruntime.so"}

// CacheLibraryPath returns where `make setup` puts the library:
// os.UserCacheDir()/cdrl-go/onnxruntime-<LibraryVersion>/libonnxruntime.so.1.
func CacheLibraryPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("ort: user cache folder: %w", err)
	}
	return filepath.Join(dir, "cdrl-go", "onnxruntime-"+LibraryVersion, "libonnxruntime.so.1"), nil
}

// FindLibrary returns the path of the ONNX Runtime shared library to load. It looks, in order,
// at explicit (when not empty), the environment variables CDRL_ORT_LIB and ONNXRUNTIME_LIB, the
// cache folder filled by `make setup` (see CacheLibraryPath), and the system library folders
// (LD_LIBRARY_PATH, the folders listed in /etc/ld.so.conf and the usual /usr/lib ones).
//
// A path given explicitly or through an environment variable must exist: FindLibrary does not
// fall back to the later places, so a typo is reported instead of silently loading another
// library. When nothing is found the error wraps ErrLibraryNotFound, says what to run and
// lists every place searched. FindLibrary only looks at the file system; it loads nothing.
func FindLibrary(explicit string) (string, error) {
	var searched []string
	if explicit != "" {
		if isFile(explicit) {
			return explicit, nil
		}
		return "", notFound([]string{"Options.Library=" + explicit + " (no such file)"})
	}
	searched = append(searched, "Options.Library (not set)")
	for _, name := range []string{EnvLibrary, EnvLibraryAlt} {
		p := os.Getenv(name)
		if p == "" {
			searched = append(searched, "$"+name+" (not set)")
			continue
		}
		if isFile(p) {
			return p, nil
		}
		return "", notFound(append(searched, "$"+name+"="+p+" (no such file)"))
	}
	if p, err := CacheLibraryPath(); err != nil {
		searched = append(searched, "cache folder ("+err.Error()+")")
	} else if isFile(p) {
		return p, nil
	} else {
		searched = append(searched, p)
	}
	dirs := systemLibraryDirs()
	for _, dir := range dirs {
		for _, name := range systemLibraryNames {
			p := filepath.Join(dir, name)
			if isFile(p) {
				return p, nil
			}
		}
	}
	searched = append(searched, fmt.Sprintf("%s in the system library folders %s",
		strings.Join(systemLibraryNames, " or "), strings.Join(dirs, ":")))
	return "", notFound(searched)
}

func notFound(searched []string) error {
	return fmt.Errorf("%w; %s; searched: %s", ErrLibraryNotFound, setupHint, strings.Join(searched, "; "))
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// systemLibraryDirs lists the folders the dynamic loader searches, as far as can be told
// without asking it: LD_LIBRARY_PATH, /etc/ld.so.conf (with its include lines) and the
// default folders. Duplicates are dropped, order is kept.
func systemLibraryDirs() []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(d string) {
		d = strings.TrimSpace(d)
		if d == "" || seen[d] || !filepath.IsAbs(d) {
			return
		}
		seen[d] = true
		dirs = append(dirs, d)
	}
	for _, d := range filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")) {
		add(d)
	}
	for _, d := range readLdSoConf("/etc/ld.so.conf", 0) {
		add(d)
	}
	for _, d := range []string{
		"/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
		"/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu",
		"/usr/lib64", "/lib64", "/usr/lib", "/lib",
	} {
		add(d)
	}
	return dirs
}

// readLdSoConf returns the folders named in an ld.so.conf-style file, following its
// "include GLOB" lines a few levels deep. Unreadable files count as empty.
func readLdSoConf(path string, depth int) []string {
	if depth > 4 {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var dirs []string
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "include"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			pattern := strings.TrimSpace(rest)
			if !filepath.IsAbs(pattern) {
				pattern = filepath.Join(filepath.Dir(path), pattern)
			}
			matches, _ := filepath.Glob(pattern)
			for _, m := range matches {
				dirs = append(dirs, readLdSoConf(m, depth+1)...)
			}
			continue
		}
		dirs = append(dirs, strings.Fields(line)...)
	}
	return dirs
}
