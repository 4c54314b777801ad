package main

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/cdrl-go/cdrl/infer/metrics"
	"github.com/cdrl-go/cdrl/infer/plot"
	"github.com/cdrl-go/cdrl/train/data"
)

// The density picture of a points model: the level-0 density on a densityGrid x densityGrid
// grid over [-densityBox, densityBox]^2 (cdrl-method.md 10.1), evaluated densityChunk points
// per network call and enlarged densityScale times, beside a scatterSize scatter of the
// samples over the same box.
const (
	densityGrid  = 200
	densityBox   = 8.0
	densityChunk = 4096
	densityScale = 2
	scatterSize  = densityGrid * densityScale
)

// Targets of the shipped points model (the project's evaluation targets).
const (
	targetInside   = 0.95  // fraction of samples inside the squares (uniform on the box: 0.5)
	targetShareDev = 0.025 // max |share of all samples - 1/8| over the squares
)

// Stream ids of the run's random draws, mixed with --seed so that stages draw independently.
const (
	streamTrue = iota + 1
	streamFloor
	streamDigits
	streamMasks
	streamOOD
	streamInpaint
	streamLevels
	streamOODLevel
	streamInpaintWeight
)

// rngFor returns the random stream id of the run seeded by seed.
func rngFor(seed uint64, id uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x63646c2d6576616c^id)) // "cdl-eval"
}

// evalPoints evaluates a points model against the 8-squares set.
func (e *evaluator) evalPoints(ctx context.Context, m *model) (*section, error) {
	if len(m.b.Shape) != 1 || m.b.Shape[0] != 2 {
		return nil, fmt.Errorf("--models %s: points of shape %v; the evaluation compares 2-D points with the 8-squares set", m.spec, m.b.Shape)
	}
	if len(m.b.Classes) > 0 {
		return nil, fmt.Errorf("--models %s: a conditional points model (%d classes); the evaluation compares unconditional samples with the 8-squares set", m.spec, len(m.b.Classes))
	}
	n := e.o.pointsN()
	steps := e.o.Steps
	if steps == 0 {
		steps = m.b.Langevin.Steps
	}
	sec := &section{title: m.title()}
	sec.notes = append(sec.notes, fmt.Sprintf("N = %d samples (seed %d, %d Langevin steps per level, %d levels), compared with N fresh samples of the 8-squares set (data.SampleSquares). %s",
		n, e.o.Seed, steps, m.b.Schedule.Levels, provenance(m)))

	st := e.stage(m.name+": sample", n, "samples")
	so := e.o.sampleOptions(m)
	so.Progress = st.onProgress(m.b.Schedule.Levels)
	x, err := m.s.Sample(ctx, n, so)
	if err != nil {
		return nil, fmt.Errorf("%s: sample: %w", m.spec, err)
	}
	rate := float64(n) / st.finish().Seconds()

	sq, err := metrics.ToySquares(x, data.NumSquares, data.InSquares)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.spec, err)
	}
	sec.add("fraction inside the 8 squares", fmt.Sprintf("%.4f", sq.Inside), fmt.Sprintf(">= %.2f (uniform on the box: 0.5)", targetInside))
	// Shares of all samples, as the targets are stated (a sample outside every square counts
	// against every square).
	shares := make([]string, len(sq.Counts))
	maxDev := 0.0
	for i, c := range sq.Counts {
		v := float64(c) / float64(sq.Points)
		shares[i] = fmt.Sprintf("%.3f", v)
		maxDev = math.Max(maxDev, math.Abs(v-1.0/data.NumSquares))
	}
	sec.add("share of all samples in each square (squares 1-8)", strings.Join(shares, " "), fmt.Sprintf("%.3f each", 1.0/data.NumSquares))
	sec.add("max |share - 1/8|", fmt.Sprintf("%.4f", maxDev), fmt.Sprintf("<= %.3f", targetShareDev))
	if sq.NonFinite > 0 {
		sec.add("non-finite samples", fmt.Sprintf("%d", sq.NonFinite), "0")
	}

	if err := e.pointDistances(sec, m, x, n); err != nil {
		return nil, err
	}
	sec.add("sampling rate", fmt.Sprintf("%s samples/s", formatRate(rate)), "-")

	fig, err := e.densityFigure(ctx, m, x)
	if err != nil {
		return nil, err
	}
	sec.figures = append(sec.figures, fig)
	return sec, nil
}

