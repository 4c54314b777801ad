package cdrl

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/models/unet"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// ProgramKind selects one of the training programs.
type ProgramKind int

// The training programs (cdrl-method.md 4.2), built by Score, Langevin, EBMStep, InitForward
// (in training mode) and InitStep.
const (
	ScoreProgram ProgramKind = iota
	LangevinProgram
	EBMStepProgram
	InitForwardProgram
	InitStepProgram
)

// Param is a network parameter with its initial value.
type Param struct {
	Name  string
	Shape []int
	Init  []float32
}

// Program is a training program compiled to ONNX with its parameters as model inputs, and
// what a runner needs to know to feed it. Training runs programs; this package builds them.
type Program struct {
	// Name names the program ("ebm/step", "init/forward", ...).
	Name string
	// Model is the ONNX model.
	Model []byte
	// Inputs maps each input that is not a parameter to its shape (-1: the batch).
	Inputs map[string][]int
	// Params are the parameters of the program's network, with their initial values (from
	// Nets.Seed), in creation order: the same for every program of that network.
	Params []Param
	// Fed names the parameters the model takes as inputs: those its outputs depend on.
	Fed []string
	// Spectral lists the spectral-normalised weights and the inputs of their power-iteration
	// vectors (the EBM step; the other EBM programs take the normalised weights W/sigma).
	Spectral []nn.SpectralWeight
	// Dropout names the dropout noise inputs, uniform draws in [0, 1) shaped like the
	// activations they drop (the initializer's training programs with FedMasks).
	Dropout []string
	// DropoutKey names the int64 input (N) of per-sample keys, in [0, nn.CounterKeyLimit),
	// from which the program draws its dropout masks (the initializer's training programs
	// with Nets.KeyedNoise), or is empty.
	DropoutKey string
}

// Compile builds and encodes one training program; steps is the K of LangevinProgram.
func (n Nets) Compile(kind ProgramKind, lv Levels, steps int) (*Program, error) {
	g, err := n.program(kind, lv, steps)
	if err != nil {
		return nil, err
	}
	model, err := onnx.Marshal(g, onnx.Options{Params: onnx.ParamsAsInputs})
	if err != nil {
		return nil, fmt.Errorf("cdrl: compile %s: %w", g.Name(), err)
	}
	p := &Program{Name: g.Name(), Model: model, Inputs: map[string][]int{}}
	for _, in := range g.Inputs() {
		p.Inputs[in.Name()] = in.Shape()
	}
	live := map[*graphs.Value]bool{}
	var outs []*graphs.Value
	for _, o := range g.Outputs() {
		outs = append(outs, o.Value)
	}
	for _, node := range graphs.LiveNodes(outs...) {
		if node.Op == "Param" {
			live[node.Outputs[0]] = true
		}
	}
	for _, v := range g.Params() {
		p.Params = append(p.Params, Param{Name: v.Name(), Shape: v.Shape(), Init: v.Node().Attrs.Tensor("value").Float32})
		if live[v] {
			p.Fed = append(p.Fed, v.Name())
		}
	}
	if kind == EBMStepProgram {
		p.Spectral = nn.SpectralParams(g)
	}
	for _, in := range unet.DropoutInputs(g) {
		p.Dropout = append(p.Dropout, in.Name())
	}
	if in := unet.DropoutKeyInput(g); in != nil {
		p.DropoutKey = in.Name()
	}
	return p, nil
}

// program builds the graph of one training program.
func (n Nets) program(kind ProgramKind, lv Levels, steps int) (*graphs.Graph, error) {
	switch kind {
	case ScoreProgram:
		return n.Score(lv)
	case LangevinProgram:
		return n.Langevin(lv, steps)
	case EBMStepProgram:
		return n.EBMStep(lv)
	case InitForwardProgram:
		return n.InitForward(lv, true)
	case InitStepProgram:
		return n.InitStep(lv)
	}
	return nil, fmt.Errorf("cdrl: compile: unknown program kind %d", kind)
}

// Baker encodes a program with its parameter values baked in as initializers, for runs in
// which the parameters stay fixed: the K Langevin steps of one training iteration. ONNX
// Runtime pre-packs baked weight matrices and moves convolutions with baked weights to its
// blocked layout, which it cannot do for weights that arrive as inputs.
type Baker struct {
	g *graphs.Graph
}

// Baker builds the score program or the fused Langevin program (steps steps) for repeated
// bakes; programs that take parameter gradients need their parameters as inputs.
func (n Nets) Baker(kind ProgramKind, lv Levels, steps int) (*Baker, error) {
	if kind != ScoreProgram && kind != LangevinProgram {
		return nil, fmt.Errorf("cdrl: only the score and the Langevin programs can be baked, not kind %d", kind)
	}
	g, err := n.program(kind, lv, steps)
	if err != nil {
		return nil, err
	}
	return &Baker{g: g}, nil
}

// Model encodes the program with values baked in. values must hold every parameter of the
// program (the EBM's spectral-normalised weights already divided by their sigma); values of
// parameters it does not have are ignored.
func (b *Baker) Model(values map[string]*tensor.Tensor) ([]byte, error) {
	vals := used(b.g, values)
	for _, p := range b.g.Params() {
		if vals[p.Name()] == nil {
			return nil, fmt.Errorf("cdrl: bake %s: no value for param %s", b.g.Name(), p.Name())
		}
	}
	model, err := onnx.Marshal(b.g, onnx.Options{Params: onnx.BakeParams, Overrides: vals})
	if err != nil {
		return nil, fmt.Errorf("cdrl: bake %s: %w", b.g.Name(), err)
	}
	return model, nil
}

// Exporter encodes the bundle's graphs (ExportEnergy, ExportInit) with parameter values baked
// in.
type Exporter struct {
	energy, init *graphs.Graph
}

// Exporter builds the bundle's graphs once for repeated exports.
func (n Nets) Exporter(lv Levels) (*Exporter, error) {
	e, err := n.ExportEnergy(lv)
	if err != nil {
		return nil, err
	}
	i, err := n.ExportInit(lv)
	if err != nil {
		return nil, err
	}
	return &Exporter{energy: e, init: i}, nil
}

// Graphs encodes the bundle's graph files, by role (bundle.GraphEnergy, GraphInitializer),
// with the given values baked in: ebm must hold the EBM's spectral-normalised weights already
// divided by their sigma. Values of parameters a graph does not have are ignored.
func (x *Exporter) Graphs(ebm, init map[string]*tensor.Tensor) (map[string][]byte, error) {
	energy, err := onnx.Marshal(x.energy, onnx.Options{Params: onnx.BakeParams, Overrides: used(x.energy, ebm)})
	if err != nil {
		return nil, fmt.Errorf("cdrl: export energy: %w", err)
	}
	initializer, err := onnx.Marshal(x.init, onnx.Options{Params: onnx.BakeParams, Overrides: used(x.init, init)})
	if err != nil {
		return nil, fmt.Errorf("cdrl: export initializer: %w", err)
	}
	return map[string][]byte{bundle.GraphEnergy: energy, bundle.GraphInitializer: initializer}, nil
}

// used keeps the values of the params g has.
func used(g *graphs.Graph, vals map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for _, p := range g.Params() {
		if v, ok := vals[p.Name()]; ok {
			out[p.Name()] = v
		}
	}
	return out
}
