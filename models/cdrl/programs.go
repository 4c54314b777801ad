package cdrl

import (
	"fmt"
	"math/rand"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Names of the training programs' inputs and outputs (besides the params, which are inputs
// named like the params, and the spectral-norm vectors "<weight>/sn_u", "<weight>/sn_v").
const (
	InputLevel = "level" // int64 (N): transition index t-1 in 0..T-1
	InputY0    = "y0"    // Langevin start (N, ...)
	InputXT    = "x_t"   // the noisier level x_t (N, ...)
	InputNoise = "noise" // Langevin noise (K, N, ...) or the initializer's scaled noise (N, ...)
	// InputNoiseKey is the fused Langevin program's int64 key per sample (N) with
	// Nets.KeyedNoise: step j's noise is nn.CounterNormal(key, j, shape).
	InputNoiseKey = "noise_key"
	InputQ        = "q"      // per-sample q_t (N)
	InputS        = "s"      // per-sample s_t (N)
	InputPos      = "pos"    // positives y+ (N, ...)
	InputNeg      = "neg"    // negatives y- (N, ...)
	InputWeight   = "weight" // per-sample loss weight w_t (N)
	InputTarget   = "target" // initializer regression target (N, ...)
	OutY          = bundle.OutputY
	OutLoss       = "loss"
	OutFPos       = "f_pos" // mean energy of the positives
	OutFNeg       = "f_neg" // mean energy of the negatives
	// GradPrefix prefixes the name of each param's gradient output.
	GradPrefix = "grad/"
)

// Scope prefixes of the two networks' params.
const (
	EBMScope  = "ebm"
	InitScope = "init"
)

// Nets are the two networks of a CDRL model as graph builders.
type Nets struct {
	// Shape is the per-sample data shape ([D] for points, [C,H,W] for images).
	Shape []int
	// Classes is the number of classes; 0 for an unconditional model. Class inputs are internal
	// ids (0 = null class, label index + 1 otherwise).
	Classes int
	// Energy builds f(x) of shape (N). spectral selects spectral-normalised weights (the
	// training program) or plain ones (programs fed the already normalised weights).
	Energy func(s nn.Scope, x *graphs.Value, t nn.Time, class *graphs.Value, spectral bool) *graphs.Value
	// Init builds the initializer mean y = g(x) with the shape of x; dropout says whether and
	// how it drops activations (training programs) or not (exports).
	Init func(s nn.Scope, x *graphs.Value, t nn.Time, class *graphs.Value, dropout Dropout) *graphs.Value
	// KeyedNoise makes the training programs draw their random numbers in the graph from one
	// int64 key per sample (nn.CounterUniform): the initializer's dropout masks (KeyedMasks
	// instead of FedMasks) and the fused Langevin program's noise (InputNoiseKey instead of
	// InputNoise). Only the keys then cross to the runtime: the form for a GPU.
	KeyedNoise bool
	// Seed makes the initial params: every program built from the same Nets starts from the
	// same values.
	Seed int64
}

// Dropout says how an initializer drops activations.
type Dropout int

// The forms of dropout (see unet.Config.Train and KeyedDropout).
const (
	NoDropout  Dropout = iota // eval mode: dropout is the identity
	FedMasks                  // the caller feeds each block's uniform draws (unet.DropoutInputs)
	KeyedMasks                // the graph draws them from a key per sample (unet.DropoutKey)
)

// trainDropout is the form of dropout of the training programs.
func (n Nets) trainDropout() Dropout {
	if n.KeyedNoise {
		return KeyedMasks
	}
	return FedMasks
}

// Levels are the logSNR values the networks are conditioned on, per transition index t-1:
// EBM[t-1] = lambda_{t-1} (the target level), Init[t-1] = lambda_t (the input level).
type Levels struct {
	EBM, Init []float64
}

func (n Nets) scope(g *graphs.Graph, prefix string) nn.Scope {
	return nn.Scope{G: g, Prefix: prefix, Rng: rand.New(rand.NewSource(n.Seed))}
}

func (n Nets) validate(lv Levels) error {
	switch {
	case len(n.Shape) == 0:
		return fmt.Errorf("cdrl: nets: empty data shape")
	case n.Energy == nil || n.Init == nil:
		return fmt.Errorf("cdrl: nets: both networks are needed")
	case len(lv.EBM) == 0 || len(lv.EBM) != len(lv.Init):
		return fmt.Errorf("cdrl: levels: %d EBM and %d initializer levels, want the same non-zero count", len(lv.EBM), len(lv.Init))
	case n.Classes < 0:
		return fmt.Errorf("cdrl: nets: %d classes", n.Classes)
	}
	return nil
}

// dataInput adds a (N, shape...) float input.
func (n Nets) dataInput(g *graphs.Graph, name string) *graphs.Value {
	return graphs.Input(g, name, tensor.Float32, append([]int{-1}, n.Shape...)...)
}

// condInputs adds the level input and, for conditional models, the class input.
func (n Nets) condInputs(g *graphs.Graph) (level, class *graphs.Value) {
	level = graphs.Input(g, InputLevel, tensor.Int64, -1)
	if n.Classes > 0 {
		class = graphs.Input(g, InputClass, tensor.Int64, -1)
	}
	return level, class
}

// perSample reshapes a (N) value to (N, 1, ...) to broadcast over one sample's elements.
func (n Nets) perSample(v *graphs.Value) *graphs.Value {
	axes := make([]int, len(n.Shape))
	for k := range axes {
		axes[k] = k + 1
	}
	return graphs.Unsqueeze(v, axes)
}

// Score is the EBM's score program: (x, level[, class], params) -> energy (N), grad (d energy / dx).
// It is built without spectral norm: the caller feeds the normalised weights W/sigma.
func (n Nets) Score(lv Levels) (*graphs.Graph, error) {
	if err := n.validate(lv); err != nil {
		return nil, err
	}
	g := graphs.New("ebm/score")
	x := n.dataInput(g, InputX)
	level, class := n.condInputs(g)
	f := n.Energy(n.scope(g, EBMScope), x, nn.TableTime{Levels: lv.EBM, Level: level}, class, false)
	grads, err := graphs.Grad(f, x)
	if err != nil {
		return nil, fmt.Errorf("cdrl: score: %w", err)
	}
	g.Output(OutEnergy, f)
	g.Output(OutGrad, grads[0])
	return g, wrap("score", g.Err())
}

// Langevin is K Langevin steps unrolled in one program (cdrl-method.md 2.3):
//
//	y <- y + 0.5 * df/dy - q * (y - x_t) + s * noise_k,   k = 0..K-1
//
// with inputs y0, xt, level[, class], noise (K, N, ...) or with Nets.KeyedNoise noise_key (N),
// q (N), s (N) and the (normalised) params; output y (after the K steps, before unscaling).
func (n Nets) Langevin(lv Levels, k int) (*graphs.Graph, error) {
	if err := n.validate(lv); err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("cdrl: langevin: %d steps", k)
	}
	g := graphs.New("ebm/langevin")
	y := n.dataInput(g, InputY0)
	xt := n.dataInput(g, InputXT)
	level, class := n.condInputs(g)
	var noise, key *graphs.Value
	if n.KeyedNoise {
		key = graphs.Input(g, InputNoiseKey, tensor.Int64, -1)
	} else {
		noise = graphs.Input(g, InputNoise, tensor.Float32, append([]int{k, -1}, n.Shape...)...)
	}
	q := n.perSample(graphs.Input(g, InputQ, tensor.Float32, -1))
	s := n.perSample(graphs.Input(g, InputS, tensor.Float32, -1))
	half := graphs.Scalar(g, 0.5)
	sc := n.scope(g, EBMScope)
	t := nn.TableTime{Levels: lv.EBM, Level: level}
	for j := 0; j < k; j++ {
		f := n.Energy(sc, y, t, class, false)
		sc.Reuse = true
		grads, err := graphs.Grad(f, y)
		if err != nil {
			return nil, fmt.Errorf("cdrl: langevin step %d: %w", j, err)
		}
		var xi *graphs.Value
		if key != nil {
			xi = nn.CounterNormal(key, j, n.Shape)
		} else {
			xi = graphs.Squeeze(graphs.SliceAxis(noise, 0, j, j+1), 0)
		}
		y = graphs.Add(graphs.Sub(graphs.Add(y, graphs.Mul(half, grads[0])), graphs.Mul(q, graphs.Sub(y, xt))), graphs.Mul(s, xi))
	}
	g.Output(OutY, y)
	return g, wrap("langevin", g.Err())
}

