package unet

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// tinyUNet has two levels (4x4 and 2x2, widths 4 and 8), one block per level, attention at
// 2x2 and in the middle.
func tinyUNet(classes int, train bool) Config {
	return Config{InChannels: 2, Dim: 4, DimMults: []int{1, 2}, ResBlocks: 1, AttnRes: []int{2}, Groups: 2,
		Dropout: 0.5, TembDim: 4, Classes: classes, Train: train}
}

func tinyToy(classes int) ToyConfig {
	return ToyConfig{In: 2, Hidden: 4, Blocks: 2, Groups: 2, TembDim: 4, Classes: classes}
}

func tinyPeer(classes int) PeerConfig {
	return PeerConfig{InChannels: 1, Chans: [3]int{2, 4, 4}, TembDim: 4, Groups: 2, Classes: classes}
}

// nets are the tiny networks every test runs on, unconditional and with 3 classes.
var nets = []struct {
	name    string
	net     Network
	xShape  []int
	classes int
}{
	{"unet", tinyUNet(0, false), []int{2, 4, 4}, 0},
	{"unet-class", tinyUNet(3, false), []int{2, 4, 4}, 3},
	{"toy", tinyToy(0), []int{2}, 0},
	{"toy-class", tinyToy(3), []int{2}, 3},
	{"peer", tinyPeer(0), []int{1, 8, 8}, 0},
	{"peer-class", tinyPeer(3), []int{1, 8, 8}, 3},
}

// classesFor returns n class ids cycling through 0..classes, or nil without classes.
func classesFor(classes, n int) []int64 {
	if classes == 0 {
		return nil
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i % (classes + 1))
	}
	return out
}

// TestIdentityAtInit checks the initial networks: the toy MLP and the reference's UNet return
// their input exactly; the image UNet returns it plus its output convolution's bias.
func TestIdentityAtInit(t *testing.T) {
	for _, net := range nets {
		t.Run(net.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(testSeed))
			b := build(net.net, net.xShape, net.classes, true)
			feeds := feedsFor(rng, net.xShape, []int64{0, 5, 3}, classesFor(net.classes, 3))
			out, err := graphs.Evaluate(feeds, b.y)
			if err != nil {
				t.Fatal(err)
			}
			x, y := feeds["x"].Float32, out[0].Float64
			var bias []float32
			if _, ok := net.net.(Config); ok {
				for _, p := range b.g.Params() {
					if p.Name() == "init/out/conv/b" {
						bias = p.Node().Attrs.Tensor("value").Float32
					}
				}
				if bias == nil {
					t.Fatal("no output bias init/out/conv/b")
				}
			}
			per := len(x) / 3
			for k := range x {
				want := float64(x[k])
				if bias != nil {
					c := (k % per) / (per / len(bias))
					if math.Abs(y[k]-want-float64(bias[c])) > 1e-12 {
						t.Fatalf("entry %d: y - x = %g, want the channel-%d bias %g", k, y[k]-want, c, bias[c])
					}
				} else if y[k] != want {
					t.Fatalf("entry %d: y = %g, want x = %g", k, y[k], want)
				}
			}
		})
	}
}

// TestOutputShape checks that one graph serves batches of 1 and 3 with y shaped like x.
func TestOutputShape(t *testing.T) {
	for _, net := range nets {
		b := build(net.net, net.xShape, net.classes, true)
		if want := append(tensor.Shape{-1}, net.xShape...); !b.y.Shape().Equal(want) {
			t.Errorf("%s: built shape %v, want %v", net.name, b.y.Shape(), want)
		}
		for _, n := range []int{1, 3} {
			lv := make([]int64, n)
			feeds := feedsFor(rand.New(rand.NewSource(testSeed)), net.xShape, lv, classesFor(net.classes, n))
			out, err := graphs.Evaluate(feeds, b.y)
			if err != nil {
				t.Fatalf("%s: %v", net.name, err)
			}
			if want := append(tensor.Shape{n}, net.xShape...); !out[0].Shape.Equal(want) {
				t.Errorf("%s: output shape %v, want %v", net.name, out[0].Shape, want)
			}
		}
	}
}

