package plot

import (
	"fmt"
	"image"
	"image/draw"
)

// panelGap is the white space in pixels around and between the cells of Panels.
const panelGap = 4

// largeTitleWidth is the cell width from which Panels draws its titles at twice the font size.
const largeTitleWidth = 160

// Panels places pictures in a grid of cols columns (fewer when there are fewer panels) on a
// white background, each centred in a cell as large as the largest panel, and writes titles[i]
// centred above panel i in the built-in font (upper case; a title too long for its cell is cut
// and ends in ".."). titles may be nil for no titles; otherwise it has one entry per panel, and
// empty entries leave their title blank.
func Panels(titles []string, panels []image.Image, cols int) (image.Image, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("plot: panels: no panels")
	}
	if titles != nil && len(titles) != len(panels) {
		return nil, fmt.Errorf("plot: panels: %d titles for %d panels", len(titles), len(panels))
	}
	if cols <= 0 {
		return nil, fmt.Errorf("plot: panels: cols %d must be positive", cols)
	}
	cellW, cellH := 0, 0
	for i, p := range panels {
		if p == nil {
			return nil, fmt.Errorf("plot: panels: panel %d is nil", i)
		}
		b := p.Bounds()
		if b.Empty() {
			return nil, fmt.Errorf("plot: panels: panel %d is empty (%dx%d)", i, b.Dx(), b.Dy())
		}
		if err := checkCanvas(fmt.Sprintf("panels: panel %d", i), b.Dx(), b.Dy()); err != nil {
			return nil, err
		}
		cellW, cellH = max(cellW, b.Dx()), max(cellH, b.Dy())
	}
	scale := 1
	if cellW >= largeTitleWidth {
		scale = 2
	}
	titleH := 0
	for _, t := range titles {
		if t != "" {
			titleH = (glyphH + 2) * scale
			break
		}
	}
	cols = min(cols, len(panels))
	rows := (len(panels) + cols - 1) / cols
	stepX, stepY := cellW+panelGap, titleH+cellH+panelGap
	if cols > MaxPixels/stepX || rows > MaxPixels/stepY {
		return nil, fmt.Errorf("plot: panels: %dx%d cells of %dx%d pixels exceed %d pixels", cols, rows, stepX, stepY, MaxPixels)
	}
	width, height := panelGap+cols*stepX, panelGap+rows*stepY
	if err := checkCanvas("panels", width, height); err != nil {
		return nil, err
	}
	img := newCanvas(width, height, background)
	for i, p := range panels {
		x0, y0 := panelGap+(i%cols)*stepX, panelGap+(i/cols)*stepY
		if titles != nil && titles[i] != "" {
			t := fitText(titles[i], cellW, scale)
			drawText(img, x0+(cellW-textWidth(t, scale))/2, y0, t, ink, scale)
		}
		b := p.Bounds()
		at := image.Pt(x0+(cellW-b.Dx())/2, y0+titleH)
		draw.Draw(img, image.Rectangle{Min: at, Max: at.Add(b.Size())}, p, b.Min, draw.Over)
	}
	return img, nil
}
