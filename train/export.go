package train

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/models/cdrl"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// exporter writes inference bundles from the EMA weights.
type exporter struct {
	energy, init *graphs.Graph
}

func newExporter(n cdrl.Nets, lv cdrl.Levels) (*exporter, error) {
	e, err := n.ExportEnergy(lv)
	if err != nil {
		return nil, err
	}
	i, err := n.ExportInit(lv)
	if err != nil {
		return nil, err
	}
	return &exporter{energy: e, init: i}, nil
}

// manifest describes the model being trained.
func (t *trainer) manifest() *bundle.Manifest {
	m := &bundle.Manifest{
		Format: bundle.Format, Version: bundle.Version,
		Kind: bundle.KindImage, Shape: append([]int(nil), t.shape...), Range: [2]float64{-1, 1},
		Schedule: bundle.Schedule{Levels: t.cfg.Levels, LogSNRMin: t.cfg.LogSNRMin, LogSNRMax: t.cfg.LogSNRMax},
		Langevin: bundle.Langevin{Steps: t.cfg.LangevinSteps, B: t.lang.StepB(), CMode: t.cfg.StepMode, Tweedie: true},
	}
	if len(t.shape) == 1 {
		m.Kind = bundle.KindPoints
		m.Range = [2]float64{-8, 8}
		m.Langevin.Tweedie = false // the toy samples level 0 (cdrl-method.md 6)
	}
	io := func(file string, outputs ...string) bundle.Graph {
		g := bundle.Graph{File: file, Inputs: []string{bundle.InputX, bundle.InputLogSNR}, Outputs: outputs}
		if t.classes > 0 {
			g.Inputs = append(g.Inputs, bundle.InputClass)
		}
		return g
	}
	m.Graphs.Energy = io("energy.onnx", bundle.OutputEnergy, bundle.OutputGrad)
	m.Graphs.Initializer = io("initializer.onnx", bundle.OutputY)
	if t.classes > 0 {
		m.Classes = append([]string(nil), t.data.Classes()...)
		m.GuidanceDefault = 1
	}
	m.Provenance = bundle.Provenance{
		Command:    "cdrl-train " + strings.Join(os.Args[1:], " "),
		Seed:       int64(t.cfg.Seed),
		Iterations: t.st.Step,
		Date:       time.Now().UTC().Format(time.RFC3339),
	}
	return m
}

// bundleGraphs encodes the export graphs with the EMA weights baked in (the EBM's spectral-
// normalised weights folded with the live power-iteration vectors, as the reference code
// evaluates its EMA model).
func (t *trainer) bundleGraphs(x *exporter) (map[string][]byte, error) {
	ebmEMA := t.st.EBM.Clone()
	if err := t.ebmEMA.CopyTo(ebmEMA.Data); err != nil {
		return nil, err
	}
	initEMA := t.st.Init.Clone()
	if err := t.initEMA.CopyTo(initEMA.Data); err != nil {
		return nil, err
	}
	energy, err := onnx.Marshal(x.energy, onnx.Options{Params: onnx.BakeParams, Overrides: used(x.energy, t.foldSpectral(ebmEMA))})
	if err != nil {
		return nil, fmt.Errorf("train: export energy: %w", err)
	}
	init, err := onnx.Marshal(x.init, onnx.Options{Params: onnx.BakeParams, Overrides: used(x.init, tensors(initEMA))})
	if err != nil {
		return nil, fmt.Errorf("train: export initializer: %w", err)
	}
	return map[string][]byte{bundle.GraphEnergy: energy, bundle.GraphInitializer: init}, nil
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
