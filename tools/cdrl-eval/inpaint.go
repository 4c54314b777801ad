package main

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/infer/metrics"
	"github.com/cdrl-go/cdrl/infer/plot"
	"github.com/cdrl-go/cdrl/train/classifier"
	"github.com/cdrl-go/cdrl/train/data"
)

// maskKinds names the two masks every inpainting set uses, in the order of its completions.
var maskKinds = [2]string{"lower half unknown", "random 50% of pixels unknown"}

// inpaintSet is what one inpainting measurement completes: M digits, each twice, completion
// t < M with the lower half of digit t unknown and completion M+t with a random half of its
// pixels unknown, each completion with its own seed; lowerHalf's set has the first M alone.
type inpaintSet struct {
	x      []float32 // the M digits
	labels []int     // their true digits
	random [][]bool  // the known pixels of completions M..2M-1
	seeds  []uint64  // one per completion
}

// upperHalf marks the known pixels of the lower-half mask: the upper half of a digit.
var upperHalf = func() []bool {
	known := make([]bool, digitSize)
	for p := range known {
		known[p] = p/classifier.Side < classifier.Side/2
	}
	return known
}()

// newInpaintSet draws the random masks from masks and the seeds from seeds.
func newInpaintSet(x []float32, labels []int, masks, seeds *rand.Rand) inpaintSet {
	s := inpaintSet{x: x, labels: labels, random: make([][]bool, len(labels)), seeds: make([]uint64, 2*len(labels))}
	for j := range s.random {
		s.random[j] = make([]bool, digitSize)
		for _, p := range masks.Perm(digitSize)[:digitSize/2] {
			s.random[j][p] = true
		}
	}
	for i := range s.seeds {
		s.seeds[i] = seeds.Uint64()
	}
	return s
}

// m returns the number of digits M.
func (s inpaintSet) m() int { return len(s.labels) }

// completions returns the number of completions: 2M, or M for lowerHalf's set.
func (s inpaintSet) completions() int { return len(s.seeds) }

// lowerHalf returns the set of the completions with the lower half unknown, with their seeds.
func (s inpaintSet) lowerHalf() inpaintSet {
	return inpaintSet{x: s.x, labels: s.labels, seeds: s.seeds[:s.m()]}
}

// digit returns the digit of completion t.
func (s inpaintSet) digit(t int) []float32 {
	j := t % s.m()
	return s.x[j*digitSize : (j+1)*digitSize]
}

// known returns the known pixels of completion t.
func (s inpaintSet) known(t int) []bool {
	if t < s.m() {
		return upperHalf
	}
	return s.random[t-s.m()]
}

// inpaintMode is one way the evaluation inpaints: plain replacement or resampling with the null
// class, or with the class inferred from the known pixels (infer.Sampler.InferClass) under
// guidance; steps, when not 0, replaces --steps (infer.SampleOptions.Steps, for a
// --steps-table row).
type inpaintMode struct {
	resample   int
	inferClass bool
	guidance   float64
	steps      int
}

// describe names the mode for row names: "" for plain replacement with the null class.
func (mo inpaintMode) describe() string {
	switch {
	case mo.inferClass:
		return fmt.Sprintf(", class inferred, guidance %g", mo.guidance)
	case mo.resample > 0:
		return fmt.Sprintf(", resample %d", mo.resample)
	}
	return ""
}

// inpainting completes M test digits with their lower half unknown and M with a random half of
// their pixels unknown, and adds how often the classifier gives the completion the original's
// true label, with a before/after picture: by plain replacement with the null class, with
// --resample R > 0 again with resampling, and for a conditional model (digitOf, as
// classDigits) with the class inferred from the known pixels (inpaintInferred). Every mode
// inpaints the same digits with the same masks and seeds. It returns the test set and, for a
// conditional model, the class inferred for each of its completions (nil otherwise).
func (e *evaluator) inpainting(ctx context.Context, sec *section, m *model, clf *classifier.Classifier, ref *digitsRef, digitOf []int) (inpaintSet, []int64, error) {
	mm := min(e.o.inpaintM(), len(ref.labels))
	test := newInpaintSet(ref.x[:mm*digitSize], ref.labels[:mm], rngFor(e.o.Seed, streamMasks), rngFor(e.o.Seed, streamInpaint))
	refAcc, err := metrics.Accuracy(ref.pred[:mm], ref.labels[:mm])
	if err != nil {
		return inpaintSet{}, nil, err
	}
	target := fmt.Sprintf("-> %.4f (classifier on the %d originals)", refAcc, mm)
	modes := []inpaintMode{{}}
	if e.o.Resample > 0 {
		modes = append(modes, inpaintMode{resample: e.o.Resample})
	}
	for _, mode := range modes {
		out, _, err := e.complete(ctx, m, test, mode, nil, "test digits")
		if err != nil {
			return inpaintSet{}, nil, err
		}
		agree, err := agreement(ctx, clf, test, out)
		if err != nil {
			return inpaintSet{}, nil, err
		}
		for k, kind := range maskKinds {
			sec.add(fmt.Sprintf("inpainting agreement, %s (%d test digits%s)", kind, mm, mode.describe()), fmt.Sprintf("%.4f", agree[k]), target)
		}
		fig, err := e.inpaintFigure(m, test, out, mode)
		if err != nil {
			return inpaintSet{}, nil, err
		}
		sec.figures = append(sec.figures, fig)
	}
	if len(digitOf) == 0 {
		return test, nil, nil
	}
	picked, err := e.inpaintInferred(ctx, sec, m, clf, test, digitOf, target)
	return test, picked, err
}

