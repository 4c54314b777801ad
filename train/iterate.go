package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/cdrl"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/train/optim"
)

// batch holds one iteration's tensors for this process's slice of the global batch.
type batch struct {
	n                  int
	first              int       // global index of this process's first sample
	x, eps             []float32 // data and the shared noise
	labels, level      []int64
	ts                 []int
	xt, xprev, pos     []float32            // x_t, x_{t-1}, y+ = sqrt(m) x_{t-1}
	yMean, initNoise   []float32            // initializer mean and sqrt(btilde m) xi
	y, y0, grad, noise []float32            // Langevin state, its start, df/dy, step noise
	neg                []float32            // y- = sqrt(m) x_neg
	dropout            map[string][]float32 // the initializer's dropout draws, by input (fed masks)
	dropoutShape       map[string][]int
	dropoutKey         []int64   // per-sample keys of the initializer's dropout masks (keyed masks)
	fusedNoise         []float32 // (K, N, ...) for the fused program
	noiseKey           []int64   // or the keys it draws its noise from (keyed noise)
	// globalX and globalLabels hold the whole global batch's data when the group has several
	// processes: every rank draws it from the one seeded sequence and keeps its slice.
	globalX      []float32
	globalLabels []int64
	// streams are the samples' random sources this iteration, keyed by global index.
	streams []rand.PCG
	rngs    []*rand.Rand
}

func (t *trainer) newBatch(n int) *batch {
	d := n * t.dim
	b := &batch{n: n, first: t.group.Rank() * n, x: make([]float32, d), eps: make([]float32, d), labels: make([]int64, n), level: make([]int64, n),
		ts: make([]int, n), xt: make([]float32, d), xprev: make([]float32, d), pos: make([]float32, d),
		yMean: make([]float32, d), initNoise: make([]float32, d), y: make([]float32, d), y0: make([]float32, d),
		grad: make([]float32, d), noise: make([]float32, d), neg: make([]float32, d),
		dropout: map[string][]float32{}, dropoutShape: map[string][]int{}, dropoutKey: make([]int64, n), noiseKey: make([]int64, n),
		streams: make([]rand.PCG, n), rngs: make([]*rand.Rand, n)}
	for i := range b.rngs {
		b.rngs[i] = rand.New(&b.streams[i])
	}
	if size := t.group.Size(); size > 1 {
		b.globalX = make([]float32, size*d)
		b.globalLabels = make([]int64, size*n)
	}
	for _, name := range t.dropout {
		s := append([]int(nil), t.initFwd.Inputs[name]...)
		s[0] = n
		b.dropoutShape[name] = s
		b.dropout[name] = make([]float32, tensor.Shape(s).Size())
	}
	if t.langevin != nil && t.langevin.Inputs[cdrl.InputNoiseKey] == nil {
		b.fusedNoise = make([]float32, t.cfg.LangevinSteps*d)
	}
	return b
}

func (t *trainer) shapeN(n int) []int { return append([]int{n}, t.shape...) }

// step runs one iteration (iterate) and adds to its metrics what its runs handed to ONNX
// Runtime and took back, in all and by program, and the time its allreduces took.
func (t *trainer) step(ctx context.Context, b *batch) (Metrics, error) {
	before, comm := t.traffic(), t.group.spent
	m, err := t.iterate(ctx, b)
	if err != nil {
		return m, err
	}
	m.AllreduceSeconds = (t.group.spent - comm).Seconds()
	m.ProgramTraffic = make(map[string]ort.Traffic, len(before))
	for name, now := range t.traffic() {
		d := now.Sub(before[name])
		m.ProgramTraffic[name] = d
		m.Traffic = m.Traffic.Add(d)
	}
	return m, nil
}

