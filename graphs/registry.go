package graphs

import (
	"fmt"
	"sort"
)

// GradState says how an op input takes part in differentiation. Every input of every op is in
// exactly one state (the registry test checks it).
type GradState int

const (
	// Differentiable inputs have a vector-Jacobian rule.
	Differentiable GradState = iota + 1
	// NonDifferentiable inputs carry no gradient (integer, boolean or shape inputs, or
	// piecewise-constant functions).
	NonDifferentiable
	// NotImplemented inputs have no rule yet: asking for their gradient is an error naming the op.
	NotImplemented
)

// String names the state.
func (s GradState) String() string {
	switch s {
	case Differentiable:
		return "differentiable"
	case NonDifferentiable:
		return "non-differentiable"
	case NotImplemented:
		return "not implemented"
	}
	return "unknown"
}

// gradFunc returns, for each input i with need[i], the gradient of the loss with respect to
// that input, given the gradients dys of the node's outputs (nil for an output that gets none).
// A returned gradient may have the broadcast (output) shape: the autodiff sweep sums it back
// to the input's shape, so rules never deal with broadcasting.
type gradFunc func(n *Node, dys []*Value, need []bool) []*Value

// evalFunc computes a node's outputs from its inputs in float64 (the reference evaluator).
type evalFunc func(n *Node, in []*array) ([]*array, error)

// opDef is one registered op: shape rule, gradient rule and reference evaluation together.
type opDef struct {
	typ string
	// inputs lists the grad state of each input; the last entry repeats for variadic ops.
	inputs     []GradState
	infer      func(n *Node) ([]outSpec, error)
	grad       gradFunc
	eval       evalFunc
	numOutputs func(n *Node) int
}

var registry = map[string]*opDef{}

func register(d *opDef) {
	if _, dup := registry[d.typ]; dup {
		panic("graphs: op registered twice: " + d.typ)
	}
	registry[d.typ] = d
}

// inputState returns the grad state of input i of op d.
func (d *opDef) inputState(i int) GradState {
	if len(d.inputs) == 0 {
		return NonDifferentiable
	}
	if i >= len(d.inputs) {
		return d.inputs[len(d.inputs)-1]
	}
	return d.inputs[i]
}

// OpInfo describes a registered op for documentation and tests.
type OpInfo struct {
	Type   string
	Inputs []GradState
}

// Ops lists every registered op, sorted by type.
func Ops() []OpInfo {
	var out []OpInfo
	for _, d := range registry {
		out = append(out, OpInfo{Type: d.typ, Inputs: append([]GradState(nil), d.inputs...)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// IsRegistered reports whether op is a known op type.
func IsRegistered(op string) bool { return registry[op] != nil }

func errInputs(n *Node, want ...int) error {
	for _, w := range want {
		if len(n.Inputs) == w {
			return nil
		}
	}
	return fmt.Errorf("takes %v inputs, got %d", want, len(n.Inputs))
}
