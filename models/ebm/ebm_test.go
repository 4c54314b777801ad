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

var levels = []float64{9.8, 2.68882, 1.19688, 0.141071, -0.876073, -2.172388, -5.1}

func smallToy() ToyConfig {
	return ToyConfig{In: 2, Width: 4, ChMult: []int{1, 2}, TembDim: 4, Spectral: false}
}

func smallConv() PeerConvConfig {
	return PeerConvConfig{InChannels: 1, Chans: [4]int{2, 3, 4, 4}, TembDim: 4}
}

type netFunc func(s nn.Scope, x *graphs.Value, t nn.Time) *graphs.Value

var nets = []struct {
	name   string
	xShape []int
	build  netFunc
}{
	{"toy", []int{2}, func(s nn.Scope, x *graphs.Value, t nn.Time) *graphs.Value { return Toy(s, x, t, smallToy()) }},
	{"peerconv", []int{1, 8, 8}, func(s nn.Scope, x *graphs.Value, t nn.Time) *graphs.Value { return PeerConv(s, x, t, smallConv()) }},
}

// TestTableTimeMatchesSampleTime checks that running the time path on a level table and
// gathering gives the energies of the per-sample time path.
func TestTableTimeMatchesSampleTime(t *testing.T) {
	for _, net := range nets {
		t.Run(net.name, func(t *testing.T) {
			const n = 5
			lv := []int64{0, 3, 6, 1, 3}
			ls := make([]float32, n)
			for i, l := range lv {
				ls[i] = float32(levels[l])
			}
			rng := rand.New(rand.NewSource(3))
			xs := make([]float32, n*tensor.Shape(net.xShape).Size())
			for i := range xs {
				xs[i] = float32(rng.NormFloat64())
			}
			feeds := map[string]*tensor.Tensor{
				"x":      tensor.FromFloat32(xs, append([]int{n}, net.xShape...)...),
				"level":  tensor.FromInt64(lv, n),
				"logsnr": tensor.FromFloat32(ls, n),
			}
			energies := make([][]float64, 2)
			for k, table := range []bool{true, false} {
				g := graphs.New(net.name)
				x := graphs.Input(g, "x", tensor.Float32, append([]int{-1}, net.xShape...)...)
				var tm nn.Time
				if table {
					tm = nn.TableTime{Levels: levels, Level: graphs.Input(g, "level", tensor.Int64, -1)}
				} else {
					tm = nn.SampleTime{LogSNR: graphs.Input(g, "logsnr", tensor.Float32, -1)}
				}
				f := net.build(nn.Scope{G: g, Rng: rand.New(rand.NewSource(1))}, x, tm)
				out, err := graphs.Evaluate(feeds, f)
				if err != nil {
					t.Fatal(err)
				}
				if !out[0].Shape.Equal(tensor.Shape{n}) {
					t.Fatalf("energy shape %v, want (%d)", out[0].Shape, n)
				}
				energies[k] = out[0].Float64
			}
			for i := range energies[0] {
				// The table is computed in float64 and rounded to float32; the graph path
				// rounds at each op, hence a float32-level tolerance.
				if d := math.Abs(energies[0][i] - energies[1][i]); d > 1e-5*(1+math.Abs(energies[1][i])) {
					t.Errorf("sample %d: table %g, per-sample %g", i, energies[0][i], energies[1][i])
				}
			}
		})
	}
}

// TestInputGradient checks d f / d x of each network against finite differences.
func TestInputGradient(t *testing.T) {
	for _, net := range nets {
		net := net
		c := gradcheck.Case{
			Name:   net.name,
			Inputs: []gradcheck.Input{{Name: "x", Shape: append([]int{3}, net.xShape...), Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value {
				g := v[0].Graph()
				lv := graphs.Const(g, tensor.FromInt64([]int64{0, 2, 5}, 3))
				return net.build(nn.Scope{G: g, Rng: rand.New(rand.NewSource(1))}, v[0], nn.TableTime{Levels: levels, Level: lv})
			},
		}
		res, err := gradcheck.Check(c, 7)
		if err != nil {
			t.Fatalf("%s: %v", net.name, err)
		}
		if res.RelErr > 1e-6 {
			t.Errorf("%s: analytic %g, numeric %g (rel err %.2e)", net.name, res.Analytic, res.Numeric, res.RelErr)
		}
	}
}

func TestBadConfig(t *testing.T) {
	g := graphs.New("bad")
	x := graphs.Input(g, "x", tensor.Float32, -1, 2)
	Toy(nn.Scope{G: g, Rng: rand.New(rand.NewSource(1))}, x, nn.SampleTime{LogSNR: graphs.Input(g, "l", tensor.Float32, -1)}, ToyConfig{In: 2})
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "toy EBM config") {
		t.Errorf("error %v, want one naming the toy EBM config", err)
	}
}