// TestTableMatchesSample checks that the level-table time path gives the outputs of the
// per-sample one, with every zero-initialised parameter woken so that all layers count.
func TestTableMatchesSample(t *testing.T) {
	for _, net := range nets {
		t.Run(net.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(testSeed))
			feeds := feedsFor(rng, net.xShape, []int64{0, 3, 6, 1, 3}, classesFor(net.classes, 5))
			var got [2][]float64
			for k, table := range []bool{true, false} {
				b := build(net.net, net.xShape, net.classes, table)
				wakeParams(b.g, rand.New(rand.NewSource(testSeed)), feeds)
				out, err := graphs.Evaluate(feeds, b.y)
				if err != nil {
					t.Fatal(err)
				}
				got[k] = out[0].Float64
			}
			for i := range got[0] {
				if d := math.Abs(got[0][i] - got[1][i]); d > 1e-5*(1+math.Abs(got[1][i])) {
					t.Fatalf("entry %d: table %g, per-sample %g", i, got[0][i], got[1][i])
				}
			}
		})
	}
}

// TestBatchIndependence checks that a sample's output does not depend on the rest of the batch
// (GroupNorm statistics are per sample).
func TestBatchIndependence(t *testing.T) {
	for _, net := range nets {
		t.Run(net.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(testSeed))
			b := build(net.net, net.xShape, net.classes, true)
			class := classesFor(net.classes, 4)
			feeds := feedsFor(rng, net.xShape, []int64{1, 4, 0, 6}, class)
			wakeParams(b.g, rng, feeds)
			all, err := graphs.Evaluate(feeds, b.y)
			if err != nil {
				t.Fatal(err)
			}
			per := tensor.Shape(net.xShape).Size()
			for i := 0; i < 4; i++ {
				one := map[string]*tensor.Tensor{}
				for k, v := range feeds {
					one[k] = v
				}
				one["x"] = tensor.FromFloat32(feeds["x"].Float32[i*per:(i+1)*per], append([]int{1}, net.xShape...)...)
				one["level"] = tensor.FromInt64(feeds["level"].Int64[i:i+1], 1)
				if class != nil {
					one["class"] = tensor.FromInt64(class[i:i+1], 1)
				}
				out, err := graphs.Evaluate(one, b.y)
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range out[0].Float64 {
					if w := all[0].Float64[i*per+k]; math.Abs(v-w) > 1e-9*(1+math.Abs(w)) {
						t.Fatalf("sample %d entry %d: alone %g, in the batch %g", i, k, v, w)
					}
				}
			}
		})
	}
}

// TestClassChangesOutput checks that the class reaches the output: one input under the null
// class and the three labels gives four different outputs, the same class twice the same.
func TestClassChangesOutput(t *testing.T) {
	for _, net := range nets {
		if net.classes == 0 {
			continue
		}
		t.Run(net.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(testSeed))
			b := build(net.net, net.xShape, net.classes, true)
			per := tensor.Shape(net.xShape).Size()
			x0 := randFloat32(rng, per).Float32
			var xs []float32
			for i := 0; i < 5; i++ {
				xs = append(xs, x0...)
			}
			feeds := feedsFor(rng, net.xShape, []int64{2, 2, 2, 2, 2}, []int64{0, 1, 2, 3, 2})
			feeds["x"] = tensor.FromFloat32(xs, append([]int{5}, net.xShape...)...)
			wakeParams(b.g, rng, feeds)
			out, err := graphs.Evaluate(feeds, b.y)
			if err != nil {
				t.Fatal(err)
			}
			y := out[0].Float64
			dist := func(i, j int) float64 {
				d := 0.0
				for k := 0; k < per; k++ {
					d = math.Max(d, math.Abs(y[i*per+k]-y[j*per+k]))
				}
				return d
			}
			for i := 0; i < 4; i++ {
				for j := 0; j < i; j++ {
					if dist(i, j) < 1e-6 {
						t.Errorf("classes %d and %d give the same output", i, j)
					}
				}
			}
			if d := dist(2, 4); d != 0 {
				t.Errorf("class 2 twice: outputs differ by %g", d)
			}
		})
	}
}