// pointDistances adds the energy distance and MMD between the finite samples x (n points) and
// n fresh true samples, and the same between two independent true sets as the floor that
// sampling noise alone gives.
func (e *evaluator) pointDistances(sec *section, m *model, x []float32, n int) error {
	st := e.stage(m.name+": distances", 4, "distances")
	finite := make([]float32, 0, len(x))
	for i := 0; i+1 < len(x); i += 2 {
		if isFinite(x[i]) && isFinite(x[i+1]) {
			finite = append(finite, x[i], x[i+1])
		}
	}
	truth, floor := make([]float32, 2*n), make([]float32, 2*n)
	if err := data.SampleSquares(truth, rngFor(e.o.Seed, streamTrue)); err != nil {
		return err
	}
	if err := data.SampleSquares(floor, rngFor(e.o.Seed, streamFloor)); err != nil {
		return err
	}
	if len(finite) == 0 {
		sec.add("energy distance to N true samples", "n/a (no finite sample)", "-")
		st.finish()
		return nil
	}
	ed, err := metrics.EnergyDistance(finite, truth, 2)
	if err != nil {
		return fmt.Errorf("%s: %w", m.spec, err)
	}
	st.add(1)
	edFloor, err := metrics.EnergyDistance(floor, truth, 2)
	if err != nil {
		return fmt.Errorf("%s: %w", m.spec, err)
	}
	st.add(1)
	h, err := metrics.MedianBandwidth(finite, truth, 2)
	if err != nil {
		return fmt.Errorf("%s: %w", m.spec, err)
	}
	mmd, err := metrics.MMD(finite, truth, 2, h)
	if err != nil {
		return fmt.Errorf("%s: %w", m.spec, err)
	}
	st.add(1)
	mmdFloor, err := metrics.MMD(floor, truth, 2, h)
	if err != nil {
		return fmt.Errorf("%s: %w", m.spec, err)
	}
	st.finish()
	sec.add("energy distance to N true samples", fmt.Sprintf("%.5f", ed),
		fmt.Sprintf("-> %.5f (N true vs N other true samples)", edFloor))
	sec.add(fmt.Sprintf("MMD^2 to N true samples (Gaussian kernel, median-heuristic bandwidth h = %.3f)", h), fmt.Sprintf("%.3g", mmd),
		fmt.Sprintf("-> %.3g (N true vs N other true samples, same h)", mmdFloor))
	return nil
}

// densityFigure writes the learned level-0 density exp(f/s^2) on the grid beside a scatter of
// the samples x.
func (e *evaluator) densityFigure(ctx context.Context, m *model, x []float32) (figure, error) {
	const cells = densityGrid * densityGrid
	scale, err := m.s.LogDensityScale(0)
	if err != nil {
		return figure{}, fmt.Errorf("%s: %w", m.spec, err)
	}
	st := e.stage(m.name+": density", cells, "grid points")
	grid := make([]float32, 2*cells)
	step := 2 * densityBox / (densityGrid - 1)
	for r := range densityGrid {
		for c := range densityGrid {
			i := r*densityGrid + c
			grid[2*i] = float32(-densityBox + float64(c)*step)  // x to the right
			grid[2*i+1] = float32(densityBox - float64(r)*step) // y upwards: row 0 at the top
		}
	}
	logp := make([]float64, cells)
	for lo := 0; lo < cells; lo += densityChunk {
		hi := min(cells, lo+densityChunk)
		f, _, err := m.s.Energy(ctx, grid[2*lo:2*hi], hi-lo, 0, nil)
		if err != nil {
			return figure{}, fmt.Errorf("%s: density: %w", m.spec, err)
		}
		for k, v := range f {
			logp[lo+k] = float64(v) * scale
		}
		st.set(float64(hi))
	}
	st.finish()
	peak := math.Inf(-1)
	for _, v := range logp {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			peak = max(peak, v)
		}
	}
	density := make([]float64, cells)
	for i, v := range logp {
		density[i] = math.Exp(v - peak) // exp(f/s^2) up to a constant factor; NaN stays NaN
	}
	heat, err := plot.Heatmap(density, densityGrid, densityGrid)
	if err != nil {
		return figure{}, err
	}
	big, err := plot.Enlarge(heat, densityScale)
	if err != nil {
		return figure{}, err
	}
	scatter, err := plot.Scatter([][]float32{x}, -densityBox, densityBox, scatterSize)
	if err != nil {
		return figure{}, err
	}
	n := len(x) / 2
	pic, err := plot.Panels([]string{"level 0 density exp(f/s*s)", fmt.Sprintf("%d samples", n)}, []image.Image{big, scatter}, 2)
	if err != nil {
		return figure{}, err
	}
	file, err := e.writePNG(m.name+"-density.png", pic)
	if err != nil {
		return figure{}, err
	}
	return figure{caption: fmt.Sprintf("%s: learned level-0 density exp(f/s^2) on a %dx%d grid over [-8, 8]^2 (left) and the %d samples (right)",
		m.name, densityGrid, densityGrid, n), file: file}, nil
}

// isFinite reports whether v is neither NaN nor infinite.
func isFinite(v float32) bool {
	f := float64(v)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

// provenance says how the model was made, from its manifest, for the report.
func provenance(m *model) string {
	p := m.b.Provenance
	var parts []string
	if p.Command != "" {
		parts = append(parts, fmt.Sprintf("trained by `%s`", p.Command))
	}
	if p.Iterations > 0 {
		parts = append(parts, fmt.Sprintf("%d iterations", p.Iterations))
	}
	if p.Date != "" {
		parts = append(parts, "written "+p.Date)
	}
	if len(parts) == 0 {
		return ""
	}
	return "Model " + strings.Join(parts, ", ") + "."
}
