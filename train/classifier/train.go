package classifier

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/infer/metrics"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/train/data"
	"github.com/cdrl-go/cdrl/train/optim"
)

// TrainConfig configures Train.
type TrainConfig struct {
	// Train is the labelled training set: 1x28x28 samples in [-1, 1] with the 10 classes of
	// MNIST (class id = digit + 1), as data.Open("mnist") gives.
	Train data.Dataset
	// Test, when not nil, is measured at the end of every epoch and of the run on TestN of its
	// digits (drawn once, distinct, from Seed).
	Test data.Dataset
	// TestN is the number of test digits measured; 0 or more than the set holds means all.
	TestN int
	// Epochs is the length of the run in passes over the training set (each step draws a
	// fresh random batch, so an epoch is Len/Batch steps rather than an exact permutation).
	Epochs int
	// Steps, when positive, sets the number of optimiser steps instead of Epochs.
	Steps int
	// Batch is the number of digits per step.
	Batch int
	// LR is Adam's peak learning rate; it decays along a half cosine to 0 over the run.
	LR float64
	// Seed seeds the initial weights and the batch draws.
	Seed uint64
	// LogEvery is the number of steps between progress reports (0 means 100). Reports also
	// come at the end of every epoch and of the run.
	LogEvery int
	// Session configures the ONNX Runtime sessions (threads, provider).
	Session ort.SessionConfig
}

// DefaultTrainConfig returns the settings the shipped mnist.onnx was trained with, without
// data: 3 epochs of batches of 64 at learning rate 1e-3, seed 1, all 10,000 test digits.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Epochs: 3, Batch: 64, LR: 1e-3, Seed: 1, LogEvery: 100}
}

// Progress is one report of a training run.
type Progress struct {
	// Step is the number of steps done, out of Steps.
	Step, Steps int
	// Epoch is the number of training samples seen divided by the training set size.
	Epoch float64
	// Loss and Accuracy are the mean cross-entropy and the accuracy on the training batches
	// since the previous report.
	Loss, Accuracy float64
	// TestAccuracy is the accuracy on the test digits, measured at epoch ends and at the end
	// of the run; NaN in the other reports or when there is no test set.
	TestAccuracy float64
	// LR is the learning rate of the last step.
	LR float64
	// Elapsed is the wall time since training started (test measurements included).
	Elapsed time.Duration
}

// Rate returns the steps per second so far.
func (p Progress) Rate() float64 {
	return float64(p.Step) / math.Max(p.Elapsed.Seconds(), 1e-9)
}

// ETA returns the estimated time left at the current rate.
func (p Progress) ETA() time.Duration {
	r := p.Rate()
	if r <= 0 {
		return 0
	}
	return time.Duration(float64(p.Steps-p.Step) / r * float64(time.Second))
}

// Model is a trained classifier: its params and how it got them.
type Model struct {
	// Params holds the trained weights, named like the params of the network.
	Params *optim.Params
	// Steps is the number of optimiser steps taken.
	Steps int
	// TestAccuracy is the last measured test accuracy, NaN without a test set.
	TestAccuracy float64
	// Elapsed is the training time.
	Elapsed time.Duration
}

// Marshal returns the model as an ONNX inference graph with the weights baked in: input "x"
// (N, 1, 28, 28) in [-1, 1], outputs "logits" (N, 10) and "features" (N, 128).
func (m *Model) Marshal() ([]byte, error) {
	g, overrides, err := m.graph()
	if err != nil {
		return nil, err
	}
	b, err := onnx.Marshal(g, onnx.Options{Params: onnx.BakeParams, Overrides: overrides, DocString: docString})
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	return b, nil
}

// Write stores Marshal's model at path (atomically, see onnx.Write).
func (m *Model) Write(path string) error {
	g, overrides, err := m.graph()
	if err != nil {
		return err
	}
	if err := onnx.Write(path, g, onnx.Options{Params: onnx.BakeParams, Overrides: overrides, DocString: docString}); err != nil {
		return fmt.Errorf("classifier: %w", err)
	}
	return nil
}

// docString is written into exported models.
const docString = "cdrl-go MNIST classifier (train/classifier): x (N,1,28,28) in [-1,1] -> logits (N,10), features (N,128)"

func (m *Model) graph() (*graphs.Graph, map[string]*tensor.Tensor, error) {
	if m == nil || m.Params == nil {
		return nil, nil, errors.New("classifier: model has no params")
	}
	if err := m.Params.Validate(); err != nil {
		return nil, nil, fmt.Errorf("classifier: %w", err)
	}
	g, err := inferenceGraph(0)
	if err != nil {
		return nil, nil, err
	}
	overrides := make(map[string]*tensor.Tensor, len(m.Params.Names))
	for i, name := range m.Params.Names {
		overrides[name] = tensor.FromFloat32(m.Params.Data[i], m.Params.Shapes[i]...)
	}
	if len(overrides) != len(g.Params()) {
		return nil, nil, fmt.Errorf("classifier: model has %d params, the network %d", len(overrides), len(g.Params()))
	}
	return g, overrides, nil
}

