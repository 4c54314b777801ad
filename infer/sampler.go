package infer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Sampler draws samples from a trained bundle: from noise, level by level, an initializer
// proposal refined by Langevin steps on the energy (cdrl-method.md section 6), with
// classifier-free guidance for conditional models (section 7).
//
// A Sampler is safe for concurrent use by many goroutines: it holds only read-only state and
// ONNX Runtime sessions, whose Run is concurrency-safe.
type Sampler struct {
	m       bundle.Manifest
	dim     int
	sched   Schedule
	lang    Langevin
	trs     []Transition
	tweedie Tweedie
	energy  *ort.Session
	init    *ort.Session
}

// NewSampler opens the bundle's graphs in ONNX Runtime and checks their inputs and outputs
// against the manifest.
func NewSampler(b *bundle.Bundle, cfg ort.SessionConfig) (*Sampler, error) {
	m := b.Manifest
	mode, err := ParseStepMode(m.Langevin.CMode)
	if err != nil {
		return nil, fmt.Errorf("infer: %s: %w", bundle.ManifestFile, err)
	}
	s := &Sampler{m: m, sched: Schedule{Levels: m.Schedule.Levels, LogSNRMin: m.Schedule.LogSNRMin, LogSNRMax: m.Schedule.LogSNRMax},
		lang: Langevin{Mode: mode, B: m.Langevin.B}, dim: tensor.Shape(m.Shape).Size()}
	if s.trs, err = s.sched.Transitions(s.lang); err != nil {
		return nil, fmt.Errorf("infer: %s: %w", bundle.ManifestFile, err)
	}
	if s.tweedie, err = s.sched.Tweedie(s.lang); err != nil {
		return nil, fmt.Errorf("infer: %s: %w", bundle.ManifestFile, err)
	}
	open := func(role string, g bundle.Graph) (*ort.Session, error) {
		data, err := b.ReadGraph(role)
		if err != nil {
			return nil, err
		}
		sess, err := ort.NewSession(data, cfg)
		if err != nil {
			return nil, fmt.Errorf("infer: %s: %w", g.File, err)
		}
		if err := checkIO(sess, g); err != nil {
			sess.Close()
			return nil, err
		}
		return sess, nil
	}
	if s.energy, err = open(bundle.GraphEnergy, m.Graphs.Energy); err != nil {
		return nil, err
	}
	if s.init, err = open(bundle.GraphInitializer, m.Graphs.Initializer); err != nil {
		s.energy.Close()
		return nil, err
	}
	return s, nil
}

// checkIO reports a graph whose inputs or outputs differ from the manifest's list.
func checkIO(sess *ort.Session, g bundle.Graph) error {
	names := func(infos []ort.Info) []string {
		var out []string
		for _, i := range infos {
			out = append(out, i.Name)
		}
		slices.Sort(out)
		return out
	}
	want := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	if got, w := names(sess.Inputs()), want(g.Inputs); !slices.Equal(got, w) {
		return fmt.Errorf("infer: %s: inputs %v, the manifest says %v", g.File, got, w)
	}
	if got, w := names(sess.Outputs()), want(g.Outputs); !slices.Equal(got, w) {
		return fmt.Errorf("infer: %s: outputs %v, the manifest says %v", g.File, got, w)
	}
	return nil
}

// Manifest returns the bundle's manifest.
func (s *Sampler) Manifest() bundle.Manifest { return s.m }

// Close releases the ONNX Runtime sessions.
func (s *Sampler) Close() error {
	if s == nil {
		return nil
	}
	err := s.energy.Close()
	if e := s.init.Close(); err == nil {
		err = e
	}
	return err
}

// SampleOptions configure Sample.
type SampleOptions struct {
	// Seed seeds the sampler's noise: the same seed, model, N, thread count and provider give
	// the same samples.
	Seed uint64
	// Class is the internal class id (label index + 1) of every sample; 0 samples
	// unconditionally (the null class). Classes, when set, gives one id per sample instead.
	Class   int64
	Classes []int64
	// Guidance is the classifier-free guidance weight w (conditional models, Class > 0).
	Guidance float64
	// Steps is the number of Langevin steps per level; 0 means the manifest's.
	Steps int
	// Levels, when not nil, receives a copy of the samples at every level (index k = level k,
	// index Levels = the start noise), before the final denoising step.
	Levels *[][]float32
	// Progress, when not nil, is called after each level with the level reached (T-1 .. 0).
	Progress func(level int)
}

