package plot

import (
	"image"
	"image/color"
	"testing"
)

// solid returns a w x h picture of colour c whose bounds start at (ox, oy).
func solid(ox, oy, w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(ox, oy, ox+w, oy+h))
	fillRect(img, img.Rect, c)
	return img
}

func TestPanelsLayout(t *testing.T) {
	red, blue, green := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}, color.RGBA{0, 255, 0, 255}
	panels := []image.Image{solid(0, 0, 10, 10, red), solid(3, 4, 20, 6, blue), solid(0, 0, 4, 4, green)}
	titleH := glyphH + 2
	tests := []struct {
		name   string
		titles []string
		cols   int
		titleH int
		cols2  int // columns used
	}{
		{"titled two columns", []string{"A", "", "C"}, 2, titleH, 2},
		{"untitled one column", nil, 1, 0, 1},
		{"blank titles take no room", []string{"", "", ""}, 5, 0, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Panels(tc.titles, panels, tc.cols)
			if err != nil {
				t.Fatal(err)
			}
			// Cells are 20x10 (the largest width and height) plus the title band.
			stepX, stepY := 20+panelGap, tc.titleH+10+panelGap
			rows := (3 + tc.cols2 - 1) / tc.cols2
			want := image.Rect(0, 0, panelGap+tc.cols2*stepX, panelGap+rows*stepY)
			if img.Bounds() != want {
				t.Fatalf("bounds %v, want %v", img.Bounds(), want)
			}
			got := roundTrip(t, img)
			for i, p := range panels {
				x0, y0 := panelGap+(i%tc.cols2)*stepX, panelGap+(i/tc.cols2)*stepY
				b := p.Bounds()
				px := x0 + (20-b.Dx())/2
				py := y0 + tc.titleH
				wantC := p.At(b.Min.X, b.Min.Y)
				for _, q := range []image.Point{{px, py}, {px + b.Dx() - 1, py + b.Dy() - 1}} {
					if c := rgbaAt(got, q.X, q.Y); c != wantC {
						t.Errorf("panel %d corner %v = %v, want %v", i, q, c, wantC)
					}
				}
				if c := rgbaAt(got, px-1, py); px > x0 && c != background {
					t.Errorf("left of panel %d = %v, want background", i, c)
				}
				// A title, when given, leaves ink in its band; none otherwise.
				inked := false
				for y := y0; y < y0+tc.titleH; y++ {
					for x := x0; x < x0+20; x++ {
						inked = inked || rgbaAt(got, x, y) == ink
					}
				}
				if titled := tc.titles != nil && tc.titles[i] != ""; inked != titled {
					t.Errorf("panel %d: title ink %v, want %v", i, inked, titled)
				}
			}
			if c := rgbaAt(got, 0, 0); c != background {
				t.Errorf("corner = %v, want background", c)
			}
		})
	}
}

func TestPanelsTitleCentredAndCut(t *testing.T) {
	// A 200 pixel cell uses the double-size font: "I" is 10 pixels wide, centred at 95..104.
	img, err := Panels([]string{"I", "A VERY LONG TITLE THAT CANNOT FIT IN THE CELL"}, []image.Image{
		solid(0, 0, 200, 8, background), solid(0, 0, 200, 8, background),
	}, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := roundTrip(t, img)
	// The top bar of "I" (".###.") spans glyph columns 1..3 -> pixels 2..7 of the glyph.
	for x := range 200 {
		want := background
		if x >= 95+2 && x < 95+8 {
			want = ink
		}
		if c := rgbaAt(got, panelGap+x, panelGap); c != want {
			t.Errorf("title row pixel %d = %v, want %v", x, c, want)
		}
	}
	// The long title stays inside its own cell.
	x0 := panelGap + 200 + panelGap
	for y := range 2 * glyphH {
		for _, x := range []int{x0 - 1, x0 + 200} {
			if c := rgbaAt(got, x, panelGap+y); c != background {
				t.Errorf("pixel (%d,%d) outside the long title's cell = %v, want background", x, panelGap+y, c)
			}
		}
	}
}

// blank is a white picture of any size that allocates no pixels.
type blank struct{ r image.Rectangle }

func (b blank) ColorModel() color.Model { return color.RGBAModel }
func (b blank) Bounds() image.Rectangle { return b.r }
func (b blank) At(x, y int) color.Color { return background }

func TestPanelsErrors(t *testing.T) {
	one := []image.Image{solid(0, 0, 2, 2, background)}
	tests := []struct {
		name   string
		titles []string
		panels []image.Image
		cols   int
		want   []string
	}{
		{"no panels", nil, nil, 1, []string{"no panels"}},
		{"titles mismatch", []string{"a", "b"}, one, 1, []string{"2 titles for 1 panels"}},
		{"cols 0", nil, one, 0, []string{"cols 0"}},
		{"nil panel", nil, []image.Image{one[0], nil}, 2, []string{"panel 1 is nil"}},
		{"empty panel", nil, []image.Image{image.NewRGBA(image.Rect(0, 0, 3, 0))}, 1, []string{"panel 0 is empty (3x0)"}},
		{"too large", nil, []image.Image{blank{image.Rect(0, 0, 1<<13, 1<<12)}, one[0], one[0]}, 1, []string{"more than"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Panels(tc.titles, tc.panels, tc.cols)
			checkErr(t, err, tc.want...)
		})
	}
}
