package gradcheck

import "math/rand"

func newRand() *rand.Rand { return rand.New(rand.NewSource(seed)) }
