package train

import (
	"context"
	"fmt"
	"strings"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// program is one training program running in ONNX Runtime, with params fed as inputs.
type program struct {
	name   string
	graph  *graphs.Graph
	sess   *ort.Session
	params []*graphs.Value
	inputs map[string]*graphs.Value
}

func newProgram(g *graphs.Graph, cfg ort.SessionConfig) (*program, error) {
	model, err := onnx.Marshal(g, onnx.Options{Params: onnx.ParamsAsInputs})
	if err != nil {
		return nil, fmt.Errorf("train: program %s: %w", g.Name(), err)
	}
	if cfg.Profile != "" { // one trace file per program
		cfg.Profile += "-" + strings.ReplaceAll(g.Name(), "/", "-")
	}
	sess, err := ort.NewSession(model, cfg)
	if err != nil {
		return nil, fmt.Errorf("train: program %s: %w", g.Name(), err)
	}
	p := &program{name: g.Name(), graph: g, sess: sess, inputs: map[string]*graphs.Value{}}
	for _, in := range g.Inputs() {
		p.inputs[in.Name()] = in
	}
	// Only the params the outputs need are inputs of the ONNX model.
	live := map[*graphs.Value]bool{}
	var outs []*graphs.Value
	for _, o := range g.Outputs() {
		outs = append(outs, o.Value)
	}
	for _, n := range graphs.LiveNodes(outs...) {
		if n.Op == "Param" {
			live[n.Outputs[0]] = true
		}
	}
	for _, v := range g.Params() {
		if live[v] {
			p.params = append(p.params, v)
		}
	}
	return p, nil
}

// run feeds the given inputs plus every param from values (by name) and returns the outputs.
func (p *program) run(ctx context.Context, feeds map[string]*tensor.Tensor, values map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	all := make(map[string]*tensor.Tensor, len(feeds)+len(p.params))
	for k, v := range feeds {
		if _, ok := p.inputs[k]; ok {
			all[k] = v
		}
	}
	for _, v := range p.params {
		t, ok := values[v.Name()]
		if !ok {
			return nil, fmt.Errorf("train: program %s: no value for param %s", p.name, v.Name())
		}
		all[v.Name()] = t
	}
	out, err := p.sess.Run(ctx, all)
	if err != nil {
		return nil, fmt.Errorf("train: program %s: %w", p.name, err)
	}
	return out, nil
}

func (p *program) Close() error {
	if p == nil {
		return nil
	}
	return p.sess.Close()
}
