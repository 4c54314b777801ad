package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writePNG encodes img as a PNG file at path.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

// greyImage returns a w x h grey image whose pixel (x, y) is seed + 10x + 50y.
func greyImage(w, h, seed int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: uint8(seed + 10*x + 50*y)})
		}
	}
	return img
}

// solidImage returns a w x h image of one opaque colour.
func solidImage(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// batchAll draws a batch of n samples with a fixed seed.
func batchAll(t *testing.T, d Dataset, n int) ([]float32, []int64) {
	t.Helper()
	size := 1
	for _, s := range d.Shape() {
		size *= s
	}
	x, labels := make([]float32, n*size), make([]int64, n)
	if err := d.Batch(x, labels, rand.New(rand.NewPCG(4, 4))); err != nil {
		t.Fatal(err)
	}
	return x, labels
}

func TestImagesUnlabelledGrey(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), greyImage(4, 3, 0))
	writePNG(t, filepath.Join(dir, "b.PNG"), greyImage(4, 3, 1))
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("not an image"))
	writeFile(t, filepath.Join(dir, ".hidden.png"), []byte("skipped"))

	d, err := Open("images:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != "images:"+dir+"@4x3" || d.Len() != 2 || !slices.Equal(d.Shape(), []int{1, 3, 4}) || d.Classes() != nil {
		t.Fatalf("Name, Len, Shape, Classes = %q, %d, %v, %v, want %q, 2, [1 3 4], nil", d.Name(), d.Len(), d.Shape(), d.Classes(), "images:"+dir+"@4x3")
	}
	x, labels := batchAll(t, d, 2)
	for i := range 2 {
		seed := int(math.Round(float64(x[i*12]+1) * 127.5)) // pixel (0, 0) is the seed
		for y := range 3 {
			for xx := range 4 {
				if got, want := x[i*12+y*4+xx], pixelLUT[uint8(seed+10*xx+50*y)]; got != want {
					t.Fatalf("sample %d (seed %d) pixel (%d, %d) = %v, want %v", i, seed, xx, y, got, want)
				}
			}
		}
		if labels[i] != 0 {
			t.Errorf("label %d = %d, want 0 (unlabelled)", i, labels[i])
		}
	}
	if x[0] == x[12] {
		t.Error("both samples are the same image, want the two distinct images")
	}
}

func TestImagesClassesAndChannels(t *testing.T) {
	dir := t.TempDir()
	red := color.NRGBA{R: 200, G: 10, B: 30, A: 255}
	writePNG(t, filepath.Join(dir, "cats", "a.png"), solidImage(8, 6, red))
	writePNG(t, filepath.Join(dir, "dogs", "deep", "b.png"), greyImage(8, 6, 5))
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, solidImage(8, 6, color.NRGBA{R: 40, G: 120, B: 220, A: 255}), &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "dogs", "c.jpg"), jb.Bytes())
	writePNG(t, filepath.Join(dir, "dogs", ".cache", "skipped.png"), greyImage(3, 3, 0))
	writePNG(t, filepath.Join(dir, ".git", "skipped.png"), greyImage(3, 3, 0))

	d, err := Open("images:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || !slices.Equal(d.Shape(), []int{3, 6, 8}) || !slices.Equal(d.Classes(), []string{"cats", "dogs"}) {
		t.Fatalf("Len, Shape, Classes = %d, %v, %v, want 3, [3 6 8], [cats dogs]", d.Len(), d.Shape(), d.Classes())
	}
	x, labels := batchAll(t, d, 3)
	const plane = 48
	var found int
	for i := range 3 {
		s := x[i*3*plane : (i+1)*3*plane]
		r, g, b := s[0], s[plane], s[2*plane]
		switch {
		case r == pixelLUT[200] && g == pixelLUT[10] && b == pixelLUT[30]: // cats/a.png, exact
			found |= 1
			if labels[i] != 1 {
				t.Errorf("cats image label = %d, want 1", labels[i])
			}
		case r == g && g == b: // dogs/deep/b.png: grey stored as three equal planes
			found |= 2
			last := pixelLUT[(5+10*7+50*5)%256] // pixel (7, 5) of greyImage(8, 6, 5)
			if r != pixelLUT[5] || s[plane-1] != last || labels[i] != 2 {
				t.Errorf("grey dog image: first, last pixel, label = %v, %v, %d, want %v, %v, 2", r, s[plane-1], labels[i], pixelLUT[5], last)
			}
		default: // dogs/c.jpg, lossy
			found |= 4
			want := [3]float64{40, 120, 220}
			for c, v := range []float32{r, g, b} {
				if got := (float64(v) + 1) * 127.5; math.Abs(got-want[c]) > 4 {
					t.Errorf("jpeg image channel %d = %.1f, want %v +- 4", c, got, want[c])
				}
			}
			if labels[i] != 2 {
				t.Errorf("jpeg image label = %d, want 2", labels[i])
			}
		}
	}
	if found != 7 {
		t.Errorf("found images mask %03b, want all three images", found)
	}
}