// checkDigits reports whether ds holds 1x28x28 samples labelled with 10 classes.
func checkDigits(ds data.Dataset, what string) error {
	if ds == nil {
		return fmt.Errorf("classifier: no %s set", what)
	}
	sh := ds.Shape()
	if len(sh) != 3 || sh[0] != 1 || sh[1] != Side || sh[2] != Side {
		return fmt.Errorf("classifier: %s set %s holds samples of shape %v, want [1 %d %d]", what, ds.Name(), sh, Side, Side)
	}
	if n := len(ds.Classes()); n != Classes {
		return fmt.Errorf("classifier: %s set %s has %d classes, want %d", what, ds.Name(), n, Classes)
	}
	if ds.Len() == 0 {
		return fmt.Errorf("classifier: %s set %s is empty", what, ds.Name())
	}
	return nil
}

// Draw returns n distinct digits of ds drawn by rng (all of them, in random order, when n is 0
// or more than ds holds): x holds n*784 pixels in [-1, 1] and digits the digits 0..9 (the
// dataset's class ids minus 1). It returns an error when ds is not a set of labelled 28x28
// digits or rng is nil.
func Draw(ds data.Dataset, n int, rng *rand.Rand) (x []float32, digits []int, err error) {
	if err := checkDigits(ds, "digit"); err != nil {
		return nil, nil, err
	}
	if rng == nil {
		return nil, nil, errors.New("classifier: draw digits: nil rng")
	}
	if n <= 0 || n > ds.Len() {
		n = ds.Len()
	}
	x = make([]float32, n*Side*Side)
	ids := make([]int64, n)
	if err := ds.Batch(x, ids, rng); err != nil {
		return nil, nil, fmt.Errorf("classifier: draw digits: %w", err)
	}
	digits = make([]int, n)
	for i, id := range ids {
		if id < 1 || id > Classes {
			return nil, nil, fmt.Errorf("classifier: draw digits: %s gave class id %d, want 1..%d", ds.Name(), id, Classes)
		}
		digits[i] = int(id - 1)
	}
	return x, digits, nil
}

func (c *TrainConfig) validate() error {
	if err := checkDigits(c.Train, "training"); err != nil {
		return err
	}
	if c.Test != nil {
		if err := checkDigits(c.Test, "test"); err != nil {
			return err
		}
	}
	switch {
	case c.Batch <= 0:
		return fmt.Errorf("classifier: batch %d, want at least 1", c.Batch)
	case c.Steps < 0:
		return fmt.Errorf("classifier: steps %d, want 0 (use epochs) or more", c.Steps)
	case c.Steps == 0 && c.Epochs <= 0:
		return fmt.Errorf("classifier: epochs %d, want at least 1", c.Epochs)
	case !(c.LR > 0) || math.IsInf(c.LR, 1):
		return fmt.Errorf("classifier: learning rate %v, want a finite number > 0", c.LR)
	case c.LogEvery < 0:
		return fmt.Errorf("classifier: log every %d steps, want 0 (default) or more", c.LogEvery)
	case c.TestN < 0:
		return fmt.Errorf("classifier: %d test digits, want 0 (all) or more", c.TestN)
	}
	return nil
}

