package infer

import "context"

// ClassMaxBatch exposes the most inputs of one ClassPosterior run.
const ClassMaxBatch = classMaxBatch

// ObserveRuns makes every network call of Sample, Inpaint, Compose and ClassPosterior report its task, graph
// role and batch size to f until the returned function is called. Not safe for concurrent use.
func ObserveRuns(f func(op, graph string, batch int)) (restore func()) {
	observeRun = f
	return func() { observeRun = nil }
}

// Fill exposes the probe image ClassPosterior builds from a partly known image.
func (s *Sampler) Fill(image []float32, known []bool) []float32 { return s.fill(image, known) }

// ClassTransitions exposes the transitions ClassPosterior reads.
func ClassTransitions(levels int) (lo, hi int) { return classTransitions(levels) }

// ClassPosteriorDraws is ClassPosterior with draws noise draws per transition.
func (s *Sampler) ClassPosteriorDraws(ctx context.Context, image []float32, known []bool, seed uint64, draws int) ([]float64, error) {
	return s.classPosterior(ctx, image, known, seed, draws)
}
