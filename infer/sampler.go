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
// classifier-free guidance for conditional models (section 7). Besides Sample it inpaints
// (Inpaint, 8.3), samples compositions of classes (Compose, 8.2), scores inputs for
// out-of-distribution detection (OOD, 8.1) and evaluates the energy of a level (Energy).
//
// Every network call batches what guidance or composition needs: the conditional and the
// null-class halves (or one group per composed class plus the null class) run as one batch, and
// the outputs are mixed in Go. SampleOptions.Batch splits large n into chunks sampled one after
// the other.
//
// Randomness: sample i draws all its noise from its own stream, seeded from (Seed, i), so the
// same options give bit-identical results, and sample i does not depend on n or on the chunk
// size except through ONNX Runtime's rounding, which may differ between batch sizes (and which
// a chain can amplify where the networks' piecewise-linear activations switch).
//
// Cancellation: the context is checked before every Langevin step and passed to every ONNX
// Runtime run, which terminates when it is done; the methods then return an error wrapping
// ctx.Err().
//
// A Sampler is safe for concurrent use by many goroutines: it holds only read-only state and
// ONNX Runtime sessions, whose Run is concurrency-safe; every call allocates its own buffers.
// Close may be called at any time: it waits for network runs in progress, and calls still
// sampling then fail with an error wrapping ort.ErrClosed.
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
		if err := checkIO(sess, g, m.Shape); err != nil {
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

// checkIO reports a graph whose inputs or outputs differ from the manifest's list, or whose
// sample input x declares a shape other than the manifest's (N, shape...) where it fixes one.
func checkIO(sess *ort.Session, g bundle.Graph, shape []int) error {
	for _, in := range sess.Inputs() {
		if in.Name == bundle.InputX && !fitsSampleShape(in.Shape, shape) {
			return fmt.Errorf("infer: %s: input x has shape %v; the manifest's samples have shape %v (with a batch dimension first)", g.File, in.Shape, shape)
		}
	}
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

// fitsSampleShape reports whether a declared input shape (negative = dynamic) can hold a batch
// of samples of the given shape.
func fitsSampleShape(declared tensor.Shape, shape []int) bool {
	if len(declared) != len(shape)+1 {
		return false
	}
	for i, d := range shape {
		if declared[i+1] >= 0 && declared[i+1] != d {
			return false
		}
	}
	return true
}

// Manifest returns the bundle's manifest.
func (s *Sampler) Manifest() bundle.Manifest { return s.m }

// Close releases the ONNX Runtime sessions. It is safe on a nil Sampler and more than once.
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

// SampleOptions configure Sample, SampleFrom, Inpaint and Compose. The zero value samples
// unconditionally with the model's defaults; with a class set it guides with the model's
// guidance weight.
type SampleOptions struct {
	// Seed seeds the sampler's noise. Every sample draws its noise from its own stream, made
	// from Seed and the sample's index, so sample i is the same whatever n and Batch are, up to
	// the rounding differences ONNX Runtime kernels may show between batch sizes. The same seed,
	// model, n, Batch, thread count and provider give bit-identical samples.
	Seed uint64
	// Class is the internal class id (label index + 1, Sampler.ClassID) of every sample; 0
	// samples unconditionally (the null class). Inpaint also takes AutoClass: the class the
	// known pixels show. Classes, when set, gives one id per sample instead.
	Class   int64
	Classes []int64
	// Guidance is the classifier-free guidance weight w >= 0 of the samples that have a class
	// (the null class is never guided); for Compose it is the composition's weight. It is a
	// pointer so that the zero value means the model's default: nil guides with the weight the
	// model was measured best at (Sampler.GuidanceWeight: the manifest's guidance_default; for
	// Inpaint Sampler.InpaintGuidanceWeight: its inpaint_guidance when set). Weight(w) sets a
	// weight, Weight(0) turns guidance off.
	Guidance *float64
	// Inferred, when not nil and Class is AutoClass, receives the class Inpaint inferred from
	// the known pixels and its probability (InferClass). It is left alone otherwise.
	Inferred *InferredClass
	// Steps is the number of Langevin steps per level; 0 means the manifest's, NoLangevin
	// none.
	Steps int
	// Resample, for Inpaint only, repeats every transition Resample more times: the completed
	// x_{t-1} is noised back to level t with the forward process and the transition runs
	// again, so that the generated region agrees with the known one at every level (RePaint's
	// resampling, jump length 1). Each repeat costs one more pass; 0 is plain replacement.
	Resample int
	// Batch, when positive, splits the n samples into chunks of at most Batch samples that are
	// sampled one after the other, which bounds memory for large n; 0 samples all n at once.
	Batch int
	// Levels, when not nil, receives a copy of the samples at every level (index k = level k,
	// index Levels = the start noise), before the final denoising step. SampleFrom fills the
	// levels from its start level down and leaves the ones above it nil.
	Levels *[][]float32
	// Stream, when not nil, receives the samples chunk by chunk instead of the returned slice,
	// which is then nil: Stream(lo, x) gets samples lo, lo+1, ... (x holds them as (k,
	// shape...) values) as soon as their chunk is complete, chunks in order. Only one chunk of
	// samples is held at a time, so memory is bounded by Batch rather than n, and the memory
	// check counts one chunk. x is reused for the next chunk once Stream returns. An error from
	// Stream stops the task and is returned as it is. Levels must be nil.
	Stream func(lo int, x []float32) error
	// Progress, when not nil, is told where the sampler is: after every Langevin step, and once
	// more when a level is complete (StepInfo.LevelDone; with several chunks the levels repeat
	// for every chunk). It runs on the sampling goroutine: a slow Progress slows sampling, and
	// cancelling the context from it stops the sampler before the next step.
	Progress func(StepInfo)
}

// Weight returns a pointer to w, for SampleOptions.Guidance: Weight(0) samples a class without
// guidance, Weight(w) guides with weight w.
func Weight(w float64) *float64 { return &w }

// AutoClass, as SampleOptions.Class of Inpaint, asks for the class the known pixels show:
// Inpaint infers it first (InferClass, seeded with SampleOptions.Seed), completes with it under
// guidance (the manifest's inpainting weight unless SampleOptions.Guidance says otherwise) and
// reports it through SampleOptions.Inferred. It needs a conditional model; Sample, SampleFrom
// and Compose do not take it.
const AutoClass int64 = -1

// NoLangevin, as SampleOptions.Steps, runs no Langevin step: every level is the initializer's
// proposal alone. The final denoising step, when the manifest has one, still reads the energy.
const NoLangevin = -1

// StepInfo says where a sampler is, for SampleOptions.Progress.
type StepInfo struct {
	Chunk, Chunks int // the chunk being sampled (0-based) and the number of chunks
	Level         int // the level being refined into, T-1 .. 0
	// Step and Steps are the Langevin steps done at this level (1..Steps; with
	// SampleOptions.Resample, in the current pass) and their number.
	Step, Steps int
	// LevelDone marks the report made once the level is complete, after all its passes: the
	// samples have reached Level (and are recorded in SampleOptions.Levels). Step is then
	// Steps, and no step was made since the previous report.
	LevelDone bool
}

// maxGroups bounds the class groups one network call may batch (Compose's classes plus the
// null class).
const maxGroups = 64

// mixture is the combination of network outputs a sampler uses: the outputs for the class ids
// of groups[g] (ignored by a model without classes), weighted by weights[g] and summed.
// Sampling without guidance is one group of weight 1; guidance with weight w is the groups
// (c, 0) with weights (1+w, -w); Compose has one group per class plus the null class. All
// groups run as one batch of len(groups)*n samples.
type mixture struct {
	groups  []classGroup
	weights []float32
}

// classGroup holds the class ids of a task's samples: ids[i] for sample i when ids is set, else
// id for every sample, so that a task of one class holds no per-sample ids (a streamed task's
// memory stays bounded by its chunk). The zero value is the null class.
type classGroup struct {
	ids []int64
	id  int64
}

// appendChunk appends the class ids of the n samples from lo to dst.
func (g classGroup) appendChunk(dst []int64, lo, n int) []int64 {
	if g.ids != nil {
		return append(dst, g.ids[lo:lo+n]...)
	}
	for range n {
		dst = append(dst, g.id)
	}
	return dst
}

// conditioned reports whether some sample has a class other than the null class.
func (g classGroup) conditioned() bool {
	if g.ids != nil {
		return slices.ContainsFunc(g.ids, func(id int64) bool { return id != bundle.NullClass })
	}
	return g.id != bundle.NullClass
}

// observeRun, when not nil, is told of every network call of a sampling task: the task, the
// graph's role and the batch size. Only tests set it (export_test.go).
var observeRun func(op, graph string, batch int)

// plan is one sampling task: Sample, Inpaint or Compose.
type plan struct {
	op    string // "sample", "sample-from", "inpaint" or "compose", for errors
	n     int
	steps int
	w     float64 // the guidance weight, SampleOptions.Guidance or the model's default
	mix   mixture
	o     SampleOptions
	// obs and known are the observed image and its known elements (Inpaint), else nil.
	obs   []float32
	known []bool
	// from is the level sampling starts at and start its n inputs there (SampleFrom); nil
	// start: from is the top level and the start is noise.
	from  int
	start []float32
}

// Sample draws n samples and returns them as (n, shape...) float32 values; image samples are
// clamped to the manifest's range after the final denoising step (cdrl-method.md 6), points
// are not. Samples with a class are guided with o.Guidance, by default the manifest's
// guidance_default (GuidanceWeight).
func (s *Sampler) Sample(ctx context.Context, n int, o SampleOptions) ([]float32, error) {
	p, err := s.newPlan("sample", n, o)
	if err != nil {
		return nil, err
	}
	classes, err := s.classIDs("sample", n, o)
	if err != nil {
		return nil, err
	}
	p.mix = s.guidance(classes, p.w)
	return s.run(ctx, p)
}

// SampleFrom continues n samples from level (1..Levels), where x holds them as (n, shape...)
// values: each transition level, ..., 1 runs as in Sample, then the final denoising step and,
// for images, the clamping. Starting from data noised to a level (Schedule.Noise) draws
// variations that keep the data's coarse structure, looser the higher the level; the
// evaluation starts from noised test digits to measure every transition against the forward
// process. The noise streams are Sample's: SampleFrom from Sample's start noise at the top
// level (SampleOptions.Levels) returns Sample's samples.
func (s *Sampler) SampleFrom(ctx context.Context, x []float32, n, level int, o SampleOptions) ([]float32, error) {
	p, err := s.newPlan("sample-from", n, o)
	if err != nil {
		return nil, err
	}
	if level < 1 || level > s.sched.Levels {
		return nil, fmt.Errorf("infer: sample-from: level %d outside 1..%d", level, s.sched.Levels)
	}
	if len(x) != n*s.dim {
		return nil, fmt.Errorf("infer: sample-from: %d input values for %d samples of %d values (shape %v)", len(x), n, s.dim, s.m.Shape)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("infer: sample-from: input value %d is %v", i, v)
		}
	}
	classes, err := s.classIDs("sample-from", n, o)
	if err != nil {
		return nil, err
	}
	p.mix = s.guidance(classes, p.w)
	p.from, p.start = level, x
	return s.run(ctx, p)
}

// Chunk sizes of DefaultBatch.
const (
	defaultImageBatch = 256
	defaultPointBatch = 4096
)

// DefaultBatch returns the chunk size (SampleOptions.Batch) the command-line tools sample with
// unless told otherwise: 256 inputs per network call for images, 4096 for points. Points are so
// small that a chunk of 256 leaves ONNX Runtime's per-run costs on top: sampling 5,000 toy
// points took 1.5-1.8x as long in chunks of 256 as in chunks of 2,500 (the energy's cost per
// point is flat from 256 to 4096 when run alone). 25,000 points all at once took about as long
// as chunks of 4,096 (0.97x, alternating runs) with 3.5x the memory (642 vs 184 MiB).
func (s *Sampler) DefaultBatch() int {
	if s.m.Kind == bundle.KindImage {
		return defaultImageBatch
	}
	return defaultPointBatch
}

// Schedule returns the noise schedule of the sampler's model.
func (s *Sampler) Schedule() Schedule { return s.sched }

// GuidanceWeight returns the classifier-free guidance weight Sample, SampleFrom and Compose use
// for w, the value of SampleOptions.Guidance: *w, or the manifest's guidance_default when w is
// nil.
func (s *Sampler) GuidanceWeight(w *float64) float64 {
	if w != nil {
		return *w
	}
	return s.m.GuidanceDefault
}

// InpaintGuidanceWeight returns the classifier-free guidance weight Inpaint uses for w, the
// value of SampleOptions.Guidance: *w, or when w is nil the manifest's inpainting weight, its
// inpaint_guidance when set and guidance_default otherwise (bundle.Manifest's
// InpaintGuidanceWeight).
func (s *Sampler) InpaintGuidanceWeight(w *float64) float64 {
	if w != nil {
		return *w
	}
	return s.m.InpaintGuidanceWeight()
}

// ClassID returns the internal class id of label, a label of the model's manifest (its index
// in Classes plus one), and the null class 0 for "". The error for any other label lists the
// model's labels, or says that the model has no classes; it is bundle.Manifest.ClassID's, so
// it starts with "bundle: ".
func (s *Sampler) ClassID(label string) (int64, error) {
	if label == "" {
		return bundle.NullClass, nil
	}
	return s.m.ClassID(label)
}

// newPlan checks the options every task shares and resolves the guidance weight: Inpaint's
// default is the manifest's inpainting weight, the other tasks' its guidance_default.
func (s *Sampler) newPlan(op string, n int, o SampleOptions) (plan, error) {
	if n < 1 {
		return plan{}, fmt.Errorf("infer: %s: n = %d, want at least 1", op, n)
	}
	k := o.Steps
	switch {
	case k == 0:
		k = s.m.Langevin.Steps
	case k == NoLangevin:
		k = 0
	case k < 0:
		return plan{}, fmt.Errorf("infer: %s: %d Langevin steps; want at least 1, 0 for the manifest's or NoLangevin for none", op, k)
	}
	groups := 1
	if len(s.m.Classes) > 0 {
		groups = 2 // a class and the null class under guidance (Compose runs more)
	}
	if o.Stream != nil && o.Levels != nil {
		return plan{}, fmt.Errorf("infer: %s: Levels needs every sample at once; it cannot be recorded with Stream", op)
	}
	if err := s.checkMemory(op, n, o.Batch, groups, o.Levels != nil, o.Stream != nil); err != nil {
		return plan{}, err
	}
	w, what := s.GuidanceWeight(o.Guidance), "guidance"
	switch op {
	case "inpaint":
		w = s.InpaintGuidanceWeight(o.Guidance)
	case "compose":
		what = "weight" // the composition's weight w
	}
	if !(w >= 0) || math.IsInf(w, 0) {
		return plan{}, fmt.Errorf("infer: %s: %s %g must be finite and >= 0", op, what, w)
	}
	if o.Batch < 0 {
		return plan{}, fmt.Errorf("infer: %s: batch %d must be >= 0 (0 = all at once)", op, o.Batch)
	}
	if o.Resample < 0 || (o.Resample > 0 && op != "inpaint") {
		return plan{}, fmt.Errorf("infer: %s: resample %d; want 0, or a count >= 0 for inpaint", op, o.Resample)
	}
	return plan{op: op, n: n, steps: k, w: w, o: o, from: s.sched.Levels}, nil
}

// guidance returns the mixture of classifier-free guidance: (1+w) f(c) - w f(0), or the
// classes alone when w is 0, the model has no classes or every class is the null class (where
// guidance changes nothing but the rounding).
func (s *Sampler) guidance(classes classGroup, w float64) mixture {
	if len(s.m.Classes) == 0 || w == 0 || !classes.conditioned() {
		return mixture{groups: []classGroup{classes}, weights: []float32{1}}
	}
	return mixture{groups: []classGroup{classes, {}}, weights: []float32{float32(1 + w), float32(-w)}}
}

// classIDs returns the class ids of the n samples of a task op from o.Class or o.Classes; the
// null class for a model without classes.
func (s *Sampler) classIDs(op string, n int, o SampleOptions) (classGroup, error) {
	if len(s.m.Classes) == 0 {
		if o.Class != 0 || len(o.Classes) > 0 {
			return classGroup{}, fmt.Errorf("infer: %s: the model is unconditional; it takes no class", op)
		}
		return classGroup{}, nil
	}
	if o.Class == AutoClass && o.Classes == nil {
		return classGroup{}, fmt.Errorf("infer: %s: AutoClass: only Inpaint infers the class (from the known pixels)", op)
	}
	if o.Classes == nil {
		if err := s.checkClass(o.Class); err != nil {
			return classGroup{}, fmt.Errorf("infer: %s: %w", op, err)
		}
		return classGroup{id: o.Class}, nil
	}
	if len(o.Classes) != n {
		return classGroup{}, fmt.Errorf("infer: %s: %d class ids for %d samples", op, len(o.Classes), n)
	}
	for _, id := range o.Classes {
		if err := s.checkClass(id); err != nil {
			return classGroup{}, fmt.Errorf("infer: %s: %w", op, err)
		}
	}
	return classGroup{ids: o.Classes}, nil
}

// checkClass reports a class id outside 0..len(Classes).
func (s *Sampler) checkClass(id int64) error {
	if id < 0 || id > int64(len(s.m.Classes)) {
		return fmt.Errorf("class id %d outside 0..%d", id, len(s.m.Classes))
	}
	return nil
}

// run carries out a plan chunk by chunk and returns the n samples, or hands every chunk to
// SampleOptions.Stream and returns nil.
func (s *Sampler) run(ctx context.Context, p plan) ([]float32, error) {
	size := p.o.Batch
	if size <= 0 || size > p.n {
		size = p.n
	}
	chunks := (p.n + size - 1) / size
	var out []float32
	if p.o.Stream != nil {
		out = make([]float32, size*s.dim) // one chunk, reused
	} else {
		out = make([]float32, p.n*s.dim)
	}
	var levels [][]float32
	if p.o.Levels != nil {
		levels = make([][]float32, s.sched.Levels+1)
		for k := range p.from + 1 {
			levels[k] = make([]float32, p.n*s.dim)
		}
	}
	for c := range chunks {
		lo, hi := c*size, min(p.n, (c+1)*size)
		var x []float32
		if p.o.Stream != nil {
			x = out[:(hi-lo)*s.dim]
		} else {
			x = out[lo*s.dim : hi*s.dim]
		}
		ch := chunkRun{s: s, p: &p, chunk: c, chunks: chunks, lo: lo, n: hi - lo, x: x, levels: levels}
		if err := ch.run(ctx); err != nil {
			return nil, err
		}
		if p.o.Stream != nil {
			if err := p.o.Stream(lo, x); err != nil {
				return nil, err
			}
		}
	}
	if p.o.Levels != nil {
		*p.o.Levels = levels
	}
	if p.o.Stream != nil {
		return nil, nil
	}
	return out, nil
}

// chunkRun samples the samples lo..lo+n-1 of a plan into x.
type chunkRun struct {
	s             *Sampler
	p             *plan
	chunk, chunks int
	lo, n         int
	x             []float32
	levels        [][]float32 // nil, or one n*dim slice per level, filled at lo*dim

	rngs    []*rand.Rand
	classes []int64   // the class ids of all groups, len(groups)*n, or nil
	batch   []float32 // len(groups)*n*dim network inputs
	logsnr  []float32 // len(groups)*n
}

// sampleRNG returns the noise stream of sample i under seed: a PCG generator seeded from a
// splitmix64 hash of (seed, i), so that neighbouring samples get unrelated streams.
func sampleRNG(seed uint64, i int) *rand.Rand {
	a := splitmix64(seed ^ splitmix64(uint64(i)+0x9e3779b97f4a7c15))
	return rand.New(rand.NewPCG(a, splitmix64(a)))
}

// splitmix64 is the finaliser of the SplitMix64 generator, a bijective 64-bit hash.
func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// normal fills dst (n*dim values) with standard normal noise, sample i from its own stream.
func (c *chunkRun) normal(dst []float32) {
	d := c.s.dim
	for i, r := range c.rngs {
		Normal(dst[i*d:(i+1)*d], r)
	}
}

func (c *chunkRun) record(level int) {
	if c.levels != nil {
		copy(c.levels[level][c.lo*c.s.dim:], c.x)
	}
}

func (c *chunkRun) run(ctx context.Context) error {
	s, p, n, d := c.s, c.p, c.n, c.s.dim
	c.rngs = make([]*rand.Rand, n)
	for i := range c.rngs {
		c.rngs[i] = sampleRNG(p.o.Seed, c.lo+i)
	}
	g := len(p.mix.groups)
	if len(s.m.Classes) > 0 {
		c.classes = make([]int64, 0, g*n)
		for _, grp := range p.mix.groups {
			c.classes = grp.appendChunk(c.classes, c.lo, n)
		}
	}
	c.batch, c.logsnr = make([]float32, g*n*d), make([]float32, g*n)
	y, grad, noise := make([]float32, n*d), make([]float32, n*d), make([]float32, n*d)
	var z []float32
	if p.known != nil {
		z = make([]float32, n*d)
	}
	c.normal(c.x) // the start noise; drawn for a given start too, to keep Sample's streams
	if p.start != nil {
		copy(c.x, p.start[c.lo*d:(c.lo+n)*d])
	}
	c.record(p.from)
	var per PerSample
	ts := make([]int, n)
	for t := p.from; t >= 1; t-- {
		for i := range ts {
			ts[i] = t
		}
		if err := per.Fill(s.trs, ts); err != nil {
			return err
		}
		for r := range p.o.Resample + 1 {
			if r > 0 {
				if err := c.renoise(noise, t); err != nil {
					return err
				}
			}
			if z != nil {
				// Known pixels of x: the observation noised to level t; z: at level t-1, scaled.
				if err := c.observe(c.x, noise, t, 1); err != nil {
					return err
				}
				if err := c.observe(z, noise, t-1, math.Sqrt(s.trs[t-1].M)); err != nil {
					return err
				}
			}
			if err := c.call(ctx, s.init, bundle.GraphInitializer, y, c.x, per.LogSNRIn); err != nil {
				return err
			}
			c.normal(noise)
			for i := range y {
				y[i] += per.InitStd[i/d] * noise[i]
			}
			c.replace(y, z)
			for j := 0; j < p.steps; j++ {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("infer: %s: %w", p.op, err)
				}
				if err := c.call(ctx, s.energy, bundle.GraphEnergy, grad, y, per.LogSNROut); err != nil {
					return err
				}
				c.normal(noise)
				if err := LangevinStep(y, y, grad, c.x, noise, d, per.Q, per.S); err != nil {
					return err
				}
				c.replace(y, z)
				if p.o.Progress != nil {
					p.o.Progress(StepInfo{Chunk: c.chunk, Chunks: c.chunks, Level: t - 1, Step: j + 1, Steps: p.steps})
				}
			}
			if err := Unscale(c.x, y, d, per.M); err != nil {
				return err
			}
		}
		c.record(t - 1)
		if p.o.Progress != nil {
			p.o.Progress(StepInfo{Chunk: c.chunk, Chunks: c.chunks, Level: t - 1, Step: p.steps, Steps: p.steps, LevelDone: true})
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("infer: %s: %w", p.op, err)
	}
	if s.m.Langevin.Tweedie {
		if err := c.denoise(ctx); err != nil {
			return err
		}
	}
	guidance := 0.0
	if len(p.mix.groups) > 1 { // guided, or composed
		guidance = p.w
	}
	if err := checkFinite(p.op, c.x, d, c.lo, p.n, guidance); err != nil {
		return err
	}
	if s.m.Kind == bundle.KindImage {
		lo, hi := float32(s.m.Range[0]), float32(s.m.Range[1])
		for i, v := range c.x {
			c.x[i] = max(lo, min(hi, v))
		}
	}
	if p.known != nil {
		for i := range n {
			for j, k := range p.known {
				if k {
					c.x[i*d+j] = p.obs[j]
				}
			}
		}
	}
	return nil
}

// renoise draws noise e (scratch, n*dim) and takes x from level t-1 to level t by the forward
// process: x = (alpha_t/alpha_{t-1}) x + sqrt(sbar_t^2 - (alpha_t/alpha_{t-1})^2 sbar_{t-1}^2) e,
// which keeps the marginals alpha_k x_0 + sbar_k e of both levels.
func (c *chunkRun) renoise(e []float32, t int) error {
	sc := c.s.sched
	a := sc.Alpha(t) / sc.Alpha(t-1)
	b := math.Sqrt(max(0, sc.SigmaBar(t)*sc.SigmaBar(t)-a*a*sc.SigmaBar(t-1)*sc.SigmaBar(t-1)))
	c.normal(e)
	return noise(c.x, c.x, e, a, b)
}

// observe draws noise e (scratch, n*dim) for every sample and sets the known elements of dst
// to scale * (alpha_k obs + sbar_k e): the observation noised to level k (Schedule.Noise),
// scaled, with the scale folded into the coefficients. The noise is drawn for every element,
// known or not, so the streams do not depend on the mask; e is overwritten.
func (c *chunkRun) observe(dst, e []float32, k int, scale float64) error {
	d, sc := c.s.dim, c.s.sched
	c.normal(e)
	if err := noise(e, c.p.obs, e, scale*sc.Alpha(k), scale*sc.SigmaBar(k)); err != nil {
		return err
	}
	for i := range c.n {
		for j, known := range c.p.known {
			if known {
				dst[i*d+j] = e[i*d+j]
			}
		}
	}
	return nil
}

// replace sets the known elements of y to z (Inpaint); nothing when z is nil.
func (c *chunkRun) replace(y, z []float32) {
	if z == nil {
		return
	}
	d := c.s.dim
	for i := range c.n {
		for j, known := range c.p.known {
			if known {
				y[i*d+j] = z[i*d+j]
			}
		}
	}
}

// call runs a graph (role GraphEnergy or GraphInitializer) once on a batch that holds x for
// every group of the mixture, the groups' class ids and logsnr, and writes the weighted sum of
// the groups' outputs (the energy's gradient, the initializer's mean) to dst.
func (c *chunkRun) call(ctx context.Context, sess *ort.Session, role string, dst, x, logsnr []float32) error {
	s, n, mix := c.s, c.n, c.p.mix
	g := len(mix.groups)
	output := bundle.OutputGrad
	if role == bundle.GraphInitializer {
		output = bundle.OutputY
	}
	if observeRun != nil {
		observeRun(c.p.op, role, g*n)
	}
	for k := range g {
		copy(c.batch[k*len(x):], x)
		copy(c.logsnr[k*n:], logsnr)
	}
	shape := append([]int{g * n}, s.m.Shape...)
	feeds := map[string]*tensor.Tensor{bundle.InputX: tensor.FromFloat32(c.batch, shape...), bundle.InputLogSNR: tensor.FromFloat32(c.logsnr, g*n)}
	if c.classes != nil {
		feeds[bundle.InputClass] = tensor.FromInt64(c.classes, g*n)
	}
	out, err := sess.Run(ctx, feeds)
	if err != nil {
		return fmt.Errorf("infer: %s: %w", c.p.op, err)
	}
	v := out[output].Float32
	if len(v) != g*len(x) {
		return fmt.Errorf("infer: %s: output %q has %d values, want %d", c.p.op, output, len(v), g*len(x))
	}
	if g == 1 {
		copy(dst, v)
		return nil
	}
	w0 := mix.weights[0]
	for i := range dst {
		dst[i] = w0 * v[i]
	}
	for k := 1; k < g; k++ {
		wk, part := mix.weights[k], v[k*len(x):(k+1)*len(x)]
		for i := range dst {
			dst[i] += wk * part[i]
		}
	}
	return nil
}

// denoise applies the final Tweedie step to the chunk's level-0 samples in place.
func (c *chunkRun) denoise(ctx context.Context) error {
	s := c.s
	y := make([]float32, len(c.x))
	scale := float32(s.tweedie.InScale)
	for i, v := range c.x {
		y[i] = scale * v
	}
	logsnr := make([]float32, c.n)
	for i := range logsnr {
		logsnr[i] = float32(s.tweedie.LogSNR)
	}
	grad := make([]float32, len(c.x))
	if err := c.call(ctx, s.energy, bundle.GraphEnergy, grad, y, logsnr); err != nil {
		return err
	}
	return s.tweedie.Denoise(c.x, c.x, grad)
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
	energy = out[bundle.OutputEnergy].Float32
	if err := checkFinite("energy", energy, 1, 0, n, 0); err != nil {
		return nil, nil, err
	}
	return energy, out[bundle.OutputGrad].Float32, nil
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

// Transition returns the constants of the transition into level `level` (0..T-1), transition
// level+1: the EBM of that level reads y = sqrt(M) x at logSNR LogSNROut, and S2 is its step
// variance s^2.
func (s *Sampler) Transition(level int) (Transition, error) { return s.transitionAt(level) }

func (s *Sampler) transitionAt(level int) (Transition, error) {
	if level < 0 || level >= s.sched.Levels {
		return Transition{}, fmt.Errorf("infer: level %d outside 0..%d", level, s.sched.Levels-1)
	}
	return s.trs[level], nil
}
