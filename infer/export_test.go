package infer

import (
	"context"
	"math/rand/v2"

	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

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

// SampleRNG exposes the noise stream of sample i under seed.
func SampleRNG(seed uint64, i int) *rand.Rand { return sampleRNG(seed, i) }

// Initializer runs the initializer graph once on the n inputs x with their logSNR and class ids
// (nil for a model without classes) and returns its mean y.
func (s *Sampler) Initializer(ctx context.Context, x, logsnr []float32, classes []int64) ([]float32, error) {
	n := len(logsnr)
	feeds := map[string]*tensor.Tensor{bundle.InputX: tensor.FromFloat32(x, append([]int{n}, s.m.Shape...)...), bundle.InputLogSNR: tensor.FromFloat32(logsnr, n)}
	if classes != nil {
		feeds[bundle.InputClass] = tensor.FromInt64(classes, n)
	}
	out, err := s.init.Run(ctx, feeds)
	if err != nil {
		return nil, err
	}
	return out[bundle.OutputY].Float32, nil
}