// iterate runs one CDRL iteration (cdrl-method.md 4.2) on batch b and returns its metrics.
func (t *trainer) iterate(ctx context.Context, b *batch) (Metrics, error) {
	step := t.st.Step
	// 1. Data, per-sample transitions and the shared-noise pair (x_t, x_{t-1}). The iteration's
	// seed, drawn from the run's source (the same on every rank), keys the data sequence and
	// every sample's stream.
	seed := t.rng.Uint64()
	if err := t.drawData(b, seed); err != nil {
		return Metrics{}, err
	}
	t.drawSamples(b, seed)
	if err := t.per.Fill(t.trs, b.ts); err != nil {
		return Metrics{}, err
	}
	for i, tt := range b.ts {
		lo, hi := i*t.dim, (i+1)*t.dim
		x, eps := b.x[lo:hi], b.eps[lo:hi]
		if err := t.sched.Noise(b.xt[lo:hi], x, eps, tt); err != nil {
			return Metrics{}, err
		}
		if err := t.sched.Noise(b.xprev[lo:hi], x, eps, tt-1); err != nil {
			return Metrics{}, err
		}
	}
	if err := infer.ScaleBy(b.pos, b.xprev, t.dim, t.per.SqrtM); err != nil {
		return Metrics{}, err
	}
	// 2. Spectral norm: one power iteration (train-mode positive pass); every pass of this
	// iteration uses the resulting normalised weights.
	if err := t.powerIterate(); err != nil {
		return Metrics{}, fmt.Errorf("train: diverged at step %d: %w", step, err)
	}
	shape := t.shapeN(b.n)
	levelT, classT := levelTensor(b), classTensor(b)
	// 3. Initializer proposal (train mode: the dropout noise drawn above, reused by its step).
	initFeeds := map[string]*tensor.Tensor{cdrl.InputX: tensor.FromFloat32(b.xt, shape...), cdrl.InputLevel: levelT, cdrl.InputClass: classT}
	for name, u := range b.dropout {
		initFeeds[name] = tensor.FromFloat32(u, b.dropoutShape[name]...)
	}
	if t.dropoutKey != "" {
		initFeeds[t.dropoutKey] = tensor.FromInt64(b.dropoutKey, b.n)
	}
	initVals := tensors(t.st.Init)
	out, err := t.initFwd.run(ctx, initFeeds, initVals)
	if err != nil {
		return Metrics{}, err
	}
	copy(b.yMean, out[cdrl.OutY].Float32)
	for i := 0; i < b.n; i++ {
		s := t.per.InitStd[i]
		for j := i * t.dim; j < (i+1)*t.dim; j++ {
			b.initNoise[j] *= s
			b.y0[j] = b.yMean[j] + b.initNoise[j]
		}
	}
	if err := divergence(step, map[string][]float32{"the initializer proposal": b.y0}); err != nil {
		return Metrics{}, err
	}
	// 4. K Langevin steps with the current EBM (eval mode: normalised weights, no iteration).
	folded := t.foldSpectral(t.st.EBM)
	if err := t.refine(ctx, b, folded, levelT, classT); err != nil {
		return Metrics{}, err
	}
	var disp float64
	for i := 0; i < b.n; i++ {
		var s float64
		for j := i * t.dim; j < (i+1)*t.dim; j++ {
			d := float64(b.y[j] - b.y0[j])
			s += d * d
		}
		disp += math.Sqrt(s)
	}
	disp /= float64(b.n)
	// x_neg = y^K / (sqrt(m) + 1e-8); y- = sqrt(m) x_neg.
	if err := infer.Unscale(b.neg, b.y, t.dim, t.per.M); err != nil {
		return Metrics{}, err
	}
	if err := infer.ScaleBy(b.neg, b.neg, t.dim, t.per.SqrtM); err != nil {
		return Metrics{}, err
	}
	if err := divergence(step, map[string][]float32{"the Langevin samples": b.neg}); err != nil {
		return Metrics{}, err
	}
	// 5-6. EBM step: loss, gradients, clip, Adam with warmup, EMA.
	ebmFeeds := map[string]*tensor.Tensor{cdrl.InputPos: tensor.FromFloat32(b.pos, shape...), cdrl.InputNeg: tensor.FromFloat32(b.neg, shape...),
		cdrl.InputLevel: levelT, cdrl.InputClass: classT, cdrl.InputWeight: tensor.FromFloat32(t.per.W, b.n)}
	t.spectralFeeds(ebmFeeds)
	out, err = t.ebmStep.run(ctx, ebmFeeds, tensors(t.st.EBM))
	if err != nil {
		return Metrics{}, err
	}
	m := Metrics{Step: step + 1, WorldSize: t.group.Size(), EBMLoss: scalarOut(out, cdrl.OutLoss), FPos: scalarOut(out, cdrl.OutFPos), FNeg: scalarOut(out, cdrl.OutFNeg), Displacement: disp}
	if _, err := averageMetrics(t.group, false, &m.EBMLoss, &m.FPos, &m.FNeg, &m.Displacement); err != nil {
		return m, err
	}
	if math.IsNaN(m.EBMLoss) || math.IsInf(m.EBMLoss, 0) {
		return m, fmt.Errorf("train: diverged at step %d: the EBM loss is %g", step+1, m.EBMLoss)
	}
	// A runaway EBM (Langevin chains escaping to ever lower energies) stays finite for a long
	// time while it destroys the model: stop while the last checkpoints are still good.
	if f := math.Max(math.Abs(m.FPos), math.Abs(m.FNeg)); f > t.cfg.MaxEnergy {
		return m, fmt.Errorf("train: diverged at step %d: mean energies f+ = %.4g, f- = %.4g exceed Config.MaxEnergy %g; "+
			"the checkpoints hold the last good state: continue with Options.Resume and a lower Config.EBMLR", step+1, m.FPos, m.FNeg, t.cfg.MaxEnergy)
	}
	grads, err := gradsOf(out, t.st.EBM, step+1, "EBM")
	if err != nil {
		return m, err
	}
	if t.flat, err = averageGrads(t.group, grads, t.flat); err != nil {
		return m, err
	}
	m.EBMNorm = t.clip(grads)
	m.EBMLR = t.cfg.EBMLR * t.ebmWarm.Factor(step)
	if err := t.ebmAdam.Step(t.st.EBM.Data, grads, m.EBMLR); err != nil {
		return m, err
	}
	if err := t.ebmEMA.Update(t.st.EBM.Data); err != nil {
		return m, err
	}
	// 7. Initializer step towards the refined samples (same dropout noise, same injected noise).
	initFeeds[cdrl.InputNoise] = tensor.FromFloat32(b.initNoise, shape...)
	initFeeds[cdrl.InputTarget] = tensor.FromFloat32(b.neg, shape...)
	out, err = t.initStep.run(ctx, initFeeds, initVals)
	if err != nil {
		return m, err
	}
	m.InitLoss = scalarOut(out, cdrl.OutLoss)
	if _, err := averageMetrics(t.group, false, &m.InitLoss); err != nil {
		return m, err
	}
	if math.IsNaN(m.InitLoss) || math.IsInf(m.InitLoss, 0) {
		return m, fmt.Errorf("train: diverged at step %d: the initializer loss is %g", step+1, m.InitLoss)
	}
	if grads, err = gradsOf(out, t.st.Init, step+1, "initializer"); err != nil {
		return m, err
	}
	if t.flat, err = averageGrads(t.group, grads, t.flat); err != nil {
		return m, err
	}
	m.InitNorm = t.clip(grads)
	m.InitLR = t.cfg.InitLR * t.initWarm.Factor(step)
	if err := t.initAdam.Step(t.st.Init.Data, grads, m.InitLR); err != nil {
		return m, err
	}
	if err := t.initEMA.Update(t.st.Init.Data); err != nil {
		return m, err
	}
	t.st.Step++
	return m, nil
}

