package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

func TestImageGridGeometry(t *testing.T) {
	tests := []struct {
		name                   string
		n, c, h, w, nrow, scl  int
		wantW, wantH, wantCols int
	}{
		{"one", 1, 1, 4, 3, 8, 1, 2 + 1*(3+2), 2 + 1*(4+2), 1},
		{"full rows", 6, 1, 4, 3, 3, 1, 2 + 3*(3+2), 2 + 2*(4+2), 3},
		{"partial last row", 7, 3, 4, 3, 3, 1, 2 + 3*(3+2), 2 + 3*(4+2), 3},
		{"fewer than nrow", 2, 1, 5, 5, 8, 1, 2 + 2*(5+2), 2 + 1*(5+2), 2},
		{"scaled", 4, 3, 2, 3, 2, 4, 2 + 2*(3*4+2), 2 + 2*(2*4+2), 2},
		{"mnist", 64, 1, 28, 28, 8, 1, 2 + 8*30, 2 + 8*30, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := make([]float32, tc.n*tc.c*tc.h*tc.w)
			img, err := ImageGrid(data, tc.n, tc.c, tc.h, tc.w, tc.nrow, tc.scl)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := img.Bounds(), image.Rect(0, 0, tc.wantW, tc.wantH); got != want {
				t.Fatalf("bounds %v, want %v", got, want)
			}
			if w, h, err := ImageGridSize(tc.n, tc.h, tc.w, tc.nrow, tc.scl); err != nil || w != tc.wantW || h != tc.wantH {
				t.Errorf("ImageGridSize = %dx%d, %v; want %dx%d", w, h, err, tc.wantW, tc.wantH)
			}
			switch img.(type) {
			case *image.Gray:
				if tc.c != 1 {
					t.Errorf("C=%d gave %T, want *image.RGBA", tc.c, img)
				}
			case *image.RGBA:
				if tc.c != 3 {
					t.Errorf("C=%d gave %T, want *image.Gray", tc.c, img)
				}
			default:
				t.Errorf("got %T", img)
			}
			got := roundTrip(t, img)
			// Corners and the gap after the first tile are border; the first tile pixel is 0 -> 128.
			tileW := tc.w * tc.scl
			for _, p := range []image.Point{{0, 0}, {1, 1}, {tc.wantW - 1, tc.wantH - 1}, {2 + tileW, 2}} {
				if c := rgbaAt(got, p.X, p.Y); c != grey(gridBorderGrey) {
					t.Errorf("border pixel %v = %v, want %v", p, c, grey(gridBorderGrey))
				}
			}
			if c := rgbaAt(got, 2, 2); c != grey(128) {
				t.Errorf("first tile pixel = %v, want %v", c, grey(128))
			}
		})
	}
}

func TestImageGridPixels(t *testing.T) {
	const n, h, w = 3, 2, 2
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	// Image k, channel-1 pixel values; chosen to cover the ends, the middle, clamping and NaN.
	gray := []float32{
		-1, 1, 0, 0.5, // image 0
		-3, 7, nan, inf, // image 1: clamped below and above, NaN, +Inf
		-0.5, 0.999, 1.0001, -1.0001, // image 2
	}
	wantGray := [n][h][w]uint8{
		{{0, 255}, {128, 191}},
		{{0, 255}, {0, 255}},
		{{64, 255}, {255, 0}},
	}
	img, err := ImageGrid(gray, n, 1, h, w, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	got := roundTrip(t, img)
	for k := range n {
		for y := range h {
			for x := range w {
				// Every pixel of the 3x3 block must carry the value.
				for d := range 9 {
					px := GridBorder + (k%2)*(w*3+GridBorder) + x*3 + d%3
					py := GridBorder + (k/2)*(h*3+GridBorder) + y*3 + d/3
					if c, want := rgbaAt(got, px, py), grey(wantGray[k][y][x]); c != want {
						t.Errorf("image %d pixel (%d,%d) at (%d,%d) = %v, want %v", k, x, y, px, py, c, want)
					}
				}
			}
		}
	}

	// C=3: one 1x3 image whose pixels are red, green and blue (channel planes R, G, B).
	rgb := []float32{
		1, -1, -1, // R plane
		-1, 1, -1, // G plane
		-1, -1, 1, // B plane
	}
	img, err = ImageGrid(rgb, 1, 3, 1, 3, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	got = roundTrip(t, img)
	want := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}}
	for x, wc := range want {
		if c := rgbaAt(got, GridBorder+x, GridBorder); c != wc {
			t.Errorf("RGB pixel %d = %v, want %v", x, c, wc)
		}
	}
}

