package unet

import (
	"math"
	"math/rand"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/gradcheck"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

const testSeed = 20260515

// levels are the logSNR values of the default 7-level schedule.
var levels = []float64{9.8, 2.68882, 1.19688, 0.141071, -0.876073, -2.172388, -5.1}

// randFloat32 draws a float32 tensor of standard normal values.
func randFloat32(rng *rand.Rand, shape ...int) *tensor.Tensor {
	data := make([]float32, tensor.Shape(shape).Size())
	for k := range data {
		data[k] = float32(rng.NormFloat64())
	}
	return tensor.FromFloat32(data, shape...)
}

// paramCount is the number of trainable values of g.
func paramCount(g *graphs.Graph) int {
	n := 0
	for _, p := range g.Params() {
		n += p.Shape().Size()
	}
	return n
}

// forwardMACs counts the multiply-accumulates per sample of the Gemm, MatMul and Conv nodes
// that run on the (dynamic) batch: the x path, plus the time path where it runs per sample.
func forwardMACs(f *graphs.Value) int {
	total := 0
	for _, n := range graphs.LiveNodes(f) {
		if len(n.Inputs) < 2 || n.Inputs[0].Rank() == 0 || n.Inputs[0].Shape()[0] >= 0 {
			continue
		}
		a, w, out := n.Inputs[0].Shape(), n.Inputs[1].Shape(), n.Outputs[0].Shape()
		perSample := tensor.Shape(out[1:]).Size()
		switch n.Op {
		case "Gemm", "MatMul":
			total += perSample * a[len(a)-1]
		case "Conv":
			total += perSample * w[1] * w[2] * w[3]
		}
	}
	return total
}

// wakeParams feeds small random values for every parameter that starts at zero (output layers,
// GroupNorm shifts), so that every layer reaches the output.
func wakeParams(g *graphs.Graph, rng *rand.Rand, feeds map[string]*tensor.Tensor) {
	for _, p := range g.Params() {
		v := p.Node().Attrs.Tensor("value").Float32
		zero := true
		for _, x := range v {
			zero = zero && x == 0
		}
		if zero {
			t := randFloat32(rng, p.Shape()...)
			for k := range t.Float32 {
				t.Float32[k] *= 0.3
			}
			feeds[p.Name()] = t
		}
	}
}

// input returns g's input of the given name, or nil.
func input(g *graphs.Graph, name string) *graphs.Value {
	for _, in := range g.Inputs() {
		if in.Name() == name {
			return in
		}
	}
	return nil
}

// checkGrads compares the derivative of L = sum(y * R), R fixed and random, along a random
// direction over all of wrt (inputs or parameters, at their values in feeds or else at their
// initial values) with central differences, both in the float64 evaluator.
func checkGrads(t *testing.T, y *graphs.Value, feeds map[string]*tensor.Tensor, wrt []*graphs.Value, rng *rand.Rand) {
	t.Helper()
	res, err := gradcheck.Gradient(y, feeds, wrt, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Relative to the numeric value alone (stricter than gradcheck's RelErr).
	rel := math.Abs(res.Analytic-res.Numeric) / math.Max(math.Abs(res.Numeric), 1e-3)
	t.Logf("%d tensors: analytic %.9g, numeric %.9g, rel err %.2e", len(wrt), res.Analytic, res.Numeric, rel)
	if rel > 1e-6 {
		t.Errorf("directional derivative: analytic %g, numeric %g (rel err %.2e)", res.Analytic, res.Numeric, rel)
	}
}

// built is a network built for a test with a dynamic batch.
type built struct {
	y *graphs.Value
	g *graphs.Graph
}

// build builds net on x of per-sample shape xShape, the time path on the level table ("level")
// or per sample ("logsnr"), with a "class" input when classes is positive.
func build(net Network, xShape []int, classes int, table bool) built {
	g := graphs.New("unet")
	x := graphs.Input(g, "x", tensor.Float32, append([]int{-1}, xShape...)...)
	var tm nn.Time = nn.SampleTime{LogSNR: graphs.Input(g, "logsnr", tensor.Float32, -1)}
	if table {
		tm = nn.TableTime{Levels: levels, Level: graphs.Input(g, "level", tensor.Int64, -1)}
	}
	var cond Cond
	if classes > 0 {
		cond.Class = graphs.Input(g, "class", tensor.Int64, -1)
	}
	y := net.Build(nn.Scope{G: g, Prefix: "init", Rng: rand.New(rand.NewSource(1))}, x, tm, cond)
	return built{y: y, g: g}
}

// feedsFor returns x, level, logsnr and (when class is not nil) class feeds for a batch.
func feedsFor(rng *rand.Rand, xShape []int, lv, class []int64) map[string]*tensor.Tensor {
	n := len(lv)
	ls := make([]float32, n)
	for i, l := range lv {
		ls[i] = float32(levels[l])
	}
	feeds := map[string]*tensor.Tensor{
		"x":      randFloat32(rng, append([]int{n}, xShape...)...),
		"level":  tensor.FromInt64(lv, n),
		"logsnr": tensor.FromFloat32(ls, n),
	}
	if class != nil {
		feeds["class"] = tensor.FromInt64(class, n)
	}
	return feeds
}
