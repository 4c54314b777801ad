package infer

import (
	"context"
	"fmt"
	"math"
)

// Inpaint completes an image: it draws n candidates that agree with image wherever known is
// true, by the replacement method of cdrl-method.md 8.3. image is one sample (the manifest's
// shape, C*H*W values for images, in the data range) and known marks its known elements, one
// flag per value (ReadMask makes it from a mask file).
//
// At every level t, before the initializer runs, the known elements of x_t are set to the
// observation noised to level t, alpha_t image + sbar_t e; the known elements of the proposal
// and, after every Langevin step, of the chain are set to the observation at level t-1 in the
// scaled space, sqrt(m_t) (alpha_{t-1} image + sbar_{t-1} e'), with fresh noise e, e' per level.
// The EBM sees the whole sample, but only the unknown elements follow it. After the final
// denoising step (when the manifest asks for one) the known elements are set to image exactly,
// bit for bit.
//
// o works as for Sample, except that a nil Guidance means the manifest's inpainting weight
// (InpaintGuidanceWeight), the one measured best for inpainting, and that Class may be
// AutoClass: the class is then inferred from the known elements (InferClass, seeded with
// o.Seed), every candidate is completed with it and o.Inferred, when set, receives it. On a
// conditional model this keeps far more of an image whose missing part decides what it shows
// (a digit's lower half) than the null class does. Resample repeats every transition after
// noising its result back (SampleOptions.Resample), which lets the generated region follow the
// known one more closely at a cost of one pass per repeat. The result holds n samples of the
// manifest's shape.
func (s *Sampler) Inpaint(ctx context.Context, image []float32, known []bool, n int, o SampleOptions) ([]float32, error) {
	p, err := s.newPlan("inpaint", n, o)
	if err != nil {
		return nil, err
	}
	if err := s.checkPartial("inpaint", image, known); err != nil {
		return nil, err
	}
	if o.Class == AutoClass {
		switch {
		case len(s.m.Classes) == 0:
			return nil, fmt.Errorf("infer: inpaint: AutoClass: the model is unconditional; it has no class to infer")
		case o.Classes != nil:
			return nil, fmt.Errorf("infer: inpaint: AutoClass with Classes set; leave Classes nil to infer one class for every candidate")
		}
		guess, err := s.InferClass(ctx, image, known, o.Seed)
		if err != nil {
			return nil, err
		}
		o.Class = guess.Class
		if o.Inferred != nil {
			*o.Inferred = guess
		}
	}
	classes, err := s.classIDs("inpaint", n, o)
	if err != nil {
		return nil, err
	}
	p.mix = s.guidance(classes, p.w)
	p.obs, p.known = image, known
	return s.run(ctx, p)
}

// InferredClass is the class a partly known image most probably shows, as InferClass and
// Inpaint with AutoClass find it.
type InferredClass struct {
	Class       int64     // the most probable class id (MostProbableClass)
	Probability float64   // its probability
	Posterior   []float64 // every class's probability, index = class id - 1 (ClassPosterior)
}

// InferClass returns the class a partly known image most probably shows: the largest of
// ClassPosterior's probabilities for the seed (MostProbableClass), with the probabilities.
// Inpaint with AutoClass calls it with SampleOptions.Seed; a caller that completes the same
// image several times (with several guidance weights, say) calls it once and passes the class.
func (s *Sampler) InferClass(ctx context.Context, image []float32, known []bool, seed uint64) (InferredClass, error) {
	p, err := s.ClassPosterior(ctx, image, known, seed)
	if err != nil {
		return InferredClass{}, err
	}
	id := MostProbableClass(p)
	return InferredClass{Class: id, Probability: p[id-1], Posterior: p}, nil
}

// checkPartial reports, for task op, a partly known image (Inpaint, ClassPosterior) whose
// values or known flags do not fit the model's samples, or that holds a value that is not
// finite.
func (s *Sampler) checkPartial(op string, image []float32, known []bool) error {
	if len(image) != s.dim {
		return fmt.Errorf("infer: %s: image has %d values, the model's samples %d (shape %v)", op, len(image), s.dim, s.m.Shape)
	}
	if len(known) != s.dim {
		return fmt.Errorf("infer: %s: mask has %d flags, the model's samples %d values (shape %v)", op, len(known), s.dim, s.m.Shape)
	}
	for i, v := range image {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("infer: %s: image value %d is %v", op, i, v)
		}
	}
	return nil
}