// drawTransition draws a transition t in 1..T: uniformly, or by Config.LevelWeights.
func (t *trainer) drawTransition(rng *rand.Rand) int {
	ws := t.cfg.LevelWeights
	if len(ws) == 0 {
		return 1 + rng.IntN(t.cfg.Levels)
	}
	sum := 0.0
	for _, w := range ws {
		sum += w
	}
	u := rng.Float64() * sum
	for k, w := range ws {
		if u < w {
			return k + 1
		}
		u -= w
	}
	for k := len(ws) - 1; k >= 0; k-- { // rounding left u at the end: the last weighted one
		if ws[k] > 0 {
			return k + 1
		}
	}
	return len(ws)
}

func (t *trainer) clip(grads [][]float32) float64 {
	if t.cfg.Clip <= 0 {
		return optim.GlobalNorm(grads)
	}
	return optim.ClipGlobalNorm(grads, t.cfg.Clip)
}

// refine runs the K Langevin steps from b.y0 into b.y, fused in one program or one score
// program run per step. Step j's noise for a sample is the j-th draw of dim normals from its
// stream either way, so both give the same chains.
func (t *trainer) refine(ctx context.Context, b *batch, params map[string]*tensor.Tensor, levelT, classT *tensor.Tensor) error {
	shape := t.shapeN(b.n)
	k := t.cfg.LangevinSteps
	xt := tensor.FromFloat32(b.xt, shape...)
	if t.langevin != nil {
		feeds := map[string]*tensor.Tensor{
			cdrl.InputY0: tensor.FromFloat32(b.y0, shape...), cdrl.InputXT: xt, cdrl.InputLevel: levelT, cdrl.InputClass: classT,
			cdrl.InputQ: tensor.FromFloat32(t.per.Q, b.n), cdrl.InputS: tensor.FromFloat32(t.per.S, b.n),
		}
		if _, keyed := t.langevin.Inputs[cdrl.InputNoiseKey]; keyed {
			// The program draws step j's noise from the sample's key (nn.CounterNormal).
			parallel(b.n, func(i int) { b.noiseKey[i] = b.rngs[i].Int64N(nn.CounterKeyLimit) })
			feeds[cdrl.InputNoiseKey] = tensor.FromInt64(b.noiseKey, b.n)
		} else {
			d := b.n * t.dim
			parallel(b.n, func(i int) {
				for j := range k {
					infer.Normal(b.fusedNoise[j*d+i*t.dim:j*d+(i+1)*t.dim], b.rngs[i])
				}
			})
			feeds[cdrl.InputNoise] = tensor.FromFloat32(b.fusedNoise, append([]int{k}, shape...)...)
		}
		out, err := t.langevin.run(ctx, feeds, params)
		if err != nil {
			return err
		}
		copy(b.y, out[cdrl.OutY].Float32)
		return nil
	}
	if t.score.baker != nil {
		if err := t.score.bake(params); err != nil {
			return err
		}
	}
	copy(b.y, b.y0)
	yT := tensor.FromFloat32(b.y, shape...)
	feeds := map[string]*tensor.Tensor{cdrl.InputX: yT, cdrl.InputLevel: levelT, cdrl.InputClass: classT}
	for j := 0; j < k; j++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, err := t.score.run(ctx, feeds, params)
		if err != nil {
			return err
		}
		parallel(b.n, func(i int) { infer.Normal(b.noise[i*t.dim:(i+1)*t.dim], b.rngs[i]) })
		if err := infer.LangevinStep(b.y, b.y, out[cdrl.OutGrad].Float32, b.xt, b.noise, t.dim, t.per.Q, t.per.S); err != nil {
			return err
		}
	}
	return nil
}

