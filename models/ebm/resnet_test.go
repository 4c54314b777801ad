package ebm

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/gradcheck"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

const testSeed = 20260514

// tinyResNet has two levels, two blocks each (so both an identity and a convolution skip)
// and runs on 4x4 inputs.
func tinyResNet(classes int, spectral bool) ResNetConfig {
	return ResNetConfig{InChannels: 2, Width: 2, ChMult: []int{1, 2}, Blocks: 2, TembDim: 4, Spectral: spectral, Classes: classes}
}

func tinyToy(classes int, spectral bool) ToyConfig {
	c := smallToy()
	c.Classes, c.Spectral = classes, spectral
	return c
}

// condNets are the class-conditional networks (3 classes) next to an unconditional ResNet.
var condNets = []struct {
	name    string
	xShape  []int
	classes int
	build   func(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond) *graphs.Value
}{
	{"resnet", []int{2, 4, 4}, 0, tinyResNet(0, true).Build},
	{"resnet-class", []int{2, 4, 4}, 3, tinyResNet(3, true).Build},
	{"toy-class", []int{2}, 3, tinyToy(3, true).Build},
}

// randFloat32 draws a float32 tensor of standard normal values.
func randFloat32(rng *rand.Rand, shape ...int) *tensor.Tensor {
	data := make([]float32, tensor.Shape(shape).Size())
	for k := range data {
		data[k] = float32(rng.NormFloat64())
	}
	return tensor.FromFloat32(data, shape...)
}

// addSpectralFeeds feeds the power-iteration vectors of every spectral-normalised weight of g,
// converged from a random start on the weight's initial value.
func addSpectralFeeds(g *graphs.Graph, rng *rand.Rand, feeds map[string]*tensor.Tensor) {
	params := map[string]*graphs.Value{}
	for _, p := range g.Params() {
		params[p.Name()] = p
	}
	for _, sw := range nn.SpectralParams(g) {
		w := params[sw.Weight].Node().Attrs.Tensor("value").Float32
		u0 := randFloat32(rng, sw.Rows).Float32
		u, v, _ := nn.PowerIteration(w, sw.Rows, sw.Cols, u0, 30)
		feeds[sw.U] = tensor.FromFloat32(u, sw.Rows)
		feeds[sw.V] = tensor.FromFloat32(v, sw.Cols)
	}
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

// checkGrads compares the derivative of L = sum(y * R), R fixed and random, along a random
// direction over all of wrt (inputs fed in feeds, or parameters at their initial values) with
// central differences, both in the float64 evaluator.
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

// condFeeds returns x, level, logsnr and class feeds for a batch.
func condFeeds(rng *rand.Rand, xShape []int, lv, class []int64) map[string]*tensor.Tensor {
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

// buildCond builds one of condNets with a dynamic batch, the time path on the level table or
// per sample.
func buildCond(name string, xShape []int, classes int, table bool, build func(nn.Scope, *graphs.Value, nn.Time, Cond) *graphs.Value) *graphs.Value {
	g := graphs.New(name)
	x := graphs.Input(g, "x", tensor.Float32, append([]int{-1}, xShape...)...)
	var tm nn.Time = nn.SampleTime{LogSNR: graphs.Input(g, "logsnr", tensor.Float32, -1)}
	if table {
		tm = nn.TableTime{Levels: levels, Level: graphs.Input(g, "level", tensor.Int64, -1)}
	}
	var cond Cond
	if classes > 0 {
		cond.Class = graphs.Input(g, "class", tensor.Int64, -1)
	}
	return build(nn.Scope{G: g, Prefix: "ebm", Rng: rand.New(rand.NewSource(1))}, x, tm, cond)
}

// TestCondTableMatchesSample checks that the level-table time path gives the energies of the
// per-sample one, with and without classes.
func TestCondTableMatchesSample(t *testing.T) {
	for _, net := range condNets {
		t.Run(net.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(testSeed))
			var class []int64
			if net.classes > 0 {
				class = []int64{0, 3, 1, 2, 3}
			}
			feeds := condFeeds(rng, net.xShape, []int64{0, 3, 6, 1, 3}, class)
			var got [2][]float64
			for k, table := range []bool{true, false} {
				f := buildCond(net.name, net.xShape, net.classes, table, net.build)
				addSpectralFeeds(f.Graph(), rand.New(rand.NewSource(testSeed)), feeds)
				out, err := graphs.Evaluate(feeds, f)
				if err != nil {
					t.Fatal(err)
				}
				if !out[0].Shape.Equal(tensor.Shape{5}) {
					t.Fatalf("energy shape %v, want (5)", out[0].Shape)
				}
				got[k] = out[0].Float64
			}
			for i := range got[0] {
				if d := math.Abs(got[0][i] - got[1][i]); d > 1e-5*(1+math.Abs(got[1][i])) {
					t.Errorf("sample %d: table %g, per-sample %g", i, got[0][i], got[1][i])
				}
			}
		})
	}
}

