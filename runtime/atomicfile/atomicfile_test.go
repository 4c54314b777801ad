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

// TestRemoveStale checks that the temporary files of killed writes go and everything else,
// folders with such names included, stays.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".a.ckpt.tmp-123", "b.txt", ".hidden"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".model.tmp-9"), 0o755); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveStale(dir)
	if err != nil || len(removed) != 1 || filepath.Base(removed[0]) != ".a.ckpt.tmp-123" {
		t.Fatalf("removed %q, %v; want the one temporary file", removed, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d entries left, want 3", len(entries))
	}
	if removed, err := RemoveStale(filepath.Join(dir, "none")); err != nil || removed != nil {
		t.Errorf("missing folder: %q, %v", removed, err)
	}
}
