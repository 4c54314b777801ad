package train

import (
	"context"
	"fmt"
	"image"
	"math"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/infer/plot"
)

// densityGrid is the resolution of the 2-D density picture over the data box.
const densityGrid = 200

// picture renders samples: an image grid (one row per class for conditional models), or for
// 2-D points one panel per level (noise to data) and the level-0 density exp(f/s^2).
func (t *trainer) picture(ctx context.Context, s *infer.Sampler, xs []float32, levels [][]float32, n int) (image.Image, error) {
	if len(t.shape) == 3 {
		cols := 8
		if t.classes > 0 {
			cols = n / t.classes
		}
		return plot.ImageGrid(xs, n, t.shape[0], t.shape[1], t.shape[2], cols, 2)
	}
	const lo, hi = -8.5, 8.5
	var titles []string
	var panels []image.Image
	for k := len(levels) - 1; k >= 0; k-- {
		img, err := plot.Scatter([][]float32{levels[k]}, lo, hi, 240)
		if err != nil {
			return nil, err
		}
		titles = append(titles, fmt.Sprintf("level %d", k))
		panels = append(panels, img)
	}
	dens, err := t.density(ctx, s)
	if err != nil {
		return nil, err
	}
	titles = append(titles, "density level 0")
	panels = append(panels, dens)
	return plot.Panels(titles, panels, 4)
}

// density evaluates exp(f/s^2) of level 0 on a grid over [-8, 8]^2 (row 0 = top).
func (t *trainer) density(ctx context.Context, s *infer.Sampler) (image.Image, error) {
	g := densityGrid
	pts := make([]float32, 0, 2*g*g)
	for r := 0; r < g; r++ {
		y := 8 - 16*(float64(r)+0.5)/float64(g)
		for c := 0; c < g; c++ {
			pts = append(pts, float32(-8+16*(float64(c)+0.5)/float64(g)), float32(y))
		}
	}
	f, _, err := s.Energy(ctx, pts, g*g, 0, nil)
	if err != nil {
		return nil, err
	}
	scale, err := s.LogDensityScale(0)
	if err != nil {
		return nil, err
	}
	vals := make([]float64, len(f))
	maxv := math.Inf(-1)
	for i, v := range f {
		vals[i] = float64(v) * scale
		maxv = math.Max(maxv, vals[i])
	}
	for i := range vals {
		vals[i] = math.Exp(vals[i] - maxv)
	}
	return plot.Heatmap(vals, g, g)
}