// TestParamGradients checks the gradient of sum(y * R) with respect to x and every parameter
// (zero-initialised ones woken) against finite differences, including a training-mode UNet
// with its dropout inputs fed.
func TestParamGradients(t *testing.T) {
	cases := append(nets[:len(nets):len(nets)], struct {
		name    string
		net     Network
		xShape  []int
		classes int
	}{"unet-train", tinyUNet(3, true), []int{2, 4, 4}, 3})
	for _, net := range cases {
		t.Run(net.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(testSeed))
			t.Logf("seed %d", testSeed)
			b := build(net.net, net.xShape, net.classes, false)
			feeds := feedsFor(rng, net.xShape, []int64{0, 2, 6}, classesFor(net.classes, 3))
			for _, in := range DropoutInputs(b.g) {
				u := make([]float32, 3*tensor.Shape(in.Shape()[1:]).Size())
				for k := range u {
					u[k] = float32(rng.Float64())
				}
				feeds[in.Name()] = tensor.FromFloat32(u, append([]int{3}, in.Shape()[1:]...)...)
			}
			wakeParams(b.g, rng, feeds)
			checkGrads(t, b.y, feeds, append([]*graphs.Value{input(b.g, "x")}, b.g.Params()...), rng)
		})
	}
}

// TestDropout checks the training form: one noise input per residual block, shaped like the
// block's activation; all-kept noise equals eval mode with the zero-initialised convolution's
// weights scaled by 1/(1-p), and all-dropped noise equals eval mode with those weights zeroed.
func TestDropout(t *testing.T) {
	const p = 0.5
	train := build(tinyUNet(0, true), []int{2, 4, 4}, 0, true)
	eval := build(tinyUNet(0, false), []int{2, 4, 4}, 0, true)
	if n := len(DropoutInputs(eval.g)); n != 0 {
		t.Fatalf("eval mode has %d dropout inputs", n)
	}
	ins := DropoutInputs(train.g)
	// Two levels, one block each: down 2 + 1 downsampling, middle 2, up 2*2 + 1 upsampling.
	if len(ins) != 10 {
		t.Fatalf("%d dropout inputs, want 10", len(ins))
	}
	if got := ins[0]; got.Name() != "init/down0/res0/dropout" || !got.Shape().Equal(tensor.Shape{-1, 4, 4, 4}) {
		t.Errorf("first dropout input %s %v, want init/down0/res0/dropout (-1, 4, 4, 4)", got.Name(), got.Shape())
	}
	rng := rand.New(rand.NewSource(testSeed))
	feeds := feedsFor(rng, []int{2, 4, 4}, []int64{0, 4, 2}, nil)
	wakeParams(train.g, rng, feeds)
	for _, keep := range []bool{true, false} {
		trainFeeds, evalFeeds := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
		for k, v := range feeds {
			trainFeeds[k], evalFeeds[k] = v, v
		}
		for _, in := range ins {
			u := make([]float32, 3*tensor.Shape(in.Shape()[1:]).Size())
			for k := range u {
				u[k] = p / 2
				if keep {
					u[k] = p + (1-p)*float32(rng.Float64())
				}
			}
			trainFeeds[in.Name()] = tensor.FromFloat32(u, append([]int{3}, in.Shape()[1:]...)...)
			w := strings.TrimSuffix(in.Name(), DropoutSuffix) + "/conv2/w"
			var base []float32
			if v := feeds[w]; v != nil {
				base = v.Float32
			} else {
				for _, q := range eval.g.Params() {
					if q.Name() == w {
						base = q.Node().Attrs.Tensor("value").Float32
					}
				}
			}
			scaled := make([]float32, len(base))
			for k := range scaled {
				if keep {
					scaled[k] = base[k] / (1 - p)
				}
			}
			evalFeeds[w] = tensor.FromFloat32(scaled, feeds[w].Shape...)
		}
		res, err := graphs.Evaluate(trainFeeds, train.y)
		if err != nil {
			t.Fatal(err)
		}
		want, err := graphs.Evaluate(evalFeeds, eval.y)
		if err != nil {
			t.Fatal(err)
		}
		for k := range res[0].Float64 {
			if d := math.Abs(res[0].Float64[k] - want[0].Float64[k]); d > 1e-6*(1+math.Abs(want[0].Float64[k])) {
				t.Fatalf("keep %v, entry %d: train %g, eval with scaled weights %g", keep, k, res[0].Float64[k], want[0].Float64[k])
			}
		}
	}
}

