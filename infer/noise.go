package infer

import (
	"fmt"
	"math/rand/v2"
)

// Normal fills dst with independent standard normal draws from rng (NormFloat64, rounded to
// float32). The same rng state gives the same numbers, so a seeded source reproduces a run.
// rng must not be nil.
func Normal(dst []float32, rng *rand.Rand) {
	for i := range dst {
		dst[i] = float32(rng.NormFloat64())
	}
}

// Noise sets dst to the data x noised to level k (0..Levels) by the forward process,
// x_k = alpha_k x + sbar_k e, for standard normal noise e (Normal):
//
//	dst[i] = alpha_k x[i mod len(x)] + sbar_k e[i]
//
// in float32, with alpha_k and sbar_k (Alpha, SigmaBar) rounded to float32 once. x holds one
// sample or several and repeats along dst, so one image can be noised n times; len(dst) must
// be a multiple of len(x) and e must hold len(dst) values. dst may alias e, or x when they
// have the same length.
func (s Schedule) Noise(dst, x, e []float32, k int) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if k < 0 || k > s.Levels {
		return fmt.Errorf("infer: noise: level %d outside 0..%d", k, s.Levels)
	}
	return noise(dst, x, e, s.Alpha(k), s.SigmaBar(k))
}

// noise sets dst[i] = float32(a) x[i mod len(x)] + float32(b) e[i]: the forward process with
// Noise's coefficients, or with those of a step between two levels or of a scaled space
// (the sampler's renoise and observe).
func noise(dst, x, e []float32, a, b float64) error {
	if err := sameLen("len(dst)", len(dst), lenOf{"e", len(e)}); err != nil {
		return err
	}
	if len(dst) > 0 && (len(x) == 0 || len(dst)%len(x) != 0) {
		return fmt.Errorf("infer: len(x) = %d does not divide len(dst) = %d", len(x), len(dst))
	}
	af, bf := float32(a), float32(b)
	for lo := 0; lo < len(dst); lo += len(x) {
		d, ee := dst[lo:lo+len(x)], e[lo:lo+len(x)]
		for j, v := range x {
			d[j] = af*v + bf*ee[j]
		}
	}
	return nil
}
