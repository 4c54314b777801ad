package train

import (
	"context"
	"fmt"
	"strings"

	"github.com/cdrl-go/cdrl/models/cdrl"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// program is one compiled training program (cdrl.Program) running in ONNX Runtime: its params
// fed as inputs to every run, or, for a baked program, baked into a session that bake builds
// anew whenever they change.
type program struct {
	*cdrl.Program
	sess   *ort.Session // nil for a baked program until its first bake
	inputs map[string]bool
	baker  *cdrl.Baker // set for a baked program
	cfg    ort.SessionConfig
	spent  ort.Traffic // of the sessions bake replaced, and the model bytes every bake handed over
}

func newProgram(c *cdrl.Program, cfg ort.SessionConfig) (*program, error) {
	cfg = profiled(cfg, c)
	sess, err := ort.NewSession(c.Model, cfg)
	if err != nil {
		return nil, fmt.Errorf("train: program %s: %w", c.Name, err)
	}
	return &program{Program: c, sess: sess, inputs: inputSet(c), cfg: cfg}, nil
}

// newBakedProgram returns program c run with its params baked in by baker: bake must be called
// before the first run.
func newBakedProgram(c *cdrl.Program, baker *cdrl.Baker, cfg ort.SessionConfig) *program {
	return &program{Program: c, inputs: inputSet(c), baker: baker, cfg: profiled(cfg, c)}
}

// profiled gives each program its own trace file prefix when profiling is on.
func profiled(cfg ort.SessionConfig, c *cdrl.Program) ort.SessionConfig {
	if cfg.Profile != "" {
		cfg.Profile += "-" + strings.ReplaceAll(c.Name, "/", "-")
	}
	return cfg
}

func inputSet(c *cdrl.Program) map[string]bool {
	m := make(map[string]bool, len(c.Inputs))
	for name := range c.Inputs {
		m[name] = true
	}
	return m
}

// bake replaces a baked program's session by one with values baked in. The model bytes count
// as handed to ONNX Runtime (traffic).
func (p *program) bake(values map[string]*tensor.Tensor) error {
	model, err := p.baker.Model(values)
	if err != nil {
		return fmt.Errorf("train: program %s: %w", p.Name, err)
	}
	sess, err := ort.NewSession(model, p.cfg)
	if err != nil {
		return fmt.Errorf("train: program %s: %w", p.Name, err)
	}
	if p.sess != nil {
		p.spent = p.spent.Add(p.sess.Traffic())
		if err := p.sess.Close(); err != nil {
			sess.Close()
			return fmt.Errorf("train: program %s: %w", p.Name, err)
		}
	}
	p.sess = sess
	p.spent.BytesIn += int64(len(model))
	return nil
}

// run feeds the given inputs plus, unless the program is baked, every param from values (by
// name) and returns the outputs.
func (p *program) run(ctx context.Context, feeds map[string]*tensor.Tensor, values map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if p.sess == nil {
		return nil, fmt.Errorf("train: program %s: run before its parameters were baked in", p.Name)
	}
	all := make(map[string]*tensor.Tensor, len(feeds)+len(p.Fed))
	for k, v := range feeds {
		if p.inputs[k] {
			all[k] = v
		}
	}
	if p.baker == nil {
		for _, name := range p.Fed {
			t, ok := values[name]
			if !ok {
				return nil, fmt.Errorf("train: program %s: no value for param %s", p.Name, name)
			}
			all[name] = t
		}
	}
	out, err := p.sess.Run(ctx, all)
	if err != nil {
		return nil, fmt.Errorf("train: program %s: %w", p.Name, err)
	}
	return out, nil
}

// traffic returns what the program's runs (and bakes) have handed to ONNX Runtime and taken
// back.
func (p *program) traffic() ort.Traffic {
	if p.sess == nil {
		return p.spent
	}
	return p.spent.Add(p.sess.Traffic())
}

func (p *program) Close() error {
	if p == nil || p.sess == nil {
		return nil
	}
	return p.sess.Close()
}