func TestImagesResizeAndOptions(t *testing.T) {
	dir := t.TempDir()
	blue := color.NRGBA{R: 0, G: 0, B: 255, A: 255}
	writePNG(t, filepath.Join(dir, "1.png"), solidImage(10, 10, blue))
	writePNG(t, filepath.Join(dir, "2.png"), solidImage(30, 17, blue))
	// Half-transparent: composited onto black. Same R, G and B, so this image alone is grey.
	writePNG(t, filepath.Join(dir, "3.png"), solidImage(5, 9, color.NRGBA{R: 200, G: 200, B: 200, A: 128}))

	tests := []struct {
		spec  string
		name  string
		shape []int
		flip  bool
	}{
		{"images:" + dir, "images:" + dir + "@10x10", []int{3, 10, 10}, false},
		{"images:" + dir + "@6x4", "images:" + dir + "@6x4", []int{3, 4, 6}, false},
		{"images:" + dir + "@flip,3x5", "images:" + dir + "@3x5,flip", []int{3, 5, 3}, true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			d, err := Open(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if d.Name() != tt.name || !slices.Equal(d.Shape(), tt.shape) || d.(*pixelSet).flip != tt.flip {
				t.Fatalf("Name, Shape, flip = %q, %v, %v, want %q, %v, %v", d.Name(), d.Shape(), d.(*pixelSet).flip, tt.name, tt.shape, tt.flip)
			}
			again, err := Open(d.Name())
			if err != nil || !slices.Equal(again.(*pixelSet).pix, d.(*pixelSet).pix) {
				t.Errorf("reopening %q: err %v or different pixels, want the same data", d.Name(), err)
			}
			// A solid image stays solid through Lanczos resizing, up to rounding.
			s := d.(*pixelSet)
			size := s.sampleSize()
			plane := size / 3
			for i := range s.Len() {
				img := s.pix[i*size : (i+1)*size]
				want := [3]int{0, 0, 255}
				if img[0] == img[2*plane] { // the grey one: 200 * 128/255
					want = [3]int{100, 100, 100}
				}
				for k, v := range img {
					if d := int(v) - want[k/plane]; d < -1 || d > 1 {
						t.Fatalf("image %d value %d = %d, want %d +- 1", i, k, v, want[k/plane])
					}
				}
			}
		})
	}
}

func TestImagesGreyContentInRGBFiles(t *testing.T) {
	dir := t.TempDir()
	for i, v := range []uint8{0, 128, 255} {
		writePNG(t, filepath.Join(dir, string(rune('a'+i))+".png"), solidImage(3, 2, color.NRGBA{R: v, G: v, B: v, A: 255}))
	}
	d, err := Open("images:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Shape(), []int{1, 2, 3}) {
		t.Fatalf("Shape() = %v, want [1 2 3]: RGB files of grey content make a 1-channel set", d.Shape())
	}
	if want := []uint8{0, 0, 0, 0, 0, 0, 128, 128, 128, 128, 128, 128, 255, 255, 255, 255, 255, 255}; !slices.Equal(d.(*pixelSet).pix, want) {
		t.Errorf("pixels = %v, want %v", d.(*pixelSet).pix, want)
	}
}

func TestImagesFlip(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "ramp.png"), greyImage(4, 1, 0)) // 0 10 20 30
	d, err := Open("images:" + dir + "@flip")
	if err != nil {
		t.Fatal(err)
	}
	x, _ := batchAll(t, d, 200)
	forward, backward := pixelLUT[0], pixelLUT[30]
	var flips int
	for i := range 200 {
		switch x[4*i] {
		case forward:
		case backward:
			flips++
			if x[4*i+3] != forward {
				t.Fatalf("mirrored sample %d = %v, want the reversed ramp", i, x[4*i:4*i+4])
			}
		default:
			t.Fatalf("sample %d = %v, want the ramp or its mirror", i, x[4*i:4*i+4])
		}
	}
	if flips < 65 || flips > 135 { // about 5 standard deviations around 100
		t.Errorf("%d of 200 samples mirrored, want about half", flips)
	}
}

func TestImagesDirWithAt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "v@2")
	writePNG(t, filepath.Join(dir, "a.png"), greyImage(2, 2, 0))
	d, err := Open("images:" + dir)
	if err != nil {
		t.Fatalf("a folder whose name holds '@': %v", err)
	}
	if !slices.Equal(d.Shape(), []int{1, 2, 2}) {
		t.Errorf("Shape() = %v, want [1 2 2]", d.Shape())
	}
}

func TestImagesErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path the error must name
		want  string
	}{
		{"mixed", func(t *testing.T, dir string) string {
			writePNG(t, filepath.Join(dir, "top.png"), greyImage(2, 2, 0))
			writePNG(t, filepath.Join(dir, "cls", "a.png"), greyImage(2, 2, 0))
			return dir
		}, "holds both images (unlabelled) and class subfolders"},
		{"empty class", func(t *testing.T, dir string) string {
			writePNG(t, filepath.Join(dir, "a", "x.png"), greyImage(2, 2, 0))
			writeFile(t, filepath.Join(dir, "b", "readme.txt"), []byte("no images"))
			return filepath.Join(dir, "b")
		}, "has no PNG or JPEG files"},
		{"corrupt png", func(t *testing.T, dir string) string {
			writePNG(t, filepath.Join(dir, "a.png"), greyImage(2, 2, 0))
			writeFile(t, filepath.Join(dir, "b.png"), []byte("\x89PNG\r\n\x1a\nbroken"))
			return filepath.Join(dir, "b.png")
		}, "decode"},
		{"corrupt first jpeg", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "a.jpg"), []byte("\xff\xd8 not really"))
			return filepath.Join(dir, "a.jpg")
		}, "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			_, err := Open("images:" + dir)
			if err == nil || !strings.HasPrefix(err.Error(), "data: images: ") || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %v, want a \"data: images: \" error naming %s and holding %q", err, path, tt.want)
			}
		})
	}
}