// TestCondBatchIndependence checks that a sample's energy does not depend on the rest of a
// dynamic batch: the energies of a batch of 4 equal those of its samples run alone.
func TestCondBatchIndependence(t *testing.T) {
	for _, net := range condNets {
		t.Run(net.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(testSeed))
			f := buildCond(net.name, net.xShape, net.classes, true, net.build)
			var class []int64
			if net.classes > 0 {
				class = []int64{2, 0, 3, 1}
			}
			feeds := condFeeds(rng, net.xShape, []int64{1, 4, 0, 6}, class)
			addSpectralFeeds(f.Graph(), rng, feeds)
			all, err := graphs.Evaluate(feeds, f)
			if err != nil {
				t.Fatal(err)
			}
			per := tensor.Shape(net.xShape).Size()
			for i := 0; i < 4; i++ {
				one := map[string]*tensor.Tensor{}
				for k, v := range feeds {
					one[k] = v
				}
				x := feeds["x"].Float32[i*per : (i+1)*per]
				one["x"] = tensor.FromFloat32(x, append([]int{1}, net.xShape...)...)
				one["level"] = tensor.FromInt64(feeds["level"].Int64[i:i+1], 1)
				if class != nil {
					one["class"] = tensor.FromInt64(class[i:i+1], 1)
				}
				out, err := graphs.Evaluate(one, f)
				if err != nil {
					t.Fatal(err)
				}
				if !out[0].Shape.Equal(tensor.Shape{1}) || math.Abs(out[0].Float64[0]-all[0].Float64[i]) > 1e-9*(1+math.Abs(all[0].Float64[i])) {
					t.Errorf("sample %d alone: %v, in the batch %g", i, out[0].Float64, all[0].Float64[i])
				}
			}
		})
	}
}

// TestClassChangesEnergy checks that the class reaches the energy: one input under the null
// class and the three labels gives four different energies, and the same class twice the same.
func TestClassChangesEnergy(t *testing.T) {
	for _, net := range condNets {
		if net.classes == 0 {
			continue
		}
		t.Run(net.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(testSeed))
			f := buildCond(net.name, net.xShape, net.classes, true, net.build)
			per := tensor.Shape(net.xShape).Size()
			x0 := randFloat32(rng, per).Float32
			xs := make([]float32, 0, 5*per)
			for i := 0; i < 5; i++ {
				xs = append(xs, x0...)
			}
			feeds := condFeeds(rng, net.xShape, []int64{2, 2, 2, 2, 2}, []int64{0, 1, 2, 3, 2})
			feeds["x"] = tensor.FromFloat32(xs, append([]int{5}, net.xShape...)...)
			addSpectralFeeds(f.Graph(), rng, feeds)
			out, err := graphs.Evaluate(feeds, f)
			if err != nil {
				t.Fatal(err)
			}
			e := out[0].Float64
			t.Logf("energies by class 0..3: %.6g", e[:4])
			for i := 0; i < 4; i++ {
				for j := 0; j < i; j++ {
					if math.Abs(e[i]-e[j]) < 1e-6*(1+math.Abs(e[j])) {
						t.Errorf("classes %d and %d give the same energy %g", i, j, e[i])
					}
				}
			}
			if e[4] != e[2] {
				t.Errorf("class 2 twice: %g and %g", e[2], e[4])
			}
		})
	}
}

// TestClassEmbeddingIsOneHotLinear checks the gathered class table against Linear on one-hot
// rows, with the spectral-normalised weight.
func TestClassEmbeddingIsOneHotLinear(t *testing.T) {
	const classes, out = 4, 3
	g := graphs.New("class")
	class := graphs.Input(g, "class", tensor.Int64, -1)
	s := nn.Scope{G: g, Prefix: "c", Rng: rand.New(rand.NewSource(testSeed))}
	got := nn.ClassEmbedding(s, class, classes, out, true)
	ids := []int64{0, 4, 2, 2, 1}
	onehot := make([]float32, len(ids)*(classes+1))
	for i, id := range ids {
		onehot[i*(classes+1)+int(id)] = 1
	}
	params := g.Params()
	if len(params) != 2 || params[0].Name() != "c/w" || !params[0].Shape().Equal(tensor.Shape{out, classes + 1}) {
		t.Fatalf("params %v, want c/w (%d, %d) and c/b", params, out, classes+1)
	}
	u, v := g.Inputs()[1], g.Inputs()[2]
	want := nn.Linear(graphs.Const(g, tensor.FromFloat32(onehot, len(ids), classes+1)), nn.SpectralNormalize(params[0], u, v), params[1])
	feeds := map[string]*tensor.Tensor{"class": tensor.FromInt64(ids, len(ids))}
	addSpectralFeeds(g, rand.New(rand.NewSource(testSeed)), feeds)
	if sp := nn.SpectralParams(g); len(sp) != 1 || sp[0].Rows != out || sp[0].Cols != classes+1 {
		t.Fatalf("spectral params %+v, want c/w as a %dx%d matrix", sp, out, classes+1)
	}
	res, err := graphs.Evaluate(feeds, got, want)
	if err != nil {
		t.Fatal(err)
	}
	for k := range res[1].Float64 {
		if d := math.Abs(res[0].Float64[k] - res[1].Float64[k]); d > 1e-12 {
			t.Fatalf("entry %d: gathered %g, one-hot linear %g", k, res[0].Float64[k], res[1].Float64[k])
		}
	}
}

