package train

import "github.com/cdrl-go/cdrl/train/optim"

// stateVersion is the checkpoint format version; LoadCheckpoint refuses others.
const stateVersion = 1

// State is everything a run needs to resume exactly: the configuration, the step, the live
// params of both networks and their EMAs, the optimiser moments, the spectral-norm vectors and
// the random source. It is what a checkpoint holds (encoding/gob).
type State struct {
	Version int
	Config  Config
	Step    int
	EBM     *optim.Params
	Init    *optim.Params
	EBMEMA  optim.EMAState
	InitEMA optim.EMAState
	EBMAdam optim.AdamState
	// InitAdam holds the initializer's AdamW moments.
	InitAdam optim.AdamState
	// SpectralU and SpectralV hold the power-iteration vectors by weight name.
	SpectralU, SpectralV map[string][]float32
	// RNG is the run's random source (math/rand/v2 PCG, MarshalBinary).
	RNG []byte
	// WorldSize is the number of processes that trained the run (0 in checkpoints written
	// before data-parallel training existed: one).
	WorldSize int
}
