package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/cdrl"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/train/data"
	"github.com/cdrl-go/cdrl/train/optim"
)

// trainer runs CDRL iterations (cdrl-method.md 4.2) on ONNX Runtime programs.
type trainer struct {
	cfg     Config
	data    data.Dataset
	shape   []int
	dim     int
	classes int
	nets    cdrl.Nets
	sched   infer.Schedule
	lang    infer.Langevin
	trs     []infer.Transition
	levels  cdrl.Levels // the logSNR tables the networks are conditioned on

	score, langevin, ebmStep, initFwd, initStep *program
	spectral                                    []nn.SpectralWeight
	dropout                                     []string // the initializer's dropout draws inputs (fed masks)
	dropoutKey                                  string   // its dropout key input (keyed masks), if any

	st                *State
	pcg               *rand.PCG
	rng               *rand.Rand
	ebmAdam, initAdam *optim.Adam
	ebmEMA, initEMA   *optim.EMA
	ebmWarm, initWarm optim.Warmup
	per               infer.PerSample
	ebmIndex, initIdx map[string]int

	fused bool        // the K Langevin steps run as one program (fuseSteps)
	group *timedGroup // the processes training this run together (solo for one)
	flat  []float32   // the flat buffer gradients are averaged in
}

// newTrainer builds the programs and either a fresh state or the given one (resume) for this
// process of group (nil: a process of its own).
func newTrainer(cfg Config, ds data.Dataset, st *State, sess ort.SessionConfig, group Group) (*trainer, error) {
	if group == nil {
		group = solo{}
	}
	t := &trainer{cfg: cfg, data: ds, shape: append([]int(nil), ds.Shape()...), group: &timedGroup{Group: group}}
	t.dim = tensor.Shape(t.shape).Size()
	if cfg.Conditional {
		t.classes = len(ds.Classes())
		if t.classes == 0 {
			return nil, configError("Conditional", true, fmt.Sprintf("needs labelled data; %s has no classes", ds.Name()))
		}
	}
	nets, err := networks(cfg, t.shape, t.classes)
	if err != nil {
		return nil, err
	}
	t.nets = nets
	if cfg.StepMode == "" { // user graphs: the setting follows the data
		cfg.StepMode = "image"
		if len(t.shape) == 1 {
			cfg.StepMode = "toy"
		}
		t.cfg.StepMode = cfg.StepMode
	}
	t.sched = infer.Schedule{Levels: cfg.Levels, LogSNRMin: cfg.LogSNRMin, LogSNRMax: cfg.LogSNRMax}
	mode, err := infer.ParseStepMode(cfg.StepMode)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	t.lang = infer.Langevin{Mode: mode}
	if t.trs, err = t.sched.Transitions(t.lang); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	for _, tr := range t.trs {
		t.levels.EBM = append(t.levels.EBM, tr.LogSNROut)
		t.levels.Init = append(t.levels.Init, tr.LogSNRIn)
	}
	if err := t.buildPrograms(t.levels, sess); err != nil {
		t.Close()
		return nil, err
	}
	if st == nil {
		st, err = t.freshState()
		if err != nil {
			t.Close()
			return nil, err
		}
	}
	if err := t.restore(st); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// networks returns the preset networks, or the user's imported graphs.
func networks(cfg Config, shape []int, classes int) (cdrl.Nets, error) {
	if cfg.EBMGraph == "" {
		nets, err := cdrl.Arch(cfg.Arch, shape, classes, int64(cfg.Seed))
		if err != nil {
			return cdrl.Nets{}, &SettingError{Field: "Config.Arch", Value: cfg.Arch, Err: err}
		}
		return nets, nil
	}
	nets, err := cdrl.ImportFiles(cfg.EBMGraph, cfg.InitGraph, cfg.IO, cfg.Freeze, classes)
	if err != nil {
		return cdrl.Nets{}, fmt.Errorf("train: %w", err)
	}
	if !tensor.Shape(nets.Shape).Equal(tensor.Shape(shape)) {
		return cdrl.Nets{}, fmt.Errorf("train: the EBM graph %s takes samples of shape %v, the data has %v", cfg.EBMGraph, nets.Shape, shape)
	}
	return nets, nil
}

func (t *trainer) buildPrograms(lv cdrl.Levels, sess ort.SessionConfig) error {
	var err error
	// build compiles a program; bake takes its params baked in (bakeSteps) instead of fed.
	build := func(dst **program, kind cdrl.ProgramKind, what string, bake bool) {
		if err != nil {
			return
		}
		c, cerr := t.nets.Compile(kind, lv, t.cfg.LangevinSteps)
		if cerr == nil && bake {
			var b *cdrl.Baker
			if b, cerr = t.nets.Baker(kind, lv, t.cfg.LangevinSteps); cerr == nil {
				*dst = newBakedProgram(c, b, sess)
			}
		} else if cerr == nil {
			*dst, cerr = newProgram(c, sess)
		}
		if cerr != nil {
			err = fmt.Errorf("train: building %s: %w", what, cerr)
		}
	}
	build(&t.ebmStep, cdrl.EBMStepProgram, "the EBM step", false)
	if err != nil {
		return err
	}
	t.spectral = t.ebmStep.Spectral
	// The other programs run where the first one landed (provider "auto" tries CUDA once).
	sess.Provider = t.ebmStep.sess.Provider()
	t.fused = fuseSteps(t.cfg, sess.Provider)
	t.nets.KeyedNoise = keyedNoise(sess.Provider)
	if t.fused {
		build(&t.langevin, cdrl.LangevinProgram, "the fused Langevin program", false)
	} else {
		build(&t.score, cdrl.ScoreProgram, "the score program", bakeSteps(sess.Provider, t.shape))
	}
	build(&t.initFwd, cdrl.InitForwardProgram, "the initializer forward", false)
	build(&t.initStep, cdrl.InitStepProgram, "the initializer step", false)
	if err == nil {
		t.dropout, t.dropoutKey = t.initFwd.Dropout, t.initFwd.DropoutKey
	}
	return err
}

// keyedNoise reports whether the training programs draw their random numbers from a key per
// sample on the given provider (cdrl.Nets.KeyedNoise: the initializer's dropout masks, the
// fused program's Langevin noise): on a GPU, where the draws are cheap and host-device copies
// are not. On the CPU drawing them in Go costs less than the generator's integer arithmetic in
// ONNX Runtime (MNIST tier M, batch 32: 2.2-2.3 s per iteration with the dropout draws fed,
// 2.6-3.0 s keyed, for 74 against 21 MB handed over). A variable, so tests can take the GPU's
// choice on the CPU.
var keyedNoise = func(provider string) bool { return strings.HasPrefix(provider, "cuda") }

// bakeSteps reports whether the score program that runs the K Langevin steps from Go takes
// the EBM's weights baked in, in a session built anew every iteration, rather than fed to
// every step: on the CPU for image data, where ONNX Runtime then pre-packs the weight
// matrices and runs the convolutions in its blocked layout. Alternating in one process, 10
// iterations each, an iteration ran 1.12x faster for the MNIST reference networks (batch 64)
// and 1.09x for the MNIST default; for points the session's build eats the gain: 1.01x for
// the official toy networks, whose session (4.9 MB of weights) takes about 50 ms to build, and
// 0.91x for the toy default (toy-small, one thread). A variable, so tests can take either side.
var bakeSteps = func(provider string, shape []int) bool { return provider == "cpu" && len(shape) > 1 }

// fuseSteps reports whether the K Langevin steps run as one program on the given provider:
// as configured when Config.FusedSet, otherwise on CUDA.
func fuseSteps(cfg Config, provider string) bool {
	if cfg.FusedSet {
		return cfg.Fused
	}
	return strings.HasPrefix(provider, "cuda")
}

// freshState takes the programs' initial params and draws the spectral-norm vectors.
func (t *trainer) freshState() (*State, error) {
	st := &State{Version: stateVersion, Config: t.cfg, SpectralU: map[string][]float32{}, SpectralV: map[string][]float32{}}
	var err error
	if st.EBM, err = paramsOf(t.ebmStep); err != nil {
		return nil, err
	}
	if st.Init, err = paramsOf(t.initStep); err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(t.cfg.Seed, t.cfg.Seed^0x9e3779b97f4a7c15)
	rng := rand.New(pcg)
	for _, sw := range t.spectral {
		u := make([]float32, sw.Rows)
		infer.Normal(u, rng)
		normalize(u)
		st.SpectralU[sw.Weight] = u
		st.SpectralV[sw.Weight] = make([]float32, sw.Cols)
	}
	if st.RNG, err = pcg.MarshalBinary(); err != nil {
		return nil, err
	}
	ebmEMA, err := optim.NewEMA(t.cfg.EMA, st.EBM.Data)
	if err != nil {
		return nil, err
	}
	initEMA, err := optim.NewEMA(t.cfg.EMA, st.Init.Data)
	if err != nil {
		return nil, err
	}
	st.EBMEMA, st.InitEMA = ebmEMA.State(), initEMA.State()
	return st, nil
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	n := float32(math.Max(math.Sqrt(s), 1e-12))
	for i := range v {
		v[i] /= n
	}
}

// paramsOf returns the initial values of a program's params.
func paramsOf(p *program) (*optim.Params, error) {
	var names []string
	var shapes [][]int
	for _, v := range p.Params {
		names = append(names, v.Name)
		shapes = append(shapes, v.Shape)
	}
	ps, err := optim.NewParams(names, shapes)
	if err != nil {
		return nil, err
	}
	for i, v := range p.Params {
		copy(ps.Data[i], v.Init)
	}
	return ps, nil
}

// restore installs st: optimisers, EMAs and the random source continue from it.
func (t *trainer) restore(st *State) error {
	t.st = st
	t.pcg = &rand.PCG{}
	if err := t.pcg.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("train: checkpoint random state: %w", err)
	}
	t.rng = rand.New(t.pcg)
	var err error
	if t.ebmAdam, err = optim.NewAdam(optim.DefaultAdam()); err != nil {
		return err
	}
	if t.initAdam, err = optim.NewAdam(optim.DefaultAdam()); err != nil {
		return err
	}
	if st.Step > 0 {
		if err := t.ebmAdam.SetState(st.EBMAdam); err != nil {
			return fmt.Errorf("train: checkpoint EBM optimiser: %w", err)
		}
		if err := t.initAdam.SetState(st.InitAdam); err != nil {
			return fmt.Errorf("train: checkpoint initializer optimiser: %w", err)
		}
	}
	if t.ebmEMA, err = optim.NewEMA(t.cfg.EMA, st.EBM.Data); err != nil {
		return err
	}
	if err := t.ebmEMA.SetState(st.EBMEMA); err != nil {
		return fmt.Errorf("train: checkpoint EBM EMA: %w", err)
	}
	if t.initEMA, err = optim.NewEMA(t.cfg.EMA, st.Init.Data); err != nil {
		return err
	}
	if err := t.initEMA.SetState(st.InitEMA); err != nil {
		return fmt.Errorf("train: checkpoint initializer EMA: %w", err)
	}
	t.ebmWarm = optim.Warmup{Steps: t.cfg.EBMWarmup}
	t.initWarm = optim.Warmup{Steps: t.cfg.InitWarmup, Offset: t.cfg.InitWarmupOffset}
	t.ebmIndex, t.initIdx = indexOf(st.EBM), indexOf(st.Init)
	for _, p := range []*program{t.ebmStep, t.score, t.langevin} {
		if p == nil {
			continue
		}
		for _, name := range p.Fed {
			if _, ok := t.ebmIndex[name]; !ok {
				return fmt.Errorf("train: the checkpoint has no EBM param %s (architecture changed?)", name)
			}
		}
	}
	for _, name := range t.initStep.Fed {
		if _, ok := t.initIdx[name]; !ok {
			return fmt.Errorf("train: the checkpoint has no initializer param %s (architecture changed?)", name)
		}
	}
	return nil
}