// Sample draws n samples and returns them as (n, shape...) float32 values in the data range.
func (s *Sampler) Sample(ctx context.Context, n int, o SampleOptions) ([]float32, error) {
	if n < 1 {
		return nil, fmt.Errorf("infer: sample: n = %d, want at least 1", n)
	}
	classes, err := s.classIDs(n, o)
	if err != nil {
		return nil, err
	}
	k := o.Steps
	if k == 0 {
		k = s.m.Langevin.Steps
	}
	if k < 0 {
		return nil, fmt.Errorf("infer: sample: %d Langevin steps", k)
	}
	if o.Guidance < 0 {
		return nil, fmt.Errorf("infer: sample: guidance %g must be >= 0", o.Guidance)
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5851f42d4c957f2d))
	d := n * s.dim
	x := make([]float32, d)
	Normal(x, rng)
	y, grad, noise := make([]float32, d), make([]float32, d), make([]float32, d)
	var levels [][]float32
	record := func() { levels = append(levels, slices.Clone(x)) }
	record()
	var per PerSample
	ts := make([]int, n)
	for t := s.sched.Levels; t >= 1; t-- {
		for i := range ts {
			ts[i] = t
		}
		if err := per.Fill(s.trs, ts); err != nil {
			return nil, err
		}
		if err := s.initMean(ctx, y, x, n, per.LogSNRIn, classes, o.Guidance); err != nil {
			return nil, err
		}
		Normal(noise, rng)
		for i := range y {
			y[i] += per.InitStd[i/s.dim] * noise[i]
		}
		for j := 0; j < k; j++ {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("infer: sample: %w", err)
			}
			if err := s.energyGrad(ctx, grad, y, n, per.LogSNROut, classes, o.Guidance); err != nil {
				return nil, err
			}
			Normal(noise, rng)
			if err := LangevinStep(y, y, grad, x, noise, s.dim, per.Q, per.S); err != nil {
				return nil, err
			}
		}
		if err := Unscale(x, y, s.dim, per.M); err != nil {
			return nil, err
		}
		record()
		if o.Progress != nil {
			o.Progress(t - 1)
		}
	}
	if s.m.Langevin.Tweedie {
		if err := s.denoise(ctx, x, n, classes, o.Guidance); err != nil {
			return nil, err
		}
	}
	if o.Levels != nil {
		slices.Reverse(levels)
		*o.Levels = levels
	}
	return x, nil
}

func (s *Sampler) classIDs(n int, o SampleOptions) ([]int64, error) {
	if len(s.m.Classes) == 0 {
		if o.Class != 0 || len(o.Classes) > 0 {
			return nil, fmt.Errorf("infer: sample: the model is unconditional; it takes no class")
		}
		return nil, nil
	}
	ids := o.Classes
	if ids == nil {
		ids = make([]int64, n)
		for i := range ids {
			ids[i] = o.Class
		}
	}
	if len(ids) != n {
		return nil, fmt.Errorf("infer: sample: %d class ids for %d samples", len(ids), n)
	}
	for _, id := range ids {
		if id < 0 || id > int64(len(s.m.Classes)) {
			return nil, fmt.Errorf("infer: sample: class id %d outside 0..%d", id, len(s.m.Classes))
		}
	}
	return ids, nil
}

// guided runs a graph once on a batch that holds the conditional and the null-class halves
// when guidance applies, and mixes the output as (1+w) cond - w uncond.
func (s *Sampler) guided(ctx context.Context, sess *ort.Session, output string, dst, x []float32, n int, logsnr []float32, classes []int64, w float64) error {
	shape := append([]int{n}, s.m.Shape...)
	feeds := map[string]*tensor.Tensor{bundle.InputX: tensor.FromFloat32(x, shape...), bundle.InputLogSNR: tensor.FromFloat32(logsnr, n)}
	guide := classes != nil && w != 0
	if classes != nil {
		feeds[bundle.InputClass] = tensor.FromInt64(classes, n)
	}
	if guide {
		shape[0] = 2 * n
		feeds[bundle.InputX] = tensor.FromFloat32(append(slices.Clone(x), x...), shape...)
		feeds[bundle.InputLogSNR] = tensor.FromFloat32(append(slices.Clone(logsnr), logsnr...), 2*n)
		feeds[bundle.InputClass] = tensor.FromInt64(append(slices.Clone(classes), make([]int64, n)...), 2*n)
	}
	out, err := sess.Run(ctx, feeds)
	if err != nil {
		return fmt.Errorf("infer: %w", err)
	}
	v := out[output].Float32
	if !guide {
		copy(dst, v)
		return nil
	}
	half := len(v) / 2
	return Guide(dst, v[:half], v[half:], float32(w))
}

