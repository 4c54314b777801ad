package infer

import (
	"fmt"
	"math"
)

// MaxLevels is the largest number of transitions a Schedule may have. It bounds what a
// schedule read from a file can make Transitions allocate.
const MaxLevels = 1000

// MaxAbsLogSNR bounds |LogSNRMin| and |LogSNRMax|. Beyond it the noise std of the cleanest
// level underflows towards zero and the step constants lose all meaning.
const MaxAbsLogSNR = 40.0

// Schedule is CDRL's truncated-cosine logSNR schedule. Levels is the number of transitions T;
// the marginal levels are k = 0..T, level 0 the least noisy (logSNR LogSNRMax) and level T the
// noisiest (logSNR LogSNRMin). All quantities are computed in float64.
//
// The level methods (Theta, LogSNR, AlphaBar, Alpha, SigmaBar) return NaN for a level outside
// 0..Levels or for a schedule that does not Validate; Transition and Tweedie return errors.
type Schedule struct {
	Levels    int
	LogSNRMin float64
	LogSNRMax float64
}

// DefaultSchedule returns the schedule of every setting of the paper's code: 6 transitions,
// logSNR from 9.8 (level 0) down to -5.1 (level 6).
func DefaultSchedule() Schedule {
	return Schedule{Levels: 6, LogSNRMin: -5.1, LogSNRMax: 9.8}
}

// Validate reports whether the schedule is usable: 1 <= Levels <= MaxLevels, both logSNR
// bounds finite and within ±MaxAbsLogSNR, and LogSNRMin < LogSNRMax.
func (s Schedule) Validate() error {
	if s.Levels < 1 || s.Levels > MaxLevels {
		return fmt.Errorf("infer: schedule levels %d outside 1..%d", s.Levels, MaxLevels)
	}
	for _, b := range []struct {
		name string
		v    float64
	}{{"LogSNRMin", s.LogSNRMin}, {"LogSNRMax", s.LogSNRMax}} {
		if math.IsNaN(b.v) || math.Abs(b.v) > MaxAbsLogSNR {
			return fmt.Errorf("infer: schedule %s %v outside [-%g, %g]", b.name, b.v, MaxAbsLogSNR, MaxAbsLogSNR)
		}
	}
	if !(s.LogSNRMin < s.LogSNRMax) {
		return fmt.Errorf("infer: schedule LogSNRMin %v not below LogSNRMax %v", s.LogSNRMin, s.LogSNRMax)
	}
	return nil
}

// Theta returns the angle theta_k = A*k/T + B of level k, with B = atan(exp(-LogSNRMax/2))
// and A = atan(exp(-LogSNRMin/2)) - B. The other level quantities derive from it:
// cos^2(theta_k) is the signal variance, and theta_k/(pi/2) is the embedding input tau_k.
func (s Schedule) Theta(k int) float64 {
	if s.Validate() != nil || k < 0 || k > s.Levels {
		return math.NaN()
	}
	lo := math.Atan(math.Exp(-s.LogSNRMax / 2))
	hi := math.Atan(math.Exp(-s.LogSNRMin / 2))
	return lo + (hi-lo)*float64(k)/float64(s.Levels)
}

// LogSNR returns lambda_k = -2 ln tan(theta_k): LogSNRMax at k = 0, LogSNRMin at k = Levels.
func (s Schedule) LogSNR(k int) float64 {
	switch {
	case s.Validate() != nil || k < 0 || k > s.Levels:
		return math.NaN()
	case k == 0:
		return s.LogSNRMax
	case k == s.Levels:
		return s.LogSNRMin
	}
	return -2 * math.Log(math.Tan(s.Theta(k)))
}

// AlphaBar returns the signal variance abar_k = sigmoid(lambda_k) = cos^2(theta_k).
func (s Schedule) AlphaBar(k int) float64 {
	c := math.Cos(s.Theta(k))
	return c * c
}

// Alpha returns the signal scale alpha_k = sqrt(abar_k) = cos(theta_k).
func (s Schedule) Alpha(k int) float64 { return math.Cos(s.Theta(k)) }

// SigmaBar returns the noise std sbar_k = sqrt(1 - abar_k) = sin(theta_k), free of the
// cancellation that 1 - abar_k suffers at level 0.
func (s Schedule) SigmaBar(k int) float64 { return math.Sin(s.Theta(k)) }

