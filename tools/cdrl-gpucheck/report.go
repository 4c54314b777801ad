package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Check outcomes as the report prints them.
const (
	statusPass   = "pass"
	statusFail   = "FAIL"
	statusNotRun = "not run"
)

// check is one row of the report's table of checks.
type check struct {
	Name, Status, Detail string
}

// report is what a run found; Markdown prints it.
type report struct {
	Device     string // the CUDA device checked, as ONNX Runtime took it when it loaded
	ORTVersion string
	ORTLibrary string
	CUDA       string // "loads", or why not
	Advice     string // what to do when CUDA does not load
	GPUs       string // nvidia-smi's list, or why there is none
	Assembled  string // what --assemble did; "" without it
	NotRun     string // why no check ran; "" when CUDA loaded
	Checks     []check
	Sampling   *samplingResult
	Training   []trainingResult
	Peer       *peerResult
}

// Markdown formats the report: the environment, a table of checks and the figures behind them.
func (r *report) Markdown() string {
	var b strings.Builder
	row := func(cells ...string) {
		for i := range cells {
			cells[i] = cell(cells[i])
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	b.WriteString("# cdrl-gpucheck\n\n")
	b.WriteString("| environment | |\n|---|---|\n")
	row("ONNX Runtime", r.ORTVersion+", "+r.ORTLibrary)
	row("CUDA provider ("+r.Device+")", r.CUDA)
	row("GPU (nvidia-smi)", r.GPUs)
	if r.Assembled != "" {
		row("provider library", r.Assembled)
	}
	b.WriteString("\n| check | result | details |\n|---|---|---|\n")
	for _, c := range r.Checks {
		row(c.Name, c.Status, c.Detail)
	}
	if r.NotRun != "" {
		fmt.Fprintf(&b, "\n**not run: no GPU available**: %s\n\nhint: %s\n", r.NotRun, r.Advice)
	}
	if s := r.Sampling; s != nil {
		class := "unconditional"
		if s.Class != "" {
			class = "of class " + s.Class
		}
		threads := "one thread per core"
		switch {
		case s.Threads == 1:
			threads = "1 thread"
		case s.Threads > 1:
			threads = fmt.Sprintf("%d threads", s.Threads)
		}
		fmt.Fprintf(&b, "\n## Sampling\n\n%s, %d samples %s, %d levels x %d Langevin steps, seed %d; one Sample call each:\n\n",
			s.Model, s.N, class, s.Levels, s.Steps, s.Seed)
		b.WriteString("| device | time |\n|---|---|\n")
		row("cpu ("+threads+")", seconds(s.CPU))
		row(s.Device+", first run", seconds(s.GPU))
		row(s.Device+", second run", seconds(s.GPURerun))
		fmt.Fprintf(&b, "\n%s against cpu: relative L2 %s (tolerance %s), max abs %s, %s of pixels differ by > %g. "+
			"%s against itself (second run against the first): relative L2 %s, max abs %s.\n",
			s.Device, sci(s.Diff.RelL2), sci(s.Tolerance), sci(s.Diff.MaxAbs), percent(s.Diff.Over), overThreshold,
			s.Device, sci(s.Rerun.RelL2), sci(s.Rerun.MaxAbs))
	}
	if len(r.Training) > 0 {
		t0 := r.Training[0]
		fmt.Fprintf(&b, "\n## Training\n\n%s, batch %d, %d iterations on random %dx%dx%d images on %s; per iteration over iterations %d-%d "+
			"(MB = 10^6 bytes handed to ONNX Runtime and taken back, the host-device copies):\n\n",
			t0.Arch, t0.Batch, t0.Iters, t0.Shape[0], t0.Shape[1], t0.Shape[2], t0.Device, warmupIters+1, t0.Iters)
		b.WriteString("| mode | s/it | MB in/it | MB out/it | whole run |\n|---|---|---|---|---|\n")
		for _, t := range r.Training {
			if t.Err != nil {
				row(modeName(t.Fused), "failed", "-", "-", seconds(t.Total))
				continue
			}
			row(modeName(t.Fused), fmt.Sprintf("%.3f", t.Figures.SecondsPerIter), fmt.Sprintf("%.1f", t.Figures.MBIn),
				fmt.Sprintf("%.1f", t.Figures.MBOut), seconds(t.Total))
		}
		if p := r.Peer; p != nil && p.Err == nil && p.Note == "" {
			row("PyTorch "+p.Script, fmt.Sprintf("%.3f", p.SecondsPerIter), "-", "-", "-")
		}
	}
	return b.String()
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// sci formats a small figure such as a relative difference: 3.2e-04.
func sci(x float64) string {
	if math.IsNaN(x) {
		return "NaN"
	}
	if x == 0 {
		return "0"
	}
	return fmt.Sprintf("%.1e", x)
}

// percent formats a fraction as a percentage: 0.00125 is "0.13%".
func percent(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }

// seconds formats a duration in seconds: "3.21 s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