func indexOf(p *optim.Params) map[string]int {
	m := map[string]int{}
	for i, n := range p.Names {
		m[n] = i
	}
	return m
}

// snapshot saves the optimisers, EMAs and random source into t.st.
func (t *trainer) snapshot() error {
	t.st.EBMAdam, t.st.InitAdam = t.ebmAdam.State(), t.initAdam.State()
	t.st.EBMEMA, t.st.InitEMA = t.ebmEMA.State(), t.initEMA.State()
	var err error
	t.st.RNG, err = t.pcg.MarshalBinary()
	t.st.Config = t.cfg
	t.st.WorldSize = t.group.Size()
	return err
}

// tensors wraps params as tensors by name (no copy).
func tensors(p *optim.Params) map[string]*tensor.Tensor {
	m := make(map[string]*tensor.Tensor, p.Len())
	for i, n := range p.Names {
		m[n] = tensor.FromFloat32(p.Data[i], p.Shapes[i]...)
	}
	return m
}

// foldSpectral returns the EBM params with each spectral-normalised weight replaced by
// W / sigma, sigma = u^T W v with the stored vectors (what the non-spectral programs take).
func (t *trainer) foldSpectral(p *optim.Params) map[string]*tensor.Tensor {
	m := tensors(p)
	for _, sw := range t.spectral {
		i := t.ebmIndex[sw.Weight]
		w := p.Data[i]
		u, v := t.st.SpectralU[sw.Weight], t.st.SpectralV[sw.Weight]
		var sigma float64
		for r := 0; r < sw.Rows; r++ {
			var row float64
			for c := 0; c < sw.Cols; c++ {
				row += float64(w[r*sw.Cols+c]) * float64(v[c])
			}
			sigma += float64(u[r]) * row
		}
		f := make([]float32, len(w))
		inv := 1 / sigma
		for k, x := range w {
			f[k] = float32(float64(x) * inv)
		}
		m[sw.Weight] = tensor.FromFloat32(f, p.Shapes[i]...)
	}
	return m
}