func levelTensor(b *batch) *tensor.Tensor { return tensor.FromInt64(b.level, b.n) }
func classTensor(b *batch) *tensor.Tensor { return tensor.FromInt64(b.labels, b.n) }

// drawData fills the batch's data and labels. Every rank draws the whole global batch from
// the one sequence keyed by the iteration's seed and keeps its slice, so N ranks see the data
// one process with N times the batch would.
func (t *trainer) drawData(b *batch, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, streamKey(-1)))
	x, labels := b.x, b.labels
	if b.globalX != nil {
		x, labels = b.globalX, b.globalLabels
	}
	if err := t.data.Batch(x, labels, rng); err != nil {
		return fmt.Errorf("train: data: %w", err)
	}
	if b.globalX != nil {
		copy(b.x, b.globalX[b.first*t.dim:])
		copy(b.labels, b.globalLabels[b.first:])
	}
	return nil
}

// drawSamples seeds every sample's stream from the iteration's seed and its global index and
// draws, in this order: the label dropout, the transition, the shared noise eps, the
// initializer's injected noise and the sample's rows of the dropout draws, or the key the
// graphs draw its dropout masks from. The Langevin noise
// follows from the same stream (refine). A sample's noise thus depends on its global index,
// not on which rank holds it.
func (t *trainer) drawSamples(b *batch, seed uint64) {
	parallel(b.n, func(i int) {
		b.streams[i].Seed(seed, streamKey(b.first+i))
		rng := b.rngs[i]
		if t.classes == 0 || rng.Float64() < t.cfg.LabelDropout {
			b.labels[i] = 0
		}
		b.ts[i] = t.drawTransition(rng)
		b.level[i] = int64(b.ts[i] - 1)
		lo, hi := i*t.dim, (i+1)*t.dim
		infer.Normal(b.eps[lo:hi], rng)
		infer.Normal(b.initNoise[lo:hi], rng)
		for _, name := range t.dropout {
			u := b.dropout[name]
			row := len(u) / b.n
			for j := i * row; j < (i+1)*row; j++ {
				u[j] = rng.Float32()
			}
		}
		if t.dropoutKey != "" {
			b.dropoutKey[i] = rng.Int64N(nn.CounterKeyLimit)
		}
	})
}

// streamKey maps a global sample index to the second PCG seed word of its stream (SplitMix64's
// finaliser, a bijection, so distinct indices get distinct, well-spread streams); index -1
// keys the data sequence.
func streamKey(g int) uint64 {
	z := uint64(g) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// parallel calls f(i) for every i in 0..n-1, in contiguous runs on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for k := range w {
		lo, hi := k*n/w, (k+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				f(i)
			}
		}()
	}
	wg.Wait()
}
