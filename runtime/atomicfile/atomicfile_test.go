package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWrite checks a new file, a replaced one, and that a failing writer and a missing folder
// leave the old file and no temporary file.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := WriteBytes(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("second")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Write(path, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing writer: %v, want its error", err)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "second" {
		t.Errorf("after a failed write the file holds %q (%v), want the previous content", data, err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm()&^0o022 != 0o644&^0o022 {
		t.Errorf("mode %v (%v), want 0644", info.Mode(), err)
	}
	if err := WriteBytes(filepath.Join(dir, "none", "x"), nil); err == nil {
		t.Error("a write into a missing folder succeeded")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "out.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the folder holds %q, want only out.txt", names)
	}
}
