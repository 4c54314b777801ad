package cdrl

import (
	"fmt"
	"regexp"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// ImportFiles reads the user's EBM and initializer graphs from ONNX files into Nets
// (ImportedNets). io maps the contract's names to the files' ("x=input_0,energy=output_0", ""
// for none); freeze is a regular expression of initializers kept constant ("" for none).
func ImportFiles(ebmFile, initFile, io, freeze string, classes int) (Nets, error) {
	opts := onnx.ImportOptions{}
	var err error
	if opts.IO, err = onnx.ParseIO(io); err != nil {
		return Nets{}, fmt.Errorf("cdrl: import: %w", err)
	}
	if freeze != "" {
		if opts.Freeze, err = regexp.Compile(freeze); err != nil {
			return Nets{}, fmt.Errorf("cdrl: import: the frozen initializers' pattern: %w", err)
		}
	}
	e, err := onnx.ImportFile(ebmFile, opts)
	if err != nil {
		return Nets{}, fmt.Errorf("cdrl: import: the EBM graph %s: %w", ebmFile, err)
	}
	i, err := onnx.ImportFile(initFile, opts)
	if err != nil {
		return Nets{}, fmt.Errorf("cdrl: import: the initializer graph %s: %w", initFile, err)
	}
	nets, err := ImportedNets(e, i, classes)
	if err != nil {
		return Nets{}, fmt.Errorf("cdrl: import: the EBM graph %s with the initializer graph %s: %w", ebmFile, initFile, err)
	}
	return nets, nil
}

// ImportedNets wraps an imported EBM graph (inputs x, logsnr[, class]; output energy) and an
// imported initializer graph (inputs x, logsnr[, class]; output y) as Nets, so that their float
// initializers train like the built-in networks' params (named "ebm/<name>" and
// "init/<name>"). classes > 0 trains them class-conditionally; a graph with a class input
// trained unconditionally gets the null class 0. Imported graphs have no spectral norm and no
// dropout.
func ImportedNets(e, i *onnx.Imported, classes int) (Nets, error) {
	x, ok := e.Inputs[InputX]
	if !ok {
		return Nets{}, fmt.Errorf("cdrl: the EBM graph has no %q input", InputX)
	}
	shape := x.Shape()[1:]
	if !shape.Known() || len(shape) == 0 {
		return Nets{}, fmt.Errorf("cdrl: the EBM graph's x has shape %v; all but the batch dimension must be fixed", x.Shape())
	}
	for name, im := range map[string]*onnx.Imported{"EBM": e, "initializer": i} {
		if _, ok := im.Inputs[InputLogSNR]; !ok {
			return Nets{}, fmt.Errorf("cdrl: the %s graph has no %q input", name, InputLogSNR)
		}
		if xi, ok := im.Inputs[InputX]; !ok || !xi.Shape()[1:].Equal(shape) {
			return Nets{}, fmt.Errorf("cdrl: the %s graph's x must have shape (N,%v)", name, shape)
		}
		if _, ok := im.Inputs[InputClass]; classes > 0 && !ok {
			return Nets{}, fmt.Errorf("cdrl: class-conditional training needs a %q input in the %s graph", InputClass, name)
		}
	}
	if _, ok := e.Outputs[OutEnergy]; !ok {
		return Nets{}, fmt.Errorf("cdrl: the EBM graph has no %q output", OutEnergy)
	}
	if _, ok := i.Outputs[OutY]; !ok {
		return Nets{}, fmt.Errorf("cdrl: the initializer graph has no %q output", OutY)
	}
	return Nets{
		Shape:   shape,
		Classes: classes,
		Energy: func(s nn.Scope, x *graphs.Value, t nn.Time, class *graphs.Value, _ bool) *graphs.Value {
			f := inline(s, e, x, t, class, OutEnergy)
			if f != nil && f.Rank() == 2 {
				f = graphs.ReshapeTo(f, -1)
			}
			return f
		},
		Init: func(s nn.Scope, x *graphs.Value, t nn.Time, class *graphs.Value, _ Dropout) *graphs.Value {
			return inline(s, i, x, t, class, OutY)
		},
	}, nil
}

// inline copies the nodes the imported graph needs for output into s's graph, with its
// inputs bound to x, the per-sample logSNR of t and class, and its params created in s (or
// shared with an earlier copy when s.Reuse is set).
func inline(s nn.Scope, im *onnx.Imported, x *graphs.Value, t nn.Time, class *graphs.Value, output string) *graphs.Value {
	g := s.G
	out := im.Outputs[output]
	vals := map[*graphs.Value]*graphs.Value{}
	for _, n := range graphs.LiveNodes(out) {
		switch n.Op {
		case "Input":
			var v *graphs.Value
			switch name := n.Attrs.String("name", ""); name {
			case InputX:
				v = x
			case InputLogSNR:
				v = t.Samples(g)
			case InputClass:
				v = class
				if v == nil { // unconditional training of a graph with a class input: the null class
					v = graphs.Cast(graphs.ZerosLike(t.Samples(g)), tensor.Int64)
				}
			default:
				g.Fail(fmt.Errorf("cdrl: imported graph input %q is not part of the contract", name))
				return nil
			}
			vals[n.Outputs[0]] = v
		case "Param":
			name := s.Name(n.Attrs.String("name", ""))
			p := g.Lookup(name)
			if p == nil || !s.Reuse {
				p = graphs.Param(g, name, n.Attrs.Tensor("value"))
			}
			vals[n.Outputs[0]] = p
		default:
			in := make([]*graphs.Value, len(n.Inputs))
			for k, v := range n.Inputs {
				in[k] = vals[v]
			}
			res := graphs.Apply(g, n.Op, n.Attrs, in...)
			for k, o := range n.Outputs {
				if k < len(res) {
					vals[o] = res[k]
				}
			}
		}
	}
	return vals[out]
}