// TestKeyedDropout checks the keyed training form: one int64 key input per sample; a dropout rate below
// the generator's resolution keeps every activation (the training output equals eval mode with
// the zero-initialised convolutions' weights scaled by 1/(1-p)) and one above its largest draw
// drops them all (eval mode with those weights zeroed); a sample's keys decide its masks alone.
func TestKeyedDropout(t *testing.T) {
	eval := build(tinyUNet(0, false), []int{2, 4, 4}, 0, true)
	if DropoutKeyInput(eval.g) != nil {
		t.Fatal("eval mode has a dropout key input")
	}
	rng := rand.New(rand.NewSource(testSeed))
	feeds := feedsFor(rng, []int{2, 4, 4}, []int64{0, 4, 2}, nil)
	wakeParams(eval.g, rng, feeds)
	keys := tensor.FromInt64([]int64{5, 6, 7}, 3)
	for _, c := range []struct {
		p    float64
		keep bool
	}{{1e-9, true}, {1 - 1.0/(1<<25), false}} {
		cfg := tinyUNet(0, true)
		cfg.Dropout, cfg.KeyedDropout = c.p, true
		train := build(cfg, []int{2, 4, 4}, 0, true)
		key := DropoutKeyInput(train.g)
		if key == nil || key.DType() != tensor.Int64 || !key.Shape().Equal(tensor.Shape{-1}) {
			t.Fatalf("dropout key input %v, want int64 (-1)", key)
		}
		trainFeeds, evalFeeds := map[string]*tensor.Tensor{DropoutKey: keys}, map[string]*tensor.Tensor{}
		for k, v := range feeds {
			trainFeeds[k], evalFeeds[k] = v, v
		}
		blocks := 0
		for _, q := range eval.g.Params() {
			if !strings.HasSuffix(q.Name(), "/conv2/w") {
				continue
			}
			blocks++
			base := feeds[q.Name()].Float32
			scaled := make([]float32, len(base))
			for k := range scaled {
				if c.keep {
					scaled[k] = float32(float64(base[k]) / (1 - c.p))
				}
			}
			evalFeeds[q.Name()] = tensor.FromFloat32(scaled, feeds[q.Name()].Shape...)
		}
		// Two levels, one block each: down 2 + 1 downsampling, middle 2, up 2*2 + 1 upsampling.
		if blocks != 10 {
			t.Fatalf("%d residual blocks, want 10", blocks)
		}
		res, err := graphs.Evaluate(trainFeeds, train.y)
		if err != nil {
			t.Fatal(err)
		}
		want, err := graphs.Evaluate(evalFeeds, eval.y)
		if err != nil {
			t.Fatal(err)
		}
		for k := range res[0].Float64 {
			if d := math.Abs(res[0].Float64[k] - want[0].Float64[k]); d > 1e-6*(1+math.Abs(want[0].Float64[k])) {
				t.Fatalf("p %g, entry %d: train %g, eval with scaled weights %g", c.p, k, res[0].Float64[k], want[0].Float64[k])
			}
		}
	}
	// At p = 0.5 the masks follow the keys: the same keys give the same output, and changing
	// the second sample's key changes its output only.
	keyed := tinyUNet(0, true)
	keyed.KeyedDropout = true
	train := build(keyed, []int{2, 4, 4}, 0, true)
	out := func(k ...int64) []float64 {
		f := map[string]*tensor.Tensor{DropoutKey: tensor.FromInt64(k, 3)}
		for name, v := range feeds {
			f[name] = v
		}
		res, err := graphs.Evaluate(f, train.y)
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Float64
	}
	a, b, c := out(5, 6, 7), out(5, 6, 7), out(5, 9, 7)
	per := len(a) / 3
	for k := range a {
		same := a[k] == c[k]
		switch {
		case a[k] != b[k]:
			t.Fatalf("entry %d differs between two runs with the same keys", k)
		case k/per != 1 && !same:
			t.Fatalf("entry %d of sample %d changed with the key of sample 1", k, k/per)
		}
	}
	if slicesEqual(a[per:2*per], c[per:2*per]) {
		t.Error("sample 1's output did not change with its key")
	}
}

