package infer

import (
	"fmt"
	"math"
)

// NonFiniteError reports results that are not finite numbers (NaN or ±Inf): samples,
// completions or energies that overflowed float32 inside the networks, most often because a
// guidance weight multiplied the class gradients past float32's range. The Sampler returns it
// instead of the results.
type NonFiniteError struct {
	Op    string // the task: "sample", "sample-from", "inpaint", "compose" or "energy"
	First int    // the first sample (or input) with a value that is not finite
	Count int    // how many samples (or inputs) have one
	Total int    // how many there were
	// Guidance is the guidance weight the samples were drawn with, 0 without guidance.
	Guidance float64
}

// Error says what was not finite and, for guided samples, names the guidance weight.
func (e *NonFiniteError) Error() string {
	what := "samples"
	if e.Op == "energy" {
		what = "energies"
	}
	msg := fmt.Sprintf("infer: %s: %d of %d %s are not finite numbers (the first: %d)", e.Op, e.Count, e.Total, what, e.First)
	if e.Guidance != 0 {
		return msg + fmt.Sprintf("; the guidance weight %g drove the networks past float32's range, so try a smaller one", e.Guidance)
	}
	return msg + "; the networks overflowed float32 (a diverged or broken model?)"
}

// checkFinite returns a *NonFiniteError for op when any of the n items of dim values in x is
// NaN or infinite; first is the index of x's first item in the task, total the task's items.
func checkFinite(op string, x []float32, dim, first, total int, guidance float64) error {
	bad, firstBad := 0, -1
	for i := 0; i+dim <= len(x); i += dim {
		for _, v := range x[i : i+dim] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				if firstBad < 0 {
					firstBad = first + i/dim
				}
				bad++
				break
			}
		}
	}
	if bad == 0 {
		return nil
	}
	return &NonFiniteError{Op: op, First: firstBad, Count: bad, Total: total, Guidance: guidance}
}
