package infer

import (
	"context"
	"fmt"
)

// Compose draws n samples from the composition of the concepts classes (internal class ids,
// 1..len(Classes), repeats allowed) with the weight w of o.Guidance (cdrl-method.md 8.2; nil:
// the manifest's guidance_default, as for Sample): the energy
//
//	f_comp = f(0) + (1+w) * sum_j (f(c_j) - f(0))
//
// replaces f in every Langevin step and in the final denoising step, and the same combination
// of initializer means replaces the initializer. All len(classes)+1 class groups run as one
// batch of (len(classes)+1)*n samples per network call. With one class, Compose equals Sample
// with that Class and Guidance w, bit for bit.
//
// Compose needs a conditional model. o.Class and o.Classes must be unset; Seed, Steps, Batch,
// Levels and Progress work as for Sample.
func (s *Sampler) Compose(ctx context.Context, n int, classes []int64, o SampleOptions) ([]float32, error) {
	p, err := s.newPlan("compose", n, o)
	if err != nil {
		return nil, err
	}
	switch {
	case len(s.m.Classes) == 0:
		return nil, fmt.Errorf("infer: compose: the model is unconditional; composition needs a class-conditional model")
	case len(classes) == 0:
		return nil, fmt.Errorf("infer: compose: no classes given")
	case len(classes)+1 > maxGroups:
		return nil, fmt.Errorf("infer: compose: %d classes, at most %d", len(classes), maxGroups-1)
	case o.Class != 0 || o.Classes != nil:
		return nil, fmt.Errorf("infer: compose: the options set a class; pass the classes to compose instead")
	}
	for _, id := range classes {
		if id == 0 {
			return nil, fmt.Errorf("infer: compose: class id 0 is the null class, not a concept")
		}
		if err := s.checkClass(id); err != nil {
			return nil, fmt.Errorf("infer: compose: %w", err)
		}
	}
	j, w := len(classes), p.w
	mix := mixture{}
	for _, id := range classes {
		mix.groups = append(mix.groups, classGroup{id: id})
		mix.weights = append(mix.weights, float32(1+w))
	}
	// The null class's weight 1 - J(1+w), written so that J = 1 gives exactly -w.
	mix.groups = append(mix.groups, classGroup{})
	mix.weights = append(mix.weights, float32(-(w + float64(j-1)*(1+w))))
	if mix.weights[j] == 0 { // one class and w = 0: the null class does not contribute
		mix.groups, mix.weights = mix.groups[:j], mix.weights[:j]
	}
	p.mix = mix
	return s.run(ctx, p)
}
