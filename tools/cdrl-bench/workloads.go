package main

import (
	"math/rand"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/models/ebm"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// workload is one ORT program to time, with the concrete input shapes and its arithmetic cost.
type workload struct {
	Name   string
	Batch  int
	Graph  *graphs.Graph
	Shapes map[string]tensor.Shape
	// FLOPs per Run (0 when not meaningful).
	FLOPs float64
}

// benchLevels are the target-level logSNRs of the default 6-level schedule; the time path runs
// on this small table (only its size matters for timing).
var benchLevels = []float64{9.8, 2.68882, 1.19688, 0.141071, -0.876073, -2.172388}

// scoreWorkload builds energy + input gradient of a network with the time path on a level
// table (the form every Langevin step uses) and spectral norm folded into the weights (as at
// sampling time, and within one training iteration).
func scoreWorkload(name string, batch int, xShape []int, net func(s nn.Scope, x *graphs.Value, t nn.Time) *graphs.Value) (*workload, error) {
	g := graphs.New(name)
	x := graphs.Input(g, "x", tensor.Float32, append([]int{-1}, xShape...)...)
	level := graphs.Input(g, "level", tensor.Int64, -1)
	f := net(nn.Scope{G: g, Prefix: "ebm", Rng: rand.New(rand.NewSource(1))}, x, nn.TableTime{Levels: benchLevels, Level: level})
	grads, err := graphs.Grad(f, x)
	if err != nil {
		return nil, err
	}
	g.Output("energy", f)
	g.Output("grad", grads[0])
	if err := g.Err(); err != nil {
		return nil, err
	}
	return &workload{
		Name: name, Batch: batch, Graph: g,
		Shapes: map[string]tensor.Shape{"x": append(tensor.Shape{batch}, xShape...), "level": {batch}},
		// 2 FLOPs per multiply-accumulate; the input gradient costs about one more forward.
		FLOPs: 4 * xPathMACs(f) * float64(batch),
	}, nil
}

// xPathMACs counts the multiply-accumulates per sample of the forward x path of f: the Gemm,
// MatMul and Conv nodes whose data input carries the dynamic batch dimension (the time path
// runs on a fixed-size table and is left out, as the PyTorch reference counts it).
func xPathMACs(f *graphs.Value) float64 {
	total := 0.0
	for _, n := range graphs.LiveNodes(f) {
		if len(n.Inputs) < 2 {
			continue
		}
		a, w, out := n.Inputs[0].Shape(), n.Inputs[1].Shape(), n.Outputs[0].Shape()
		if len(a) == 0 || a[0] >= 0 {
			continue
		}
		perSample := 1
		for _, d := range out[1:] {
			perSample *= d
		}
		switch n.Op {
		case "Gemm", "MatMul":
			total += float64(perSample * a[len(a)-1])
		case "Conv":
			total += float64(perSample * w[1] * w[2] * w[3])
		}
	}
	return total
}

// toyWorkload is the official toy EBM of cdrl-method.md 5.3.
func toyWorkload(batch int) (*workload, error) {
	cfg := ebm.ToyOfficial()
	cfg.Spectral = false
	return scoreWorkload("toy EBM energy+grad", batch, []int{2}, func(s nn.Scope, x *graphs.Value, t nn.Time) *graphs.Value {
		return ebm.Toy(s, x, t, cfg)
	})
}

// convWorkload is the conv EBM of the PyTorch MNIST reference on 28x28.
func convWorkload(batch int) (*workload, error) {
	cfg := ebm.PeerConvMNIST()
	cfg.Spectral = false
	return scoreWorkload("MNIST conv EBM energy+grad", batch, []int{1, 28, 28}, func(s nn.Scope, x *graphs.Value, t nn.Time) *graphs.Value {
		return ebm.PeerConv(s, x, t, cfg)
	})
}

// matmulWorkload is an n x n x n MatMul: the peak the other figures are measured against.
func matmulWorkload(n int) (*workload, error) {
	g := graphs.New("matmul")
	a := graphs.Input(g, "a", tensor.Float32, n, n)
	b := graphs.Input(g, "b", tensor.Float32, n, n)
	g.Output("c", graphs.MatMul(a, b))
	return &workload{Name: "MatMul peak", Batch: n, Graph: g, FLOPs: 2 * float64(n) * float64(n) * float64(n)}, g.Err()
}

// tinyWorkload is y = x + 1 on 4 numbers: per-Run overhead.
func tinyWorkload() (*workload, error) {
	g := graphs.New("tiny")
	x := graphs.Input(g, "x", tensor.Float32, 1, 4)
	g.Output("y", graphs.Add(x, graphs.Scalar(g, 1)))
	return &workload{Name: "tiny graph (Run overhead)", Batch: 1, Graph: g}, g.Err()
}
