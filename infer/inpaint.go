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
// o works as for Sample: Class, Classes and Guidance condition the completion (classifier-free
// guidance applies as in Sample; the manifest's InpaintGuidanceWeight is the weight measured
// best for inpainting), Seed, Steps, Batch, Levels, Progress and OnStep likewise;
// Resample repeats every transition after noising its result back (SampleOptions.Resample),
// which lets the generated region follow the known one more closely at a cost of one pass per
// repeat. The result holds n samples of the manifest's shape.
func (s *Sampler) Inpaint(ctx context.Context, image []float32, known []bool, n int, o SampleOptions) ([]float32, error) {
	p, err := s.newPlan("inpaint", n, o)
	if err != nil {
		return nil, err
	}
	if err := s.checkPartial("inpaint", image, known); err != nil {
		return nil, err
	}
	classes, err := s.classIDs("inpaint", n, o)
	if err != nil {
		return nil, err
	}
	p.mix = s.guidance(classes, o.Guidance)
	p.obs, p.known = image, known
	return s.run(ctx, p)
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
