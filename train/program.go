package train

import (
	"context"
	"fmt"
	"strings"

	"github.com/cdrl-go/cdrl/models/cdrl"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// program is one compiled training program (cdrl.Program) running in ONNX Runtime, its params
// fed as inputs.
type program struct {
	*cdrl.Program
	sess   *ort.Session
	inputs map[string]bool
}

func newProgram(c *cdrl.Program, cfg ort.SessionConfig) (*program, error) {
	if cfg.Profile != "" { // one trace file per program
		cfg.Profile += "-" + strings.ReplaceAll(c.Name, "/", "-")
	}
	sess, err := ort.NewSession(c.Model, cfg)
	if err != nil {
		return nil, fmt.Errorf("train: program %s: %w", c.Name, err)
	}
	p := &program{Program: c, sess: sess, inputs: map[string]bool{}}
	for name := range c.Inputs {
		p.inputs[name] = true
	}
	return p, nil
}

// run feeds the given inputs plus every param from values (by name) and returns the outputs.
func (p *program) run(ctx context.Context, feeds map[string]*tensor.Tensor, values map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	all := make(map[string]*tensor.Tensor, len(feeds)+len(p.Fed))
	for k, v := range feeds {
		if p.inputs[k] {
			all[k] = v
		}
	}
	for _, name := range p.Fed {
		t, ok := values[name]
		if !ok {
			return nil, fmt.Errorf("train: program %s: no value for param %s", p.Name, name)
		}
		all[name] = t
	}
	out, err := p.sess.Run(ctx, all)
	if err != nil {
		return nil, fmt.Errorf("train: program %s: %w", p.Name, err)
	}
	return out, nil
}

func (p *program) Close() error {
	if p == nil {
		return nil
	}
	return p.sess.Close()
}
