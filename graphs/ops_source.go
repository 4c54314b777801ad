package graphs

import (
	"fmt"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Sources: graph inputs, parameters and constants. They have no inputs, hence no gradient rule.
func init() {
	register(&opDef{typ: "Input", infer: func(n *Node) ([]outSpec, error) {
		if n.Attrs.String("name", "") == "" {
			return nil, fmt.Errorf("input needs a name")
		}
		dt := tensor.DType(n.Attrs.Int("dtype", int64(tensor.Float32)))
		if dt != tensor.Float32 && dt != tensor.Int64 {
			return nil, fmt.Errorf("input %q: unsupported dtype %v", n.Attrs.String("name", ""), dt)
		}
		return []outSpec{{dtype: dt, shape: toInts(n.Attrs.Ints("shape", nil))}}, nil
	}})
	register(&opDef{typ: "Param", infer: func(n *Node) ([]outSpec, error) {
		t := n.Attrs.Tensor("value")
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("param %q: %w", n.Attrs.String("name", ""), err)
		}
		if t.DType != tensor.Float32 {
			return nil, fmt.Errorf("param %q: params are float32, got %v", n.Attrs.String("name", ""), t.DType)
		}
		return []outSpec{{dtype: tensor.Float32, shape: t.Shape.Clone()}}, nil
	}})
	register(&opDef{typ: "Constant",
		infer: func(n *Node) ([]outSpec, error) {
			t := n.Attrs.Tensor("value")
			if err := t.Validate(); err != nil {
				return nil, err
			}
			s := outSpec{dtype: t.DType, shape: t.Shape.Clone()}
			if t.DType == tensor.Float64 {
				return nil, fmt.Errorf("float64 constants are not supported; use float32")
			}
			if t.DType == tensor.Int64 && len(t.Shape) <= 1 {
				s.ints = append([]int64{}, t.Int64...)
				s.intsOK = make([]bool, len(t.Int64))
				for k := range s.intsOK {
					s.intsOK[k] = true
				}
			}
			return []outSpec{s}, nil
		},
		eval: func(n *Node, _ []*array) ([]*array, error) {
			a, err := arrayFromTensor(n.Attrs.Tensor("value"))
			return []*array{a}, err
		},
	})
}
