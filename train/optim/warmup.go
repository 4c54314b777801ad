package optim

// Warmup is the linear learning-rate warmup of CDRL (a PyTorch LambdaLR): the rate of a step
// is the base rate times Factor(n), where n is the number of scheduler steps taken before it,
// starting at 0. The official settings are Warmup{Steps: 10000} for the EBM, whose first
// step therefore has rate 0, and Warmup{Steps: 10000, Offset: 500} for the initializer, which
// starts at 5%; the small-scale suggestion is Steps 200 with Offset 0 and 10 respectively.
type Warmup struct {
	// Steps is the length of the ramp; 0 or less means no warmup (factor 1).
	Steps int
	// Offset shifts the ramp: the first factor is Offset/Steps.
	Offset int
}

// Factor returns min(1, (n+Offset)/Steps), clamped below at 0, or 1 when Steps <= 0.
func (w Warmup) Factor(n int) float64 {
	if w.Steps <= 0 {
		return 1
	}
	f := (float64(n) + float64(w.Offset)) / float64(w.Steps)
	return max(0, min(1, f))
}