// TestResNetInputGradient checks df/dx of the ResNet against finite differences, through the
// level table and the class table.
func TestResNetInputGradient(t *testing.T) {
	for _, classes := range []int{0, 3} {
		inputs := []gradcheck.Input{{Name: "x", Shape: []int{3, 2, 4, 4}, Dynamic: true}}
		if classes > 0 {
			inputs = append(inputs, gradcheck.Input{Name: "class", Shape: []int{3}, Ints: []int64{0, 3, 1}, Dynamic: true})
		}
		c := gradcheck.Case{
			Name:   "resnet",
			Inputs: inputs,
			Build: func(v []*graphs.Value) *graphs.Value {
				g := v[0].Graph()
				var cond Cond
				if classes > 0 {
					cond.Class = v[1]
				}
				lv := graphs.Const(g, tensor.FromInt64([]int64{0, 2, 5}, 3))
				return ResNet(nn.Scope{G: g, Rng: rand.New(rand.NewSource(1))}, v[0], nn.TableTime{Levels: levels, Level: lv}, cond, tinyResNet(classes, false))
			},
		}
		res, err := gradcheck.Check(c, 7)
		if err != nil {
			t.Fatalf("classes %d: %v", classes, err)
		}
		if res.RelErr > 1e-6 {
			t.Errorf("classes %d: analytic %g, numeric %g (rel err %.2e)", classes, res.Analytic, res.Numeric, res.RelErr)
		}
	}
}

// TestParamGradients checks the gradient of sum(f * R) with respect to x and every parameter
// (spectral norm and class table included) against finite differences.
func TestParamGradients(t *testing.T) {
	for _, net := range condNets {
		t.Run(net.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(testSeed))
			t.Logf("seed %d", testSeed)
			f := buildCond(net.name, net.xShape, net.classes, false, net.build)
			var class []int64
			if net.classes > 0 {
				class = []int64{1, 0, 3}
			}
			feeds := condFeeds(rng, net.xShape, []int64{0, 2, 6}, class)
			addSpectralFeeds(f.Graph(), rng, feeds)
			var x *graphs.Value
			for _, in := range f.Graph().Inputs() {
				if in.Name() == "x" {
					x = in
				}
			}
			checkGrads(t, f, feeds, append([]*graphs.Value{x}, f.Graph().Params()...), rng)
		})
	}
}

// TestResNetSpectralWeights checks which weights are spectral-normalised: every convolution
// and linear map but the readout, the class table included.
func TestResNetSpectralWeights(t *testing.T) {
	f := buildCond("sn", []int{2, 4, 4}, 3, true, tinyResNet(3, true).Build)
	var names []string
	for _, sw := range nn.SpectralParams(f.Graph()) {
		names = append(names, sw.Weight)
	}
	want := []string{"ebm/temb/lin1/w", "ebm/temb/lin2/w", "ebm/class/w", "ebm/in/w",
		"ebm/level0/block0/t/w", "ebm/level0/block0/conv1/w", "ebm/level0/block0/conv2/w",
		"ebm/level0/block1/t/w", "ebm/level0/block1/conv1/w", "ebm/level0/block1/conv2/w",
		"ebm/level1/block0/t/w", "ebm/level1/block0/conv1/w", "ebm/level1/block0/conv2/w", "ebm/level1/block0/skip/w",
		"ebm/level1/block1/t/w", "ebm/level1/block1/conv1/w", "ebm/level1/block1/conv2/w"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("spectral weights\n%v, want\n%v", names, want)
	}
}