// spectralFeeds returns the u, v inputs of the EBM step.
func (t *trainer) spectralFeeds(feeds map[string]*tensor.Tensor) {
	for _, sw := range t.spectral {
		feeds[sw.U] = tensor.FromFloat32(t.st.SpectralU[sw.Weight], sw.Rows)
		feeds[sw.V] = tensor.FromFloat32(t.st.SpectralV[sw.Weight], sw.Cols)
	}
}

// powerIterate runs one power iteration per spectral-normalised weight (PyTorch's train-mode
// forward, once per iteration).
func (t *trainer) powerIterate() error {
	for _, sw := range t.spectral {
		w := t.st.EBM.Data[t.ebmIndex[sw.Weight]]
		u, v, sigma := nn.PowerIteration(w, sw.Rows, sw.Cols, t.st.SpectralU[sw.Weight], 1)
		if u == nil || math.IsNaN(sigma) || math.IsInf(sigma, 0) || sigma == 0 {
			return fmt.Errorf("spectral norm of %s is %g", sw.Weight, sigma)
		}
		t.st.SpectralU[sw.Weight], t.st.SpectralV[sw.Weight] = u, v
	}
	return nil
}

// divergence reports the first non-finite value among named float slices.
func divergence(step int, named map[string][]float32) error {
	for name, xs := range named {
		if ok, _, idx := optim.AllFinite([][]float32{xs}); !ok {
			return fmt.Errorf("train: diverged at step %d: %s has a non-finite value (index %d)", step, name, idx)
		}
	}
	return nil
}

