package train

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/models/cdrl"
)

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
func (t *trainer) bundleGraphs(x *cdrl.Exporter) (map[string][]byte, error) {
	ebmEMA := t.st.EBM.Clone()
	if err := t.ebmEMA.CopyTo(ebmEMA.Data); err != nil {
		return nil, err
	}
	initEMA := t.st.Init.Clone()
	if err := t.initEMA.CopyTo(initEMA.Data); err != nil {
		return nil, err
	}
	graphs, err := x.Graphs(t.foldSpectral(ebmEMA), tensors(initEMA))
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return graphs, nil
}