func slicesEqual(a, b []float64) bool {
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return len(a) == len(b)
}

// countParams counts the parameters of g whose names end in suffix.
func countParams(g *graphs.Graph, suffix string) int {
	n := 0
	for _, p := range g.Params() {
		if strings.HasSuffix(p.Name(), suffix) {
			n++
		}
	}
	return n
}

// presetInput is the per-sample input shape each preset is built for.
var presetInput = map[string][]int{
	"toy-official": {2}, "toy-small": {2},
	"mnist-s": {1, 28, 28}, "mnist-m": {1, 28, 28}, "mnist-peer": {1, 28, 28},
	"cifar10": {3, 32, 32}, "cifar10-large": {3, 32, 32},
}

// TestPresets builds every preset (time path on the level table), checks the block and
// attention counts of the image UNets against the layout of cdrl-method.md 5.4, and logs
// parameter counts and forward MACs per sample (compare 10.2's cost model: about 102800 d^2
// with one block per level, 151000 d^2 with two).
func TestPresets(t *testing.T) {
	layout := map[string][2]int{ // residual blocks, attention blocks
		"mnist-s":    {3*1 + 2 + 2 + 3*2 + 2, 1 + 1 + 2},     // 3 levels, 1 block, attention at 7
		"mnist-m":    {3*2 + 2 + 2 + 3*3 + 2, 2 + 1 + 3},     // 3 levels, 2 blocks
		"cifar10":    {3*3 + 2 + 2 + 3*4 + 2, 2*3 + 1 + 2*4}, // 3 levels, 3 blocks, attention at 16, 8
		"mnist-peer": {5, 0},
	}
	for _, name := range PresetNames() {
		t.Run(name, func(t *testing.T) {
			net, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			shape, ok := presetInput[name]
			if !ok {
				t.Fatalf("no input shape for preset %s", name)
			}
			b := build(net, shape, 0, true)
			if err := b.g.Err(); err != nil {
				t.Fatal(err)
			}
			if want := append(tensor.Shape{-1}, shape...); !b.y.Shape().Equal(want) {
				t.Errorf("output shape %v, want %v", b.y.Shape(), want)
			}
			macs := forwardMACs(b.y)
			msg := ""
			if c, ok := net.(Config); ok {
				msg = fmt.Sprintf(" = %.0f d^2", float64(macs)/float64(c.Dim*c.Dim))
			}
			t.Logf("%s: %d parameters, %d forward MACs per sample (x path)%s", name, paramCount(b.g), macs, msg)
			if want, ok := layout[name]; ok {
				got := [2]int{countParams(b.g, "conv1/w"), countParams(b.g, "qkv/w")}
				if got != want {
					t.Errorf("%d residual and %d attention blocks, want %d and %d", got[0], got[1], want[0], want[1])
				}
			}
		})
	}
	if _, err := Preset("cifar100"); err == nil || !strings.Contains(err.Error(), "mnist-peer") {
		t.Errorf("unknown preset: error %v, want one listing the names", err)
	}
}

