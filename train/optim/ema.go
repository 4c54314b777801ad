package optim

import "fmt"

// EMAState is the complete state of an EMA: the number of updates made and the shadow
// (averaged) weights, laid out like the parameters.
type EMAState struct {
	Updates int64
	Shadow  [][]float32
}

// EMA keeps an exponential moving average of parameters, following torch_ema's
// ExponentialMovingAverage with its num-updates warmup: the n-th update (n counting from 1)
// uses the effective decay EffectiveDecay(decay, n) = min(decay, (1+n)/(10+n)), so the first
// updates average fast (2/11, 3/12, ...) and later ones at the configured decay.
type EMA struct {
	decay float64
	st    EMAState
}

// NewEMA returns an EMA whose shadow weights start as a copy of params. decay must be in
// [0, 1]; CDRL uses 0.9999 (0.999 in the small-scale settings).
func NewEMA(decay float64, params [][]float32) (*EMA, error) {
	if !(decay >= 0 && decay <= 1) {
		return nil, fmt.Errorf("optim: ema: decay %v outside [0, 1]", decay)
	}
	return &EMA{decay: decay, st: EMAState{Shadow: cloneData(params)}}, nil
}

// EffectiveDecay returns the decay torch_ema uses for the n-th update (n >= 1):
// min(decay, (1+n)/(10+n)).
func EffectiveDecay(decay float64, n int64) float64 {
	nf := float64(n)
	return min(decay, (1+nf)/(10+nf))
}

// Decay returns the configured decay.
func (e *EMA) Decay() float64 { return e.decay }

// Update moves the shadow weights towards params, which must have the shadow's layout:
// with d = EffectiveDecay(decay, n) for this n-th update, shadow <- shadow - (1-d)*(shadow -
// param). CDRL calls it after each optimiser step. On an error nothing is changed.
func (e *EMA) Update(params [][]float32) error {
	if err := sameLayout(e.st.Shadow, params, "shadow", "params"); err != nil {
		return fmt.Errorf("optim: ema: %w", err)
	}
	e.st.Updates++
	omd := 1 - EffectiveDecay(e.decay, e.st.Updates)
	for i, s := range e.st.Shadow {
		p := params[i][:len(s)]
		for j, sj := range s {
			sf := float64(sj)
			s[j] = float32(sf - omd*(sf-float64(p[j])))
		}
	}
	return nil
}

// CopyTo copies the shadow weights into dst, which must have their layout: swap them into a
// network for sampling or export (keep a Clone of the live weights to swap back).
func (e *EMA) CopyTo(dst [][]float32) error {
	if err := sameLayout(e.st.Shadow, dst, "shadow", "dst"); err != nil {
		return fmt.Errorf("optim: ema: %w", err)
	}
	for i, s := range e.st.Shadow {
		copy(dst[i], s)
	}
	return nil
}

// State returns a deep copy of the state.
func (e *EMA) State() EMAState {
	return EMAState{Updates: e.st.Updates, Shadow: cloneData(e.st.Shadow)}
}

// SetState replaces the state with a deep copy of s, as when resuming from a checkpoint. The
// update count must be non-negative and the shadow must have the current shadow's layout.
func (e *EMA) SetState(s EMAState) error {
	if s.Updates < 0 {
		return fmt.Errorf("optim: ema: state updates %d is negative", s.Updates)
	}
	if err := sameLayout(e.st.Shadow, s.Shadow, "shadow", "state shadow"); err != nil {
		return fmt.Errorf("optim: ema: %w", err)
	}
	e.st = EMAState{Updates: s.Updates, Shadow: cloneData(s.Shadow)}
	return nil
}