// LogSNRs returns lambda_0..lambda_Levels, the table of logSNR values a network's time path
// can be precomputed for. It returns nil for a schedule that does not Validate.
func (s Schedule) LogSNRs() []float64 {
	if s.Validate() != nil {
		return nil
	}
	out := make([]float64, s.Levels+1)
	for k := range out {
		out[k] = s.LogSNR(k)
	}
	return out
}

// StepMode selects the Langevin step-size constants c_t of a setting.
type StepMode int

const (
	// ImageSteps is the image setting: b = 2e-4 and c_t = sbar_{t-1}/sbar_0.
	ImageSteps StepMode = iota + 1
	// ToySteps is the 2D toy setting: b = 1e-3 and c_t = 1/sbar_0 for every t.
	ToySteps
)

// String returns "image" or "toy", the names a bundle manifest uses.
func (m StepMode) String() string {
	switch m {
	case ImageSteps:
		return "image"
	case ToySteps:
		return "toy"
	}
	return fmt.Sprintf("StepMode(%d)", int(m))
}

// ParseStepMode maps "image" and "toy" to their StepMode.
func ParseStepMode(name string) (StepMode, error) {
	switch name {
	case "image":
		return ImageSteps, nil
	case "toy":
		return ToySteps, nil
	}
	return 0, fmt.Errorf("infer: step mode %q is neither \"image\" nor \"toy\"", name)
}

// DefaultB returns the mode's step constant b: 2e-4 for ImageSteps, 1e-3 for ToySteps, and 0
// for an unknown mode.
func (m StepMode) DefaultB() float64 {
	switch m {
	case ImageSteps:
		return 2e-4
	case ToySteps:
		return 1e-3
	}
	return 0
}

// Langevin selects the step sizes of the Langevin refinement: s_t^2 = 2 b c_t sigma_t^2 and
// q_t = b c_t (1 - F_t), with c_t given by Mode.
type Langevin struct {
	Mode StepMode
	// B is the step constant b; 0 means Mode.DefaultB().
	B float64
}

// Validate reports whether Mode is known and B is finite and not negative.
func (l Langevin) Validate() error {
	if l.Mode != ImageSteps && l.Mode != ToySteps {
		return fmt.Errorf("infer: langevin mode %v unknown", l.Mode)
	}
	if math.IsNaN(l.B) || math.IsInf(l.B, 0) || l.B < 0 {
		return fmt.Errorf("infer: langevin b %v not a finite non-negative number", l.B)
	}
	return nil
}

// StepB returns the step constant b in use: B, or the mode's default when B is 0.
func (l Langevin) StepB() float64 {
	if l.B == 0 {
		return l.Mode.DefaultB()
	}
	return l.B
}

// Transition holds every constant of transition t, which connects level t (the noisier input
// x_t) to level t-1 (the target, modelled in the scaled space y = sqrt(M) x_{t-1}).
type Transition struct {
	T         int     // the transition, 1..Levels
	LogSNRIn  float64 // lambda_t: the initializer's conditioning
	LogSNROut float64 // lambda_{t-1}: the EBM's conditioning
	R         float64 // r_t = abar_t / abar_{t-1}
	Sigma2    float64 // sigma_t^2 = 1 - r_t, the forward step variance
	BTilde    float64 // DDPM posterior variance (1 - abar_{t-1})/(1 - abar_t) sigma_t^2
	Final     bool    // t == Levels: no quadratic coupling to x_t and no scaling
	M         float64 // 1 if Final, else r_t: the scale of the target space is sqrt(M)
	B         float64 // the Langevin step constant b
	C         float64 // the step-size factor c_t of the StepMode
	S2        float64 // Langevin noise variance s_t^2 = 2 b c_t sigma_t^2
	S         float64 // Langevin noise std s_t
	Q         float64 // pull towards x_t per step: b c_t, or 0 if Final
	W         float64 // EBM loss weight sigma_1 / sigma_t
	InitStd   float64 // initializer noise std sqrt(BTilde * M)
}