func gradsOf(out map[string]*tensor.Tensor, p *optim.Params, step int, net string) ([][]float32, error) {
	g := make([][]float32, p.Len())
	for i, name := range p.Names {
		t, ok := out[cdrl.GradPrefix+name]
		if !ok {
			// A param no output depends on (e.g. an unused class row) gets a zero gradient.
			g[i] = make([]float32, len(p.Data[i]))
			continue
		}
		if ok, _, idx := optim.AllFinite([][]float32{t.Float32}); !ok {
			return nil, fmt.Errorf("train: diverged at step %d: the %s gradient of %s is not finite (index %d)", step, net, name, idx)
		}
		g[i] = t.Float32
	}
	return g, nil
}

func scalarOut(out map[string]*tensor.Tensor, name string) float64 {
	if t := out[name]; t != nil && len(t.Float32) > 0 {
		return float64(t.Float32[0])
	}
	return math.NaN()
}

// traffic returns the ONNX Runtime traffic of every program so far, by program name.
func (t *trainer) traffic() map[string]ort.Traffic {
	out := make(map[string]ort.Traffic)
	for _, p := range t.programs() {
		out[p.Name] = p.traffic()
	}
	return out
}

// programs returns the programs the trainer built (the score program or the fused Langevin
// program, not both).
func (t *trainer) programs() []*program {
	var out []*program
	for _, p := range []*program{t.score, t.langevin, t.ebmStep, t.initFwd, t.initStep} {
		if p != nil {
			out = append(out, p)
		}
	}
	return out
}

// Close releases the programs.
func (t *trainer) Close() error {
	var errs []string
	for _, p := range []*program{t.score, t.langevin, t.ebmStep, t.initFwd, t.initStep} {
		if err := p.Close(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("train: close: %s", strings.Join(errs, "; "))
	}
	return nil
}