// TestBadConfig checks that invalid configs, inputs and conditioning give errors naming the
// culprit.
func TestBadConfig(t *testing.T) {
	mod := func(f func(*Config)) Config {
		c := tinyUNet(0, false)
		f(&c)
		return c
	}
	toy := func(f func(*ToyConfig)) ToyConfig {
		c := tinyToy(0)
		f(&c)
		return c
	}
	peer := func(f func(*PeerConfig)) PeerConfig {
		c := tinyPeer(0)
		f(&c)
		return c
	}
	cases := []struct {
		name   string
		net    Network
		xShape []int
		class  bool
		want   string
	}{
		{"dim", mod(func(c *Config) { c.Dim = 0 }), []int{2, 4, 4}, false, "Dim 0"},
		{"channels", mod(func(c *Config) { c.InChannels = 0 }), []int{2, 4, 4}, false, "InChannels 0"},
		{"no levels", mod(func(c *Config) { c.DimMults = nil }), []int{2, 4, 4}, false, "DimMults is empty"},
		{"mult", mod(func(c *Config) { c.DimMults = []int{1, 0} }), []int{2, 4, 4}, false, "DimMults[1] 0"},
		{"blocks", mod(func(c *Config) { c.ResBlocks = 0 }), []int{2, 4, 4}, false, "ResBlocks 0"},
		{"groups", mod(func(c *Config) { c.Groups = 3 }), []int{2, 4, 4}, false, "Groups 3 do not divide the 4 channels"},
		{"zero groups", mod(func(c *Config) { c.Groups = 0 }), []int{2, 4, 4}, false, "Groups 0"},
		{"temb", mod(func(c *Config) { c.TembDim = 3 }), []int{2, 4, 4}, false, "TembDim 3"},
		{"dropout", mod(func(c *Config) { c.Dropout = 1 }), []int{2, 4, 4}, false, "Dropout 1"},
		{"attention", mod(func(c *Config) { c.AttnRes = []int{2, 8} }), []int{2, 4, 4}, false, "AttnRes 8 is never reached"},
		{"input channels", tinyUNet(0, false), []int{1, 4, 4}, false, "(N, 2, H, W)"},
		{"odd size", tinyUNet(0, false), []int{2, 6, 5}, false, "multiples of 2"},
		{"missing class", tinyUNet(3, false), []int{2, 4, 4}, false, "Classes 3 needs Cond.Class"},
		{"unexpected class", tinyUNet(0, false), []int{2, 4, 4}, true, "Classes is 0"},
		{"negative classes", mod(func(c *Config) { c.Classes = -2 }), []int{2, 4, 4}, false, "Classes -2"},
		{"toy hidden", toy(func(c *ToyConfig) { c.Hidden = 0 }), []int{2}, false, "Hidden 0"},
		{"toy groups", toy(func(c *ToyConfig) { c.Groups = 3 }), []int{2}, false, "Groups 3 must be positive and divide Hidden 4"},
		{"toy blocks", toy(func(c *ToyConfig) { c.Blocks = 0 }), []int{2}, false, "Blocks 0"},
		{"toy input", tinyToy(0), []int{3}, false, "(N, 2)"},
		{"toy class", tinyToy(2), []int{2}, false, "Classes 2 needs Cond.Class"},
		{"peer groups", peer(func(c *PeerConfig) { c.Chans[1] = 3 }), []int{1, 8, 8}, false, "Chans[1] 3"},
		{"peer size", tinyPeer(0), []int{1, 6, 6}, false, "multiples of 4"},
	}
	for _, tc := range cases {
		g := graphs.New(tc.name)
		x := graphs.Input(g, "x", tensor.Float32, append([]int{-1}, tc.xShape...)...)
		var cond Cond
		if tc.class {
			cond.Class = graphs.Input(g, "class", tensor.Int64, -1)
		}
		tm := nn.SampleTime{LogSNR: graphs.Input(g, "logsnr", tensor.Float32, -1)}
		if y := tc.net.Build(nn.Scope{G: g, Rng: rand.New(rand.NewSource(1))}, x, tm, cond); y != nil {
			t.Errorf("%s: built a value from an invalid config", tc.name)
		}
		if err := g.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