func TestImageGridErrors(t *testing.T) {
	tests := []struct {
		name                  string
		len                   int
		n, c, h, w, nrow, scl int
		want                  []string
	}{
		{"length", 100, 2, 1, 4, 4, 2, 1, []string{"100 values", "2*1*4*4"}},
		{"channels 2", 32, 2, 2, 4, 2, 2, 1, []string{"channels 2"}},
		{"channels 0", 0, 2, 0, 4, 2, 2, 1, []string{"channels 0"}},
		{"nrow 0", 32, 2, 1, 4, 4, 0, 1, []string{"nrow 0"}},
		{"n 0", 0, 0, 1, 4, 4, 1, 1, []string{"n 0"}},
		{"negative height", 8, 2, 1, -4, 4, 1, 1, []string{"height -4"}},
		{"width 0", 8, 2, 1, 4, 0, 1, 1, []string{"width 0"}},
		{"scale 0", 32, 2, 1, 4, 4, 1, 0, []string{"scale 0"}},
		{"overflowing shape", 16, math.MaxInt / 2, 3, 1 << 20, 1 << 20, 1, 1, []string{"16 values"}},
		{"too large", 4, 1, 1, 2, 2, 1, 1 << 20, []string{"2097156x2097156", "more than 67108864 pixels"}},
		{"too many tiles", 1 << 20, 1 << 20, 1, 1, 1, 1 << 20, 30, []string{"33554434x34", "more than"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := ImageGrid(make([]float32, tc.len), tc.n, tc.c, tc.h, tc.w, tc.nrow, tc.scl)
			if img != nil {
				t.Errorf("got a %v picture with the error", img.Bounds())
			}
			checkErr(t, err, tc.want...)
		})
	}
	// ImageGridSize refuses what ImageGrid would, before any image exists: 100,000 MNIST digits.
	if w, h, err := ImageGridSize(100000, 28, 28, 317, 2); err == nil {
		t.Errorf("ImageGridSize of 100000 28x28 images = %dx%d, want an error", w, h)
	} else {
		checkErr(t, err, "18388x18330", "more than")
	}
	_, _, err := ImageGridSize(1, 0, 4, 1, 1)
	checkErr(t, err, "height 0")
}

func TestEnlarge(t *testing.T) {
	src := image.NewRGBA(image.Rect(5, 7, 7, 8)) // 2x1, bounds not at the origin
	src.Set(5, 7, color.RGBA{255, 0, 0, 255})
	src.Set(6, 7, color.RGBA{0, 0, 255, 255})
	tests := []struct {
		k    int
		want image.Rectangle
	}{{1, image.Rect(0, 0, 2, 1)}, {3, image.Rect(0, 0, 6, 3)}}
	for _, tc := range tests {
		img, err := Enlarge(src, tc.k)
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds() != tc.want {
			t.Fatalf("k=%d: bounds %v, want %v", tc.k, img.Bounds(), tc.want)
		}
		got := roundTrip(t, img)
		for y := range tc.want.Dy() {
			for x := range tc.want.Dx() {
				want := src.RGBAAt(5+x/tc.k, 7)
				if c := rgbaAt(got, x, y); c != want {
					t.Errorf("k=%d: pixel (%d,%d) = %v, want %v", tc.k, x, y, c, want)
				}
			}
		}
	}
	for _, tc := range []struct {
		name string
		img  image.Image
		k    int
		want string
	}{
		{"nil", nil, 2, "nil picture"},
		{"factor 0", src, 0, "factor 0"},
		{"empty", image.NewRGBA(image.Rect(0, 0, 0, 3)), 2, "0x6"},
		{"too large", src, 1 << 24, "more than"},
	} {
		_, err := Enlarge(tc.img, tc.k)
		checkErr(t, err, tc.want)
	}
}

// BenchmarkImageGrid tiles a batch of 64 MNIST-sized images, as the trainer does for its sample
// grids, at scales 1 and 2.
func BenchmarkImageGrid(b *testing.B) {
	const n, h, w = 64, 28, 28
	seed := uint64(1)
	b.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	data := make([]float32, n*h*w)
	for i := range data {
		data[i] = rng.Float32()*2 - 1
	}
	for _, scale := range []int{1, 2} {
		b.Run(fmt.Sprintf("scale%d", scale), func(b *testing.B) {
			b.SetBytes(int64(len(data) * 4))
			for b.Loop() {
				if _, err := ImageGrid(data, n, 1, h, w, 8, scale); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