// Transition returns the constants of transition t (1..Levels) under the step sizes l.
func (s Schedule) Transition(t int, l Langevin) (Transition, error) {
	if err := s.Validate(); err != nil {
		return Transition{}, err
	}
	if err := l.Validate(); err != nil {
		return Transition{}, err
	}
	if t < 1 || t > s.Levels {
		return Transition{}, fmt.Errorf("infer: transition %d outside 1..%d", t, s.Levels)
	}
	sigma2 := s.stepVariance(t)
	sbarIn, sbarOut := s.SigmaBar(t), s.SigmaBar(t-1)
	tr := Transition{
		T:         t,
		LogSNRIn:  s.LogSNR(t),
		LogSNROut: s.LogSNR(t - 1),
		R:         1 - sigma2,
		Sigma2:    sigma2,
		BTilde:    sbarOut * sbarOut / (sbarIn * sbarIn) * sigma2,
		Final:     t == s.Levels,
		M:         1,
		B:         l.StepB(),
		W:         math.Sqrt(s.stepVariance(1) / sigma2),
	}
	if !tr.Final {
		tr.M = tr.R
	}
	switch l.Mode {
	case ImageSteps:
		tr.C = sbarOut / s.SigmaBar(0)
	case ToySteps:
		tr.C = 1 / s.SigmaBar(0)
	}
	tr.S2 = 2 * tr.B * tr.C * sigma2
	tr.S = math.Sqrt(tr.S2)
	if !tr.Final {
		tr.Q = tr.B * tr.C
	}
	tr.InitStd = math.Sqrt(tr.BTilde * tr.M)
	for _, v := range []float64{tr.R, tr.Sigma2, tr.BTilde, tr.C, tr.S2, tr.W, tr.InitStd} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Transition{}, fmt.Errorf("infer: transition %d of schedule %+v has non-finite constants", t, s)
		}
	}
	return tr, nil
}

// Transitions returns transitions 1..Levels; element i is transition i+1.
func (s Schedule) Transitions(l Langevin) ([]Transition, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := make([]Transition, s.Levels)
	for i := range out {
		tr, err := s.Transition(i+1, l)
		if err != nil {
			return nil, err
		}
		out[i] = tr
	}
	return out, nil
}

// stepVariance returns sigma_t^2 = 1 - abar_t/abar_{t-1} of a valid schedule and transition,
// as (cos^2 a - cos^2 b)/cos^2 a = sin(b-a) sin(b+a)/cos^2 a with a = theta_{t-1}, b = theta_t,
// which keeps full relative precision however close the two levels are.
func (s Schedule) stepVariance(t int) float64 {
	a, b := s.Theta(t-1), s.Theta(t)
	ca := math.Cos(a)
	return math.Sin(b-a) * math.Sin(b+a) / (ca * ca)
}

// Tweedie holds the constants of the final denoising step that maps level-0 samples x to clean
// data (method doc section 6):
//
//	score = InScale * grad / ScoreDiv,  grad = df/dy at y = InScale * x, logSNR = LogSNR
//	x     = (x + OneMinusAbar0 * score) / SqrtAbar0
//
// ScoreDiv is b c_1 sigma_1^2 = s_1^2/2, as in the reference code, which makes the score twice
// the one of the Langevin density f/s_1^2; set ScoreDiv to S2 of transition 1 for the
// density-consistent step.
type Tweedie struct {
	InScale       float64 // sqrt(m_1) (= sqrt(r_1) unless Levels is 1): the EBM reads y = InScale * x
	LogSNR        float64 // lambda_0, the EBM's conditioning
	ScoreDiv      float64 // b c_1 sigma_1^2
	OneMinusAbar0 float64 // 1 - abar_0 = sbar_0^2
	SqrtAbar0     float64 // alpha_0
}

// Tweedie returns the final denoising constants of the schedule under the step sizes l.
func (s Schedule) Tweedie(l Langevin) (Tweedie, error) {
	tr, err := s.Transition(1, l)
	if err != nil {
		return Tweedie{}, err
	}
	sbar0 := s.SigmaBar(0)
	return Tweedie{
		InScale:       math.Sqrt(tr.M),
		LogSNR:        tr.LogSNROut,
		ScoreDiv:      tr.B * tr.C * tr.Sigma2,
		OneMinusAbar0: sbar0 * sbar0,
		SqrtAbar0:     s.Alpha(0),
	}, nil
}
