package infer

import "math/rand/v2"

// Normal fills dst with independent standard normal draws from rng (NormFloat64, rounded to
// float32). The same rng state gives the same numbers, so a seeded source reproduces a run.
// rng must not be nil.
func Normal(dst []float32, rng *rand.Rand) {
	for i := range dst {
		dst[i] = float32(rng.NormFloat64())
	}
}
