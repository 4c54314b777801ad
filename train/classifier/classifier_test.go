package classifier

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/infer/metrics"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/train/data"
)

const testSeed = 7

// oneThread keeps the tests within two cores.
var oneThread = ort.SessionConfig{IntraOpThreads: 1}

// mnistSplit opens a split of the real MNIST files or skips the test when they are absent.
func mnistSplit(t *testing.T, split data.Split) data.Dataset {
	t.Helper()
	ds, err := data.OpenSplit("mnist", split)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("the MNIST files are absent (%v); run `make setup` to fetch them", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestLoadAccuracy checks the shipped model on 2,000 distinct test digits (a seeded draw).
func TestLoadAccuracy(t *testing.T) {
	test := mnistSplit(t, data.Test)
	c, err := Load(oneThread)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Logf("seed %d", testSeed)
	x, digits, err := Draw(test, 2000, rand.New(rand.NewPCG(testSeed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	labels, probs, features, err := c.Classify(context.Background(), x, len(digits))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 2000 || len(probs) != 2000*Classes || len(features) != 2000*Features {
		t.Fatalf("got %d labels, %d probs, %d features; want 2000, %d, %d", len(labels), len(probs), len(features), 2000*Classes, 2000*Features)
	}
	right := 0
	for i, l := range labels {
		if l == digits[i] {
			right++
		}
		var sum float64
		best := 0
		for k, p := range probs[i*Classes : (i+1)*Classes] {
			sum += float64(p)
			if p > probs[i*Classes+best] {
				best = k
			}
		}
		if math.Abs(sum-1) > 1e-5 || best != l {
			t.Fatalf("digit %d: probs sum to %v with argmax %d, label %d", i, sum, best, l)
		}
	}
	for i, f := range features {
		if f < 0 {
			t.Fatalf("feature %d is %v, want >= 0 (after a ReLU)", i, f)
		}
	}
	acc := float64(right) / 2000
	t.Logf("accuracy of the shipped model on 2000 test digits: %.4f", acc)
	if acc < 0.98 {
		t.Errorf("accuracy %.4f, want at least 0.98", acc)
	}
	if got, err := c.Accuracy(context.Background(), x, digits); err != nil || got != acc {
		t.Errorf("Accuracy: got %v, %v, want %v", got, err, acc)
	}
}

// TestMarshalMatchesReference exports an untrained model and compares what ONNX Runtime
// computes from it with the float64 reference evaluator on the graph.
func TestMarshalMatchesReference(t *testing.T) {
	g, err := inferenceGraph(testSeed)
	if err != nil {
		t.Fatal(err)
	}
	params, err := initialParams(g)
	if err != nil {
		t.Fatal(err)
	}
	// Change the weights so that Overrides, not the initial values, must reach the file.
	for _, d := range params.Data {
		for k := range d {
			d[k] *= 1.5
		}
	}
	model, err := (&Model{Params: params}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(model, oneThread)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(testSeed, 1))
	const n = 3
	x := make([]float32, n*Side*Side)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	labels, probs, features, err := c.Classify(context.Background(), x, n)
	if err != nil {
		t.Fatal(err)
	}
	feeds := paramFeeds(params)
	feeds[InputX] = tensor.FromFloat32(x, n, 1, Side, Side)
	outs := g.Outputs()
	ref, err := graphs.Evaluate(feeds, outs[0].Value, outs[1].Value)
	if err != nil {
		t.Fatal(err)
	}
	refLogits, refFeatures := ref[0].Float64, ref[1].Float64
	for i, v := range features {
		if math.Abs(float64(v)-refFeatures[i]) > 1e-4*math.Max(1, math.Abs(refFeatures[i])) {
			t.Fatalf("feature %d: ORT %v, reference %v", i, v, refFeatures[i])
		}
	}
	want := softmax(toFloat32(refLogits))
	for i, p := range probs {
		if math.Abs(float64(p-want[i])) > 1e-5 {
			t.Fatalf("prob %d: ORT %v, reference %v", i, p, want[i])
		}
	}
	for i, l := range argmax(toFloat32(refLogits)) {
		if labels[i] != l {
			t.Errorf("digit %d: label %d, reference %d", i, labels[i], l)
		}
	}
}

// TestTrainingLoss checks the training graph's loss against the cross-entropy computed in Go
// from its own logits.
func TestTrainingLoss(t *testing.T) {
	g, err := trainingGraph(testSeed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(testSeed, 2))
	const n = 4
	x := make([]float32, n*Side*Side)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	onehot := make([]float32, n*Classes)
	target := []int{3, 0, 9, 3}
	for i, d := range target {
		onehot[i*Classes+d] = 1
	}
	var loss, logits *graphs.Value
	for _, o := range g.Outputs() {
		switch o.Name {
		case outLoss:
			loss = o.Value
		case OutLogits:
			logits = o.Value
		}
	}
	out, err := graphs.Evaluate(map[string]*tensor.Tensor{
		InputX: tensor.FromFloat32(x, n, 1, Side, Side), inputOneHot: tensor.FromFloat32(onehot, n, Classes),
	}, loss, logits)
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for i, d := range target {
		row := out[1].Float64[i*Classes : (i+1)*Classes]
		var s float64
		for _, v := range row {
			s += math.Exp(v)
		}
		want += math.Log(s) - row[d]
	}
	want /= n
	if got := out[0].Float64[0]; math.Abs(got-want) > 1e-9 {
		t.Errorf("loss %v, want %v", got, want)
	}
}

// templates is a synthetic labelled digit set: class c is a bright 8x8 block on a dark
// background at a position of its own, plus Gaussian noise. It implements data.Dataset.
type templates struct {
	pat [Classes][]float32
	n   int
}

func newTemplates(n int) *templates {
	s := &templates{n: n}
	for c := range s.pat {
		s.pat[c] = make([]float32, Side*Side)
		r0, c0 := 2+5*(c/4), 2+6*(c%4)
		for r := 0; r < Side; r++ {
			for q := 0; q < Side; q++ {
				v := float32(-1)
				if r >= r0 && r < r0+8 && q >= c0 && q < c0+8 {
					v = 1
				}
				s.pat[c][r*Side+q] = v
			}
		}
	}
	return s
}

func (s *templates) Name() string { return "templates" }
func (s *templates) Len() int     { return s.n }
func (s *templates) Shape() []int { return []int{1, Side, Side} }
func (s *templates) Classes() []string {
	return []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
}
func (s *templates) Batch(x []float32, labels []int64, rng *rand.Rand) error {
	for i := 0; i < len(x)/(Side*Side); i++ {
		c := rng.IntN(Classes)
		for k, v := range s.pat[c] {
			x[i*Side*Side+k] = v + float32(0.3*rng.NormFloat64())
		}
		if labels != nil {
			labels[i] = int64(c + 1)
		}
	}
	return nil
}

// subset holds a fixed set of digits drawn once from another set.
type subset struct {
	data.Dataset
	x   []float32
	ids []int64
}

func (s *subset) Len() int { return len(s.ids) }
func (s *subset) Batch(x []float32, labels []int64, rng *rand.Rand) error {
	for i := 0; i < len(x)/(Side*Side); i++ {
		j := rng.IntN(len(s.ids))
		copy(x[i*Side*Side:(i+1)*Side*Side], s.x[j*Side*Side:(j+1)*Side*Side])
		if labels != nil {
			labels[i] = s.ids[j]
		}
	}
	return nil
}

// TestTrainLossDecreases trains for a few dozen steps on a few hundred digits and checks
// that the loss falls and the training accuracy rises.
func TestTrainLossDecreases(t *testing.T) {
	sets := map[string]func(t *testing.T) data.Dataset{
		"templates": func(*testing.T) data.Dataset { return newTemplates(300) },
		"mnist": func(t *testing.T) data.Dataset {
			full := mnistSplit(t, data.Train)
			x, digits, err := Draw(full, 300, rand.New(rand.NewPCG(testSeed, 4)))
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]int64, len(digits))
			for i, d := range digits {
				ids[i] = int64(d + 1)
			}
			return &subset{Dataset: full, x: x, ids: ids}
		},
	}
	for name, open := range sets {
		t.Run(name, func(t *testing.T) {
			ds := open(t)
			var reports []Progress
			m, err := Train(context.Background(), TrainConfig{
				Train: ds, Test: ds, TestN: 100, Steps: 40, Batch: 32, LR: 2e-3, Seed: testSeed,
				LogEvery: 10, Session: oneThread,
			}, func(p Progress) { reports = append(reports, p) })
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range reports {
				t.Logf("step %d: loss %.4f acc %.3f test %.3f", p.Step, p.Loss, p.Accuracy, p.TestAccuracy)
			}
			first, final := reports[0], reports[len(reports)-1]
			if !(final.Loss < 0.5*first.Loss) {
				t.Errorf("loss went from %.4f to %.4f, want it at least halved", first.Loss, final.Loss)
			}
			if !(final.Accuracy > first.Accuracy) {
				t.Errorf("training accuracy went from %.3f to %.3f, want it higher", first.Accuracy, final.Accuracy)
			}
			if m.Steps != 40 || math.IsNaN(m.TestAccuracy) || final.Step != 40 || final.Steps != 40 {
				t.Errorf("model after %d steps with test accuracy %v, last report %+v", m.Steps, m.TestAccuracy, final)
			}
		})
	}
}

func TestTrainErrors(t *testing.T) {
	good := func() TrainConfig {
		return TrainConfig{Train: newTemplates(10), Steps: 1, Batch: 2, LR: 1e-3, Session: oneThread}
	}
	toy, err := data.Open("toy2d")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(c *TrainConfig)
		want string
	}{
		{"no data", func(c *TrainConfig) { c.Train = nil }, "no training set"},
		{"wrong shape", func(c *TrainConfig) { c.Train = toy }, "shape [2], want [1 28 28]"},
		{"wrong test", func(c *TrainConfig) { c.Test = toy }, "test set toy2d:squares"},
		{"batch", func(c *TrainConfig) { c.Batch = 0 }, "batch 0"},
		{"no length", func(c *TrainConfig) { c.Steps = 0 }, "epochs 0"},
		{"negative steps", func(c *TrainConfig) { c.Steps = -1 }, "steps -1"},
		{"lr", func(c *TrainConfig) { c.LR = math.NaN() }, "learning rate NaN"},
		{"test n", func(c *TrainConfig) { c.TestN = -1 }, "-1 test digits"},
	}
	for _, tc := range tests {
		cfg := good()
		tc.edit(&cfg)
		_, err := Train(context.Background(), cfg, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "classifier: ") {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, good(), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got error %v, want context.Canceled", err)
	}
}

func TestClassifyErrors(t *testing.T) {
	c, err := Load(oneThread)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	ok := make([]float32, 2*Side*Side)
	nan := make([]float32, Side*Side)
	nan[1] = float32(math.NaN())
	tests := []struct {
		name string
		x    []float32
		n    int
		want string
	}{
		{"no digits", ok, 0, "0 digits"},
		{"too short", ok[:100], 1, "x has 100 values, want 1 digits of 784 pixels = 784"},
		{"too long", ok, 1, "x has 1568 values"},
		{"nan", nan, 1, "pixel 1 (digit 0) is NaN"},
	}
	for _, tc := range tests {
		_, _, _, err := c.Classify(ctx, tc.x, tc.n)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "classifier: ") {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := c.Accuracy(ctx, ok, []int{1}); err == nil {
		t.Error("Accuracy with 2 digits of pixels and 1 label: no error")
	}
	var nilC *Classifier
	if _, _, _, err := nilC.Classify(ctx, ok, 2); err == nil {
		t.Error("nil classifier: no error")
	}
	if err := nilC.Close(); err != nil {
		t.Errorf("Close on nil: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, _, err := c.Classify(ctx, ok, 2); !errors.Is(err, ort.ErrClosed) {
		t.Errorf("after Close: got %v, want ort.ErrClosed", err)
	}
}

// TestNewRejectsOtherModels opens a model whose output has the wrong width.
func TestNewRejectsOtherModels(t *testing.T) {
	g := graphs.New("other")
	x := graphs.Input(g, InputX, tensor.Float32, -1, 1, Side, Side)
	flat := graphs.Flatten(x, 1)
	g.Output(OutLogits, graphs.SliceAxis(flat, 1, 0, 5))
	g.Output(OutFeatures, flat)
	model, err := onnx.Marshal(g, onnx.Options{Params: onnx.BakeParams})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(model, oneThread)
	if err == nil {
		c.Close()
		t.Fatal("no error for a model with 5 logits")
	}
	if !strings.Contains(err.Error(), "logits") {
		t.Errorf("error %v, want one naming the logits", err)
	}
	if _, err := New([]byte("not a model"), oneThread); err == nil {
		t.Error("no error for garbage bytes")
	}
	if _, err := (&Model{}).Marshal(); err == nil || !strings.Contains(err.Error(), "no params") {
		t.Errorf("empty model: got error %v", err)
	}
}

func TestDraw(t *testing.T) {
	ds := newTemplates(50)
	x, digits, err := Draw(ds, 0, rand.New(rand.NewPCG(1, 1)))
	if err != nil || len(digits) != 50 || len(x) != 50*Side*Side {
		t.Fatalf("got %d digits, %d values, %v; want all 50", len(digits), len(x), err)
	}
	for i, d := range digits {
		if d < 0 || d >= Classes {
			t.Fatalf("digit %d is %d", i, d)
		}
	}
	if _, _, err := Draw(ds, 5, nil); err == nil || !strings.Contains(err.Error(), "nil rng") {
		t.Errorf("nil rng: got %v", err)
	}
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestFeatureDistances uses the shipped model as the issue intends: the Frechet distance of
// features between two draws of real digits must be far below that between real digits and
// noisy ones, and real digits get confident predictions.
func TestFeatureDistances(t *testing.T) {
	test := mnistSplit(t, data.Test)
	c, err := Load(oneThread)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	const n = 1000
	x, _, err := Draw(test, 2*n, rand.New(rand.NewPCG(testSeed, 5)))
	if err != nil {
		t.Fatal(err)
	}
	a, b := x[:n*Side*Side], x[n*Side*Side:]
	rng := rand.New(rand.NewPCG(testSeed, 6))
	noisy := make([]float32, len(b))
	for i, v := range b {
		noisy[i] = float32(math.Max(-1, math.Min(1, float64(v)+0.5*rng.NormFloat64())))
	}
	features := func(x []float32) ([]float32, []float32) {
		_, probs, f, err := c.Classify(ctx, x, n)
		if err != nil {
			t.Fatal(err)
		}
		return probs, f
	}
	pa, fa := features(a)
	_, fb := features(b)
	pn, fn := features(noisy)
	same, err := metrics.Frechet(fa, fb, Features)
	if err != nil {
		t.Fatal(err)
	}
	noise, err := metrics.Frechet(fa, fn, Features)
	if err != nil {
		t.Fatal(err)
	}
	ma, _ := metrics.MeanMax(pa, Classes)
	mn, _ := metrics.MeanMax(pn, Classes)
	t.Logf("Frechet real/real %.3f, real/noisy %.3f; mean max prob real %.3f, noisy %.3f", same, noise, ma, mn)
	if !(same*5 < noise) {
		t.Errorf("Frechet real/real %v is not well below real/noisy %v", same, noise)
	}
	if ma < 0.95 {
		t.Errorf("mean max probability of real digits %.3f, want at least 0.95", ma)
	}
}