func (s *Sampler) initMean(ctx context.Context, dst, x []float32, n int, logsnr []float32, classes []int64, w float64) error {
	return s.guided(ctx, s.init, bundle.OutputY, dst, x, n, logsnr, classes, w)
}

func (s *Sampler) energyGrad(ctx context.Context, dst, y []float32, n int, logsnr []float32, classes []int64, w float64) error {
	return s.guided(ctx, s.energy, bundle.OutputGrad, dst, y, n, logsnr, classes, w)
}

// denoise applies the final Tweedie step to level-0 samples x in place.
func (s *Sampler) denoise(ctx context.Context, x []float32, n int, classes []int64, w float64) error {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(s.tweedie.InScale) * v
	}
	logsnr := make([]float32, n)
	for i := range logsnr {
		logsnr[i] = float32(s.tweedie.LogSNR)
	}
	grad := make([]float32, len(x))
	if err := s.energyGrad(ctx, grad, y, n, logsnr, classes, w); err != nil {
		return err
	}
	return s.tweedie.Denoise(x, x, grad)
}

// Energy returns, for n inputs x at noise level `level` (0..T-1, 0 = least noisy), the EBM's
// f(y, lambda_level) with y = sqrt(m) x in the scaled space of transition level+1, and df/dy.
// The unnormalised log-density of the level is f / s^2 (LogDensityScale).
func (s *Sampler) Energy(ctx context.Context, x []float32, n, level int, classes []int64) (energy, grad []float32, err error) {
	tr, err := s.transitionAt(level)
	if err != nil {
		return nil, nil, err
	}
	if len(x) != n*s.dim {
		return nil, nil, fmt.Errorf("infer: energy: %d values for %d inputs of %d", len(x), n, s.dim)
	}
	if len(s.m.Classes) == 0 && classes != nil {
		return nil, nil, fmt.Errorf("infer: energy: the model is unconditional; it takes no class")
	}
	if len(s.m.Classes) > 0 && classes == nil {
		classes = make([]int64, n)
	}
	y := make([]float32, len(x))
	scale := float32(math.Sqrt(tr.M))
	for i, v := range x {
		y[i] = scale * v
	}
	logsnr := make([]float32, n)
	for i := range logsnr {
		logsnr[i] = float32(tr.LogSNROut)
	}
	feeds := map[string]*tensor.Tensor{bundle.InputX: tensor.FromFloat32(y, append([]int{n}, s.m.Shape...)...), bundle.InputLogSNR: tensor.FromFloat32(logsnr, n)}
	if classes != nil {
		feeds[bundle.InputClass] = tensor.FromInt64(classes, n)
	}
	out, err := s.energy.Run(ctx, feeds)
	if err != nil {
		return nil, nil, fmt.Errorf("infer: energy: %w", err)
	}
	return out[bundle.OutputEnergy].Float32, out[bundle.OutputGrad].Float32, nil
}

// LogDensityScale returns 1/s^2 of the transition into level `level`: f times it is the
// level's unnormalised log-density (cdrl-method.md 2.1).
func (s *Sampler) LogDensityScale(level int) (float64, error) {
	tr, err := s.transitionAt(level)
	if err != nil {
		return 0, err
	}
	return 1 / tr.S2, nil
}

func (s *Sampler) transitionAt(level int) (Transition, error) {
	if level < 0 || level >= s.sched.Levels {
		return Transition{}, fmt.Errorf("infer: level %d outside 0..%d", level, s.sched.Levels-1)
	}
	return s.trs[level], nil
}
