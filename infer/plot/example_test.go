package plot_test

import (
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/cdrl-go/cdrl/infer/plot"
)

// A sample grid of 10 RGB images of 4x4 pixels, 4 per row, enlarged twice and written to a file.
func ExampleImageGrid() {
	const n, c, h, w = 10, 3, 4, 4
	images := make([]float32, n*c*h*w) // all 0: mid grey
	img, err := plot.ImageGrid(images, n, c, h, w, 4, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds().Dx(), "x", img.Bounds().Dy()) // 2 + 4*(8+2) by 2 + 3*(8+2)

	dir, err := os.MkdirTemp("", "plot-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if err := plot.WritePNG(filepath.Join(dir, "samples", "step-000100.png"), img); err != nil {
		fmt.Println(err)
		return
	}
	_, err = os.Stat(filepath.Join(dir, "samples", "step-000100.png"))
	fmt.Println("written:", err == nil)

	_, err = plot.ImageGrid(images, n, 2, h, w, 4, 2)
	fmt.Println(err)
	// Output:
	// 42 x 32
	// written: true
	// plot: image grid: channels 2 must be 1 or 3
}

// Samples of a 2-D model at two noise levels, a heatmap of its energy on a coarse grid, and
// both side by side.
func ExamplePanels() {
	levels := [][]float32{
		{0, 0, 1, 1, -1, 0.5}, // clean samples: x, y pairs
		{2.5, -3, -2, 2, 0, 3.5},
	}
	points, err := plot.Scatter(levels, -4, 4, 128)
	if err != nil {
		fmt.Println(err)
		return
	}
	energy := make([]float64, 16*16)
	for i := range energy {
		x, y := float64(i%16)-7.5, float64(i/16)-7.5
		energy[i] = -(x*x + y*y)
	}
	heat, err := plot.Heatmap(energy, 16, 16)
	if err != nil {
		fmt.Println(err)
		return
	}
	heat, err = plot.Enlarge(heat, 8)
	if err != nil {
		fmt.Println(err)
		return
	}
	both, err := plot.Panels([]string{"samples", "energy"}, []image.Image{points, heat}, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(both.Bounds())
	// Output:
	// (0,0)-(268,145)
}