// inpaintInferred measures inpainting with the class inferred from the known pixels, the
// default of cdrl-infer inpaint: the most probable class (infer.Sampler.InferClass) guides the
// completion. It adds how often that class is the true digit, the agreement at every
// --guidance-weights weight and at the manifest's inpainting weight (the main table's rows,
// with the picture), and the recommended inpaint_guidance: the weight with the best mean
// agreement of the two masks on M training digits, so that the test figures do not choose the
// weight they report. The classes are inferred once per digit and mask and shared by the
// weights; it returns those of the test digits.
func (e *evaluator) inpaintInferred(ctx context.Context, sec *section, m *model, clf *classifier.Classifier, test inpaintSet, digitOf []int, target string) ([]int64, error) {
	mm := test.m()
	manifestW := m.s.InpaintGuidanceWeight(nil)
	weights := slices.Clone(e.o.Weights)
	if !slices.Contains(weights, manifestW) {
		weights = append(weights, manifestW)
	}
	picked, rate, err := e.inferClasses(ctx, m, test, "test digits")
	if err != nil {
		return nil, err
	}
	for k, kind := range maskKinds {
		right := 0
		for t := k * mm; t < (k+1)*mm; t++ {
			if digitOf[picked[t]-1] == test.labels[t%mm] {
				right++
			}
		}
		sec.add(fmt.Sprintf("inferred class is the true digit, %s (%d test digits)", kind, mm), fmt.Sprintf("%.4f", float64(right)/float64(mm)), "-")
	}
	sec.add("class inference rate (ClassPosterior per digit and mask)", fmt.Sprintf("%s digits/s", formatRate(rate)), "-")

	tbl := table{
		caption: fmt.Sprintf("Inpainting agreement with the class inferred from the known pixels, for each guidance weight w (%d test digits per mask; completion rate without the class inference):", mm),
		header:  []string{"w", "lower half unknown", "random 50% unknown", "completions/s"},
	}
	for _, w := range weights {
		mode := inpaintMode{inferClass: true, guidance: w}
		out, rate, err := e.complete(ctx, m, test, mode, picked, "test digits")
		if err != nil {
			return nil, err
		}
		agree, err := agreement(ctx, clf, test, out)
		if err != nil {
			return nil, err
		}
		tbl.rows = append(tbl.rows, []string{strconv.FormatFloat(w, 'g', -1, 64), fmt.Sprintf("%.4f", agree[0]), fmt.Sprintf("%.4f", agree[1]), formatRate(rate)})
		if w != manifestW {
			continue
		}
		for k, kind := range maskKinds {
			sec.add(fmt.Sprintf("inpainting agreement, %s (%d test digits%s, the manifest's inpainting weight)", kind, mm, mode.describe()), fmt.Sprintf("%.4f", agree[k]), target)
		}
		fig, err := e.inpaintFigure(m, test, out, mode)
		if err != nil {
			return nil, err
		}
		sec.figures = append(sec.figures, fig)
	}
	sec.tables = append(sec.tables, tbl)

	train, err := data.OpenSplit(e.o.Digits, data.Train)
	if err != nil {
		return nil, fmt.Errorf("--digits %s: %w", e.o.Digits, err)
	}
	rng := rngFor(e.o.Seed, streamInpaintWeight)
	tx, tl, err := classifier.Draw(train, mm, rng)
	if err != nil {
		return nil, fmt.Errorf("--digits %s: training digits: %w", e.o.Digits, err)
	}
	sel := newInpaintSet(tx, tl, rng, rng)
	selPicked, _, err := e.inferClasses(ctx, m, sel, "training digits")
	if err != nil {
		return nil, err
	}
	bestW, best := weights[0], []float64{-1, -1} // ties go to the weight listed first
	for _, w := range weights {
		out, _, err := e.complete(ctx, m, sel, inpaintMode{inferClass: true, guidance: w}, selPicked, "training digits")
		if err != nil {
			return nil, err
		}
		agree, err := agreement(ctx, clf, sel, out)
		if err != nil {
			return nil, err
		}
		if agree[0]+agree[1] > best[0]+best[1] {
			bestW, best = w, agree
		}
	}
	now := fmt.Sprintf("manifest now: %g", manifestW)
	if m.b.InpaintGuidance == nil {
		now += " (unset: guidance_default)"
	}
	sec.add(fmt.Sprintf("recommended inpaint_guidance (best mean agreement of the two masks on %d training digits, class inferred)", mm),
		fmt.Sprintf("%g (lower half %.4f, random 50%% %.4f)", bestW, best[0], best[1]), now)
	return picked, nil
}