// presetInput is the per-sample input shape each preset is built for.
var presetInput = map[string][]int{
	"toy-official": {2}, "toy-small": {2},
	"mnist-s": {1, 28, 28}, "mnist-m": {1, 28, 28}, "mnist-peer": {1, 28, 28},
	"cifar10": {3, 32, 32}, "cifar10-large": {3, 32, 32},
}

// TestPresets builds every preset (time path on the level table), checks the MNIST tiers'
// forward cost against cdrl-method.md 10.2 (31752 C^2 for the blocks, plus the 9*784*C of the
// input convolution) and logs parameter counts and forward MACs per sample.
func TestPresets(t *testing.T) {
	wantMACs := map[string]int{"mnist-s": 31752*16*16 + 9*784*16, "mnist-m": 31752*32*32 + 9*784*32}
	for _, name := range PresetNames() {
		if testing.Short() && name == "cifar10-large" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			net, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			shape, ok := presetInput[name]
			if !ok {
				t.Fatalf("no input shape for preset %s", name)
			}
			f := buildCond(name, shape, 0, true, net.Build)
			if err := f.Graph().Err(); err != nil {
				t.Fatal(err)
			}
			if !f.Shape().Equal(tensor.Shape{-1}) {
				t.Errorf("energy shape %v, want (N)", f.Shape())
			}
			macs := forwardMACs(f)
			t.Logf("%s: %d parameters, %d forward MACs per sample (x path)", name, paramCount(f.Graph()), macs)
			if w, ok := wantMACs[name]; ok && macs != w {
				t.Errorf("%s: %d MACs per sample, want %d", name, macs, w)
			}
		})
	}
	if _, err := Preset("cifar100"); err == nil || !strings.Contains(err.Error(), "mnist-s") {
		t.Errorf("unknown preset: error %v, want one listing the names", err)
	}
}

// TestResNetBadConfig checks that invalid configs and conditioning give errors naming the
// culprit.
func TestResNetBadConfig(t *testing.T) {
	mod := func(f func(*ResNetConfig)) ResNetConfig {
		c := tinyResNet(0, false)
		f(&c)
		return c
	}
	cases := []struct {
		name   string
		c      ResNetConfig
		xShape []int
		class  bool
		want   string
	}{
		{"width", mod(func(c *ResNetConfig) { c.Width = 0 }), []int{2, 4, 4}, false, "Width 0"},
		{"channels", mod(func(c *ResNetConfig) { c.InChannels = 0 }), []int{2, 4, 4}, false, "InChannels 0"},
		{"mult", mod(func(c *ResNetConfig) { c.ChMult = []int{1, 0} }), []int{2, 4, 4}, false, "ChMult[1] 0"},
		{"no levels", mod(func(c *ResNetConfig) { c.ChMult = nil }), []int{2, 4, 4}, false, "ChMult is empty"},
		{"blocks", mod(func(c *ResNetConfig) { c.Blocks = 0 }), []int{2, 4, 4}, false, "Blocks 0"},
		{"temb", mod(func(c *ResNetConfig) { c.TembDim = 6 - 1 }), []int{2, 4, 4}, false, "TembDim 5"},
		{"input channels", tinyResNet(0, false), []int{3, 4, 4}, false, "(N, 2, H, W)"},
		{"odd size", tinyResNet(0, false), []int{2, 5, 5}, false, "multiples of 2"},
		{"negative classes", mod(func(c *ResNetConfig) { c.Classes = -1 }), []int{2, 4, 4}, false, "Classes -1"},
		{"missing class", tinyResNet(3, false), []int{2, 4, 4}, false, "Classes 3 needs Cond.Class"},
		{"unexpected class", tinyResNet(0, false), []int{2, 4, 4}, true, "Classes is 0"},
	}
	for _, tc := range cases {
		g := graphs.New(tc.name)
		x := graphs.Input(g, "x", tensor.Float32, append([]int{-1}, tc.xShape...)...)
		var cond Cond
		if tc.class {
			cond.Class = graphs.Input(g, "class", tensor.Int64, -1)
		}
		tm := nn.SampleTime{LogSNR: graphs.Input(g, "logsnr", tensor.Float32, -1)}
		ResNet(nn.Scope{G: g, Rng: rand.New(rand.NewSource(1))}, x, tm, cond, tc.c)
		if err := g.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	g := graphs.New("peer")
	x := graphs.Input(g, "x", tensor.Float32, -1, 1, 8, 8)
	cond := Cond{Class: graphs.Input(g, "class", tensor.Int64, -1)}
	smallConv().Build(nn.Scope{G: g, Rng: rand.New(rand.NewSource(1))}, x, nn.SampleTime{LogSNR: graphs.Input(g, "l", tensor.Float32, -1)}, cond)
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "conv EBM") {
		t.Errorf("conv EBM with a class: error %v, want one naming the conv EBM", err)
	}
}
