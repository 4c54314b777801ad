package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/train/classifier"
)

// langevinSteps returns the infer.SampleOptions.Steps of K Langevin steps per level: K, or
// infer.NoLangevin for 0.
func langevinSteps(k int) int {
	if k == 0 {
		return infer.NoLangevin
	}
	return k
}

// stepsTable adds the table of sample quality against the Langevin steps K per level, one row
// per K of --steps-table: the guided accuracy of guidedSet's samples at the manifest's
// guidance_default, the smallest digit share and the Frechet distance of N unguided samples,
// the lower-half agreement of test's completions with the classes picked for them (inferred
// once, by inpaintInferred) at the manifest's inpainting weight, and the guided and unguided
// samples per second of sampling. Every row runs the main figures' code with their seeds, so
// the rows differ by K alone.
func (e *evaluator) stepsTable(ctx context.Context, sec *section, m *model, clf *classifier.Classifier, ref *digitsRef, digitOf []int, n int, test inpaintSet, picked []int64) error {
	ids, truth := guidedSet(digitOf, n)
	w, inpaintW := m.s.GuidanceWeight(nil), m.s.InpaintGuidanceWeight(nil)
	lower := test.lowerHalf()
	tbl := table{
		caption: fmt.Sprintf("Sample quality against the Langevin steps K per level (K = 0: the initializer's proposals alone), the same seeds for every K: "+
			"guided accuracy of %d guided samples at the manifest's guidance_default w = %g (target >= %.2f); the smallest digit share (target >= %.2f) "+
			"and the Frechet distance on classifier features to %d test digits (-> %.3f, two sets of test digits) of %d unguided samples; "+
			"lower-half inpainting agreement of %d test digits with the class inferred from the known pixels (once, for every K) at the manifest's "+
			"inpainting weight %g (target >= %.2f); guided and unguided samples per second of sampling:",
			len(ids), w, targetGuidedAcc, targetMinShare, n, ref.floor, n, lower.m(), inpaintW, targetLowerInpaint),
		header: []string{"K", "guided accuracy", "smallest digit share, unguided", "Frechet distance, unguided", "lower-half inpainting agreement", "samples/s"},
	}
	for _, k := range e.o.StepsTable {
		so := e.o.sampleOptions(m)
		so.Steps = langevinSteps(k)
		g, acc, err := e.sampleGuided(ctx, m, clf, fmt.Sprintf("%s: K=%d guided w=%g", m.name, k, w), ids, truth, so)
		if err != nil {
			return err
		}
		u, err := e.sampleUnguided(ctx, m, clf, ref, digitOf, n, fmt.Sprintf("%s: K=%d unguided", m.name, k), so)
		if err != nil {
			return err
		}
		mode := inpaintMode{inferClass: true, guidance: inpaintW, steps: so.Steps}
		out, _, err := e.complete(ctx, m, lower, mode, picked, fmt.Sprintf("test digits (K=%d)", k))
		if err != nil {
			return err
		}
		agree, err := agreement(ctx, clf, lower, out)
		if err != nil {
			return err
		}
		rate := float64(len(ids)+n) / (g.elapsed + u.elapsed).Seconds()
		tbl.rows = append(tbl.rows, []string{strconv.Itoa(k), fmt.Sprintf("%.4f", acc), u.formatMinShare(), fmt.Sprintf("%.3f", u.fid),
			fmt.Sprintf("%.4f", agree[0]), formatRate(rate)})
	}
	sec.tables = append(sec.tables, tbl)
	return nil
}
