package optim

import (
	"fmt"
	"math"
)

// AdamConfig holds the hyperparameters of Adam and AdamW.
type AdamConfig struct {
	// Beta1 is the decay of the first-moment average, in [0, 1).
	Beta1 float64
	// Beta2 is the decay of the second-moment average, in [0, 1).
	Beta2 float64
	// Eps is added to the bias-corrected root of the second moment; at least 0.
	Eps float64
	// WeightDecay is the decoupled (AdamW) weight decay, at least 0: each step first
	// multiplies the parameters by 1 - lr*WeightDecay. 0 gives plain Adam.
	WeightDecay float64
}

// DefaultAdam returns PyTorch's Adam defaults, which CDRL uses for both networks: betas 0.9
// and 0.999, eps 1e-8 and no weight decay. Set WeightDecay for AdamW.
func DefaultAdam() AdamConfig {
	return AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Validate checks that every hyperparameter is in its range (NaN never is).
func (c AdamConfig) Validate() error {
	switch {
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("optim: adam: beta1 %v outside [0, 1)", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("optim: adam: beta2 %v outside [0, 1)", c.Beta2)
	case !(c.Eps >= 0) || math.IsInf(c.Eps, 1):
		return fmt.Errorf("optim: adam: eps %v is not a finite number >= 0", c.Eps)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 1):
		return fmt.Errorf("optim: adam: weight decay %v is not a finite number >= 0", c.WeightDecay)
	}
	return nil
}

// AdamState is the complete state of an Adam: the number of steps taken and the first and
// second moment averages, laid out like the parameters. The moments are nil until the first
// step, which allocates them as zeros.
type AdamState struct {
	Step int64
	M, V [][]float32
}

// Adam is the Adam optimiser, with optional decoupled weight decay (AdamW), following
// torch.optim.Adam and torch.optim.AdamW. The parameter layout is fixed by the first Step
// (or by SetState); later steps must use the same layout.
type Adam struct {
	cfg AdamConfig
	st  AdamState
}

// NewAdam returns an Adam with the given hyperparameters and no steps taken.
func NewAdam(cfg AdamConfig) (*Adam, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Adam{cfg: cfg}, nil
}

// Config returns the hyperparameters.
func (a *Adam) Config() AdamConfig { return a.cfg }

// Step updates params in place from grads with learning rate lr (the scheduled rate of this
// step, which may be 0). With t the step count after incrementing, it computes per value
//
//	p <- p * (1 - lr*WeightDecay)
//	m <- Beta1*m + (1-Beta1)*g
//	v <- Beta2*v + (1-Beta2)*g^2
//	p <- p - lr/(1-Beta1^t) * m / (sqrt(v)/sqrt(1-Beta2^t) + Eps)
//
// grads must have the layout of params, and so must the moments after the first step. lr
// must be finite and non-negative. Non-finite gradients are not checked here: they make the
// moments and parameters non-finite (check first with ClipGlobalNorm or AllFinite). On an
// error nothing is changed.
func (a *Adam) Step(params, grads [][]float32, lr float64) error {
	if !(lr >= 0) || math.IsInf(lr, 1) {
		return fmt.Errorf("optim: adam: learning rate %v is not a finite number >= 0", lr)
	}
	if err := sameLayout(params, grads, "params", "grads"); err != nil {
		return fmt.Errorf("optim: adam: %w", err)
	}
	if a.st.Step == 0 && a.st.M == nil {
		a.st.M = zerosLayout(params)
		a.st.V = zerosLayout(params)
	}
	if err := sameLayout(params, a.st.M, "params", "state"); err != nil {
		return fmt.Errorf("optim: adam: %w", err)
	}

	c := a.cfg
	a.st.Step++
	t := float64(a.st.Step)
	stepSize := lr / (1 - math.Pow(c.Beta1, t))
	invBc2Sqrt := 1 / math.Sqrt(1-math.Pow(c.Beta2, t))
	decay := 1 - lr*c.WeightDecay
	c1, c2 := 1-c.Beta1, 1-c.Beta2
	for i, p := range params {
		g, m, v := grads[i][:len(p)], a.st.M[i][:len(p)], a.st.V[i][:len(p)]
		for j, pj := range p {
			gj := float64(g[j])
			mj := float32(c.Beta1*float64(m[j]) + c1*gj)
			vj := float32(c.Beta2*float64(v[j]) + c2*gj*gj)
			m[j], v[j] = mj, vj
			denom := math.Sqrt(float64(vj))*invBc2Sqrt + c.Eps
			p[j] = float32(decay*float64(pj) - stepSize*float64(mj)/denom)
		}
	}
	return nil
}

// State returns a deep copy of the state.
func (a *Adam) State() AdamState {
	return AdamState{Step: a.st.Step, M: cloneData(a.st.M), V: cloneData(a.st.V)}
}

// SetState replaces the state with a deep copy of s, as when resuming from a checkpoint. The
// step count must be non-negative and M and V must have the same layout; that layout must
// match the parameters of the next Step.
func (a *Adam) SetState(s AdamState) error {
	if s.Step < 0 {
		return fmt.Errorf("optim: adam: state step %d is negative", s.Step)
	}
	if err := sameLayout(s.M, s.V, "M", "V"); err != nil {
		return fmt.Errorf("optim: adam: state: %w", err)
	}
	a.st = AdamState{Step: s.Step, M: cloneData(s.M), V: cloneData(s.V)}
	return nil
}

// zerosLayout returns zeros laid out like xs.
func zerosLayout(xs [][]float32) [][]float32 {
	out := make([][]float32, len(xs))
	for i, x := range xs {
		out[i] = make([]float32, len(x))
	}
	return out
}