// Train trains the classifier with ONNX Runtime: a training graph with the params as inputs
// computes the mean cross-entropy of a batch and its gradients, and Adam updates the params in
// Go. progress, when not nil, receives the reports. It returns an error for an invalid
// config, when ctx is done, or when the loss or a gradient stops being finite.
func Train(ctx context.Context, cfg TrainConfig, progress func(Progress)) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.LogEvery == 0 {
		cfg.LogEvery = 100
	}
	start := time.Now()
	g, err := trainingGraph(cfg.Seed)
	if err != nil {
		return nil, err
	}
	params, err := initialParams(g)
	if err != nil {
		return nil, err
	}
	step, err := newSession(g, onnx.ParamsAsInputs, cfg.Session)
	if err != nil {
		return nil, err
	}
	defer step.Close()

	rng := rand.New(rand.NewPCG(cfg.Seed, 0x636c617373696679)) // "classify"
	var eval *ort.Session
	var testX []float32
	var testDigits []int
	if cfg.Test != nil {
		ig, err := inferenceGraph(cfg.Seed)
		if err != nil {
			return nil, err
		}
		if eval, err = newSession(ig, onnx.ParamsAsInputs, cfg.Session); err != nil {
			return nil, err
		}
		defer eval.Close()
		if testX, testDigits, err = Draw(cfg.Test, cfg.TestN, TestRand(cfg.Seed)); err != nil {
			return nil, err
		}
	}
	testAccuracy := func() (float64, error) {
		if eval == nil {
			return math.NaN(), nil
		}
		logits, _, err := runBatches(ctx, eval, paramFeeds(params), testX, len(testDigits))
		if err != nil {
			return 0, err
		}
		return metrics.Accuracy(argmax(logits), testDigits)
	}

	adam, err := optim.NewAdam(optim.DefaultAdam())
	if err != nil {
		return nil, err
	}
	perEpoch := (cfg.Train.Len() + cfg.Batch - 1) / cfg.Batch
	total := cfg.Steps
	if total == 0 {
		total = cfg.Epochs * perEpoch
	}
	x := make([]float32, cfg.Batch*Side*Side)
	ids := make([]int64, cfg.Batch)
	onehot := make([]float32, cfg.Batch*Classes)
	feeds := paramFeeds(params)
	feeds[InputX] = tensor.FromFloat32(x, cfg.Batch, 1, Side, Side)
	feeds[inputOneHot] = tensor.FromFloat32(onehot, cfg.Batch, Classes)
	grads := make([][]float32, params.Len())

	var lossSum float64
	var right, seen, since int
	last := math.NaN()
	var lr float64
	for s := 0; s < total; s++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("classifier: train: %w", err)
		}
		if err := cfg.Train.Batch(x, ids, rng); err != nil {
			return nil, fmt.Errorf("classifier: train: %w", err)
		}
		clear(onehot)
		for i, id := range ids {
			if id < 1 || id > Classes {
				return nil, fmt.Errorf("classifier: train: %s gave class id %d, want 1..%d", cfg.Train.Name(), id, Classes)
			}
			onehot[i*Classes+int(id-1)] = 1
		}
		out, err := step.Run(ctx, feeds)
		if err != nil {
			return nil, fmt.Errorf("classifier: train step %d: %w", s+1, err)
		}
		loss := float64(out[outLoss].Float32[0])
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("classifier: train: diverged at step %d: loss is %v", s+1, loss)
		}
		for i, name := range params.Names {
			t, ok := out[gradPrefix+name]
			if !ok {
				return nil, fmt.Errorf("classifier: train: the step has no gradient for %s", name)
			}
			grads[i] = t.Float32
		}
		if ok, k, idx := optim.AllFinite(grads); !ok {
			return nil, fmt.Errorf("classifier: train: diverged at step %d: the gradient of %s is not finite (index %d)", s+1, params.Names[k], idx)
		}
		lr = cfg.LR * 0.5 * (1 + math.Cos(math.Pi*float64(s)/float64(total)))
		if err := adam.Step(params.Data, grads, lr); err != nil {
			return nil, fmt.Errorf("classifier: train: %w", err)
		}
		for i, p := range argmax(out[OutLogits].Float32) {
			if p == int(ids[i]-1) {
				right++
			}
		}
		lossSum += loss
		seen += len(ids)
		since++

		done := s + 1
		epochEnd := done%perEpoch == 0 || done == total
		if done%cfg.LogEvery != 0 && !epochEnd {
			continue
		}
		p := Progress{
			Step: done, Steps: total,
			Epoch:    float64(done) * float64(cfg.Batch) / float64(cfg.Train.Len()),
			Loss:     lossSum / float64(since),
			Accuracy: float64(right) / float64(seen),
			LR:       lr, TestAccuracy: math.NaN(),
		}
		if epochEnd {
			if p.TestAccuracy, err = testAccuracy(); err != nil {
				return nil, fmt.Errorf("classifier: train: test: %w", err)
			}
			last = p.TestAccuracy
		}
		p.Elapsed = time.Since(start)
		if progress != nil {
			progress(p)
		}
		lossSum, right, seen, since = 0, 0, 0, 0
	}
	return &Model{Params: params, Steps: total, TestAccuracy: last, Elapsed: time.Since(start)}, nil
}

// TestRand returns the generator with which Train draws its test digits for a given seed, so
// that a later measurement (Draw with the same n) uses the same digits.
func TestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x74657374)) } // "test"

// initialParams copies the initial values of g's params.
func initialParams(g *graphs.Graph) (*optim.Params, error) {
	var names []string
	var shapes [][]int
	for _, v := range g.Params() {
		names = append(names, v.Name())
		shapes = append(shapes, v.Shape())
	}
	ps, err := optim.NewParams(names, shapes)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	for i, v := range g.Params() {
		copy(ps.Data[i], v.Node().Attrs.Tensor("value").Float32)
	}
	return ps, nil
}

// paramFeeds wraps the params as input tensors by name (no copy).
func paramFeeds(p *optim.Params) map[string]*tensor.Tensor {
	m := make(map[string]*tensor.Tensor, p.Len()+2)
	for i, n := range p.Names {
		m[n] = tensor.FromFloat32(p.Data[i], p.Shapes[i]...)
	}
	return m
}

// newSession encodes g and opens it in ONNX Runtime.
func newSession(g *graphs.Graph, mode onnx.ParamMode, cfg ort.SessionConfig) (*ort.Session, error) {
	b, err := onnx.Marshal(g, onnx.Options{Params: mode})
	if err != nil {
		return nil, fmt.Errorf("classifier: %s: %w", g.Name(), err)
	}
	s, err := ort.NewSession(b, cfg)
	if err != nil {
		return nil, fmt.Errorf("classifier: %s: %w", g.Name(), err)
	}
	return s, nil
}
