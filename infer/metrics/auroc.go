package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// AUROC returns the area under the ROC curve of a score that should be higher for positives:
// the probability that a random element of pos scores above a random element of neg, ties
// counting one half (the Mann-Whitney U statistic divided by len(pos)*len(neg)). 1 means every
// positive outscores every negative, 0 the reverse, 0.5 no separation. For out-of-distribution
// detection pos holds the in-distribution scores (cdrl-method.md 8.1). It sorts a copy of the
// scores, O(n log n), and returns an error when a set is empty or a score is NaN (infinite
// scores are ordered as usual).
func AUROC(pos, neg []float64) (float64, error) {
	if len(pos) == 0 {
		return 0, errors.New("metrics: auroc: no positive scores")
	}
	if len(neg) == 0 {
		return 0, errors.New("metrics: auroc: no negative scores")
	}
	type scored struct {
		v   float64
		pos bool
	}
	all := make([]scored, 0, len(pos)+len(neg))
	for i, v := range pos {
		if math.IsNaN(v) {
			return 0, fmt.Errorf("metrics: auroc: positive score %d is NaN", i)
		}
		all = append(all, scored{v, true})
	}
	for i, v := range neg {
		if math.IsNaN(v) {
			return 0, fmt.Errorf("metrics: auroc: negative score %d is NaN", i)
		}
		all = append(all, scored{v, false})
	}
	slices.SortFunc(all, func(x, y scored) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	// Sum the (1-based) mid-ranks of the positives: a run of tied scores at ranks lo+1..hi all
	// get (lo+1+hi)/2.
	var rankSum float64
	for lo := 0; lo < len(all); {
		hi := lo + 1
		for hi < len(all) && all[hi].v == all[lo].v {
			hi++
		}
		mid := float64(lo+1+hi) / 2
		for _, s := range all[lo:hi] {
			if s.pos {
				rankSum += mid
			}
		}
		lo = hi
	}
	np, nn := float64(len(pos)), float64(len(neg))
	u := rankSum - np*(np+1)/2
	return u / (np * nn), nil
}