// inferClasses returns the most probable class of every completion of set given its known
// pixels and seed, and the rate in digits per second. what names the digits for the progress
// line and errors.
func (e *evaluator) inferClasses(ctx context.Context, m *model, set inpaintSet, what string) ([]int64, float64, error) {
	picked := make([]int64, set.completions())
	st := e.stage(fmt.Sprintf("%s: infer the class of %s", m.name, what), len(picked), "digits")
	err := parallel(ctx, len(picked), runtime.GOMAXPROCS(0), func(ctx context.Context, t int) error {
		c, err := m.s.InferClass(ctx, set.digit(t), set.known(t), set.seeds[t])
		if err != nil {
			return fmt.Errorf("%s: class of %s %d: %w", m.spec, what, t%set.m(), err)
		}
		picked[t] = c.Class
		st.add(1)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return picked, rateOf(len(picked), st.finish()), nil
}

// complete inpaints every completion of set in the given mode, with classes[t] guiding
// completion t when the mode infers the class, and returns the completions and their rate per
// second. what names the digits for the progress line and errors.
func (e *evaluator) complete(ctx context.Context, m *model, set inpaintSet, mode inpaintMode, classes []int64, what string) ([]float32, float64, error) {
	n := set.completions()
	out := make([]float32, n*digitSize)
	st := e.stage(fmt.Sprintf("%s: inpaint %s%s", m.name, what, mode.describe()), n, "digits")
	err := parallel(ctx, n, runtime.GOMAXPROCS(0), func(ctx context.Context, t int) error {
		so := e.o.sampleOptions(m)
		so.Seed, so.Resample = set.seeds[t], mode.resample
		if mode.steps != 0 {
			so.Steps = mode.steps
		}
		if mode.inferClass {
			so.Class, so.Guidance = classes[t], infer.Weight(mode.guidance)
		}
		x, err := m.s.Inpaint(ctx, set.digit(t), set.known(t), 1, so)
		if err != nil {
			return fmt.Errorf("%s: inpaint %s %d: %w", m.spec, what, t%set.m(), err)
		}
		copy(out[t*digitSize:], x)
		st.add(1)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, rateOf(n, st.finish()), nil
}

// rateOf returns n per elapsed second.
func rateOf(n int, elapsed time.Duration) float64 { return float64(n) / elapsed.Seconds() }

// agreement returns, for each mask kind of set (maskKinds; the first alone for lowerHalf's
// set), the share of set's completions out to which the classifier gives the original's true
// label.
func agreement(ctx context.Context, clf *classifier.Classifier, set inpaintSet, out []float32) ([]float64, error) {
	pred, _, _, err := clf.Classify(ctx, out, set.completions())
	if err != nil {
		return nil, err
	}
	mm := set.m()
	agree := make([]float64, set.completions()/mm)
	for k := range agree {
		if agree[k], err = metrics.Accuracy(pred[k*mm:(k+1)*mm], set.labels); err != nil {
			return nil, err
		}
	}
	return agree, nil
}

// inpaintFigure writes the before/after picture of the first digits inpainted: originals, the
// known pixels of each mask (unknown ones grey) and the completions.
func (e *evaluator) inpaintFigure(m *model, set inpaintSet, out []float32, mode inpaintMode) (figure, error) {
	mm := set.m()
	cols := min(mm, gridCols)
	masked := func(kind int) []float32 {
		v := make([]float32, cols*digitSize)
		for j := range cols {
			known := set.known(kind*mm + j)
			for p := range digitSize {
				if known[p] {
					v[j*digitSize+p] = set.x[j*digitSize+p]
				}
			}
		}
		return v
	}
	filled := func(kind int) []float32 { return out[kind*mm*digitSize : (kind*mm+cols)*digitSize] }
	rows := [][]float32{set.x[:cols*digitSize], masked(0), filled(0), masked(1), filled(1)}
	titles := []string{"test digits", "lower half unknown (grey)", "inpainted", "random half unknown (grey)", "inpainted"}
	var panels []image.Image
	for _, r := range rows {
		img, err := plot.ImageGrid(r, cols, 1, classifier.Side, classifier.Side, cols, gridScale)
		if err != nil {
			return figure{}, err
		}
		panels = append(panels, img)
	}
	pic, err := plot.Panels(titles, panels, 1)
	if err != nil {
		return figure{}, err
	}
	file, how := m.name+"-inpaint.png", "plain replacement"
	switch {
	case mode.inferClass:
		file, how = m.name+"-inpaint-class.png", fmt.Sprintf("class inferred from the known pixels, guidance %g", mode.guidance)
	case mode.resample > 0:
		file, how = fmt.Sprintf("%s-inpaint-resample%d.png", m.name, mode.resample), fmt.Sprintf("resample %d", mode.resample)
	}
	if file, err = e.writePNG(file, pic); err != nil {
		return figure{}, err
	}
	return figure{caption: fmt.Sprintf("%s: inpainting (%s), before and after (the first %d of %d test digits per mask)", m.name, how, cols, mm), file: file}, nil
}