// EBMStep is the EBM's training program (cdrl-method.md 4.1): inputs pos, neg (N, ...), level,
// [class], weight (N), the raw params and the spectral-norm vectors; outputs
// loss = mean(w f(neg)) - mean(w f(pos)), the mean energies f_pos and f_neg, and
// grad/<param> for every param. Positives and negatives run as one batch of 2N.
func (n Nets) EBMStep(lv Levels) (*graphs.Graph, error) {
	if err := n.validate(lv); err != nil {
		return nil, err
	}
	g := graphs.New("ebm/step")
	pos := n.dataInput(g, InputPos)
	neg := n.dataInput(g, InputNeg)
	level, class := n.condInputs(g)
	w := graphs.Input(g, InputWeight, tensor.Float32, -1)
	both := func(v *graphs.Value) *graphs.Value {
		if v == nil {
			return nil
		}
		return graphs.Concat([]*graphs.Value{v, v}, 0)
	}
	f := n.Energy(n.scope(g, EBMScope), graphs.Concat([]*graphs.Value{pos, neg}, 0),
		nn.TableTime{Levels: lv.EBM, Level: both(level)}, both(class), true)
	size := graphs.Gather(graphs.ShapeOf(pos), graphs.ConstInts(g, 0), 0)
	zero := graphs.ConstInts(g, 0)
	axis := graphs.ConstInts(g, 0)
	fPos := graphs.Slice(f, zero, size, axis, nil)
	fNeg := graphs.Slice(f, size, graphs.Add(size, size), axis, nil)
	loss := graphs.ReduceMean(graphs.Mul(w, graphs.Sub(fNeg, fPos)), nil, false)
	if err := n.paramGrads(g, loss); err != nil {
		return nil, fmt.Errorf("cdrl: ebm step: %w", err)
	}
	g.Output(OutLoss, loss)
	g.Output(OutFPos, graphs.ReduceMean(fPos, nil, false))
	g.Output(OutFNeg, graphs.ReduceMean(fNeg, nil, false))
	return g, wrap("ebm step", g.Err())
}

