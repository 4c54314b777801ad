package plot

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestWritePNGRoundTrip(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	gray.Pix = []uint8{0, 1, 2, 253, 254, 255}
	rgba := newCanvas(4, 4, background)
	rgba.SetRGBA(1, 2, color.RGBA{10, 20, 30, 255})
	tests := []struct {
		name string
		path string // relative to a fresh temporary folder
		img  image.Image
	}{
		{"gray", "g.png", gray},
		{"rgba in new nested folders", filepath.Join("a", "b", "c.png"), rgba},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.path)
			if err := WritePNG(path, tc.img); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			b := tc.img.Bounds()
			if got.Bounds() != b {
				t.Fatalf("bounds %v, want %v", got.Bounds(), b)
			}
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if g, w := rgbaAt(got, x, y), rgbaAt(tc.img, x, y); g != w {
						t.Errorf("pixel (%d,%d) = %v, want %v", x, y, g, w)
					}
				}
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("stat %s: %v, mode %v, want 0644", path, err, fi.Mode().Perm())
			}
			assertOnly(t, filepath.Dir(path), filepath.Base(path))
		})
	}
}

func TestWritePNGAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keep.png")
	first := newCanvas(2, 2, ink)
	if err := WritePNG(path, first); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The encoder refuses an empty picture after the temporary file exists: the old file must
	// survive unchanged and no temporary file may be left.
	checkErr(t, WritePNG(path, image.NewRGBA(image.Rect(0, 0, 0, 0))), path, "invalid image size")
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a failed write changed the existing file")
	}
	assertOnly(t, dir, "keep.png")
	// Overwriting replaces the file as a whole.
	if err := WritePNG(path, newCanvas(5, 1, background)); err != nil {
		t.Fatal(err)
	}
	if got := decodeFile(t, path); got.Bounds() != image.Rect(0, 0, 5, 1) {
		t.Errorf("overwritten file has bounds %v, want 5x1", got.Bounds())
	}
	assertOnly(t, dir, "keep.png")
}

func TestWritePNGErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := newCanvas(1, 1, ink)
	tests := []struct {
		name string
		path string
		img  image.Image
		want string
	}{
		// A regular file where the folder should be: the folder cannot be created or written,
		// whatever the user's permissions.
		{"folder is a file", filepath.Join(file, "x.png"), img, filepath.Join(file, "x.png")},
		{"folder below a file", filepath.Join(file, "sub", "x.png"), img, "not a directory"},
		{"nil picture", filepath.Join(dir, "n.png"), nil, "nil picture"},
		{"path is a folder", dir + string(filepath.Separator), img, "names a folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, WritePNG(tc.path, tc.img), tc.want)
		})
	}
	assertOnly(t, dir, "plain")
}

// assertOnly fails unless dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %q, want only %q", dir, got, names)
	}
	for i := range names {
		if got[i] != names[i] {
			t.Fatalf("%s holds %q, want only %q", dir, got, names)
		}
	}
}