// paramGrads declares grad/<name> outputs for every param of g.
func (n Nets) paramGrads(g *graphs.Graph, loss *graphs.Value) error {
	params := g.Params()
	grads, err := graphs.Grad(loss, params...)
	if err != nil {
		return err
	}
	for i, p := range params {
		g.Output(GradPrefix+p.Name(), grads[i])
	}
	return nil
}

// InitForward is the initializer's proposal program: (x, level[, class], params[, dropout
// masks when train]) -> y, the proposal mean in the scaled target space.
func (n Nets) InitForward(lv Levels, train bool) (*graphs.Graph, error) {
	if err := n.validate(lv); err != nil {
		return nil, err
	}
	g := graphs.New("init/forward")
	x := n.dataInput(g, InputX)
	level, class := n.condInputs(g)
	dropout := NoDropout
	if train {
		dropout = n.trainDropout()
	}
	y := n.Init(n.scope(g, InitScope), x, nn.TableTime{Levels: lv.Init, Level: level}, class, dropout)
	g.Output(OutY, y)
	return g, wrap("init forward", g.Err())
}

// InitStep is the initializer's training program (cdrl-method.md 3.2): inputs x, level[,
// class], noise (the scaled noise that was added to the proposal), target (the refined
// sample), params[, dropout masks]; outputs loss = mean over the batch of
// sum((target - (g(x) + noise))^2) and grad/<param>.
func (n Nets) InitStep(lv Levels) (*graphs.Graph, error) {
	if err := n.validate(lv); err != nil {
		return nil, err
	}
	g := graphs.New("init/step")
	x := n.dataInput(g, InputX)
	level, class := n.condInputs(g)
	noise := n.dataInput(g, InputNoise)
	target := n.dataInput(g, InputTarget)
	y := n.Init(n.scope(g, InitScope), x, nn.TableTime{Levels: lv.Init, Level: level}, class, n.trainDropout())
	d := graphs.Sub(target, graphs.Add(y, noise))
	axes := make([]int, len(n.Shape))
	for k := range axes {
		axes[k] = k + 1
	}
	loss := graphs.ReduceMean(graphs.ReduceSum(graphs.Mul(d, d), axes, false), nil, false)
	if err := n.paramGrads(g, loss); err != nil {
		return nil, fmt.Errorf("cdrl: init step: %w", err)
	}
	g.Output(OutLoss, loss)
	return g, wrap("init step", g.Err())
}

// ExportEnergy is the bundle's energy graph (design.md section 6): inputs x, logsnr (N)[,
// class] -> energy (N), grad; built without spectral norm so normalised weights are baked in.
// The time path runs on the EBM's level table, each sample taking the level nearest its logSNR.
func (n Nets) ExportEnergy(lv Levels) (*graphs.Graph, error) {
	g := graphs.New("energy")
	x := n.dataInput(g, InputX)
	logsnr := graphs.Input(g, InputLogSNR, tensor.Float32, -1)
	var class *graphs.Value
	if n.Classes > 0 {
		class = graphs.Input(g, InputClass, tensor.Int64, -1)
	}
	f := n.Energy(n.scope(g, EBMScope), x, nn.NearestLevel(lv.EBM, logsnr), class, false)
	grads, err := graphs.Grad(f, x)
	if err != nil {
		return nil, fmt.Errorf("cdrl: export energy: %w", err)
	}
	g.Output(OutEnergy, f)
	g.Output(OutGrad, grads[0])
	return g, wrap("export energy", g.Err())
}

// ExportInit is the bundle's initializer graph: inputs x, logsnr (N)[, class] -> y, with the
// time path on the initializer's level table like ExportEnergy.
func (n Nets) ExportInit(lv Levels) (*graphs.Graph, error) {
	g := graphs.New("initializer")
	x := n.dataInput(g, InputX)
	logsnr := graphs.Input(g, InputLogSNR, tensor.Float32, -1)
	var class *graphs.Value
	if n.Classes > 0 {
		class = graphs.Input(g, InputClass, tensor.Int64, -1)
	}
	g.Output(OutY, n.Init(n.scope(g, InitScope), x, nn.NearestLevel(lv.Init, logsnr), class, NoDropout))
	return g, wrap("export initializer", g.Err())
}

func wrap(program string, err error) error {
	if err != nil {
		return fmt.Errorf("cdrl: %s: %w", program, err)
	}
	return nil
}
