package nn

import "github.com/cdrl-go/cdrl/graphs"

// SiLU returns x * sigmoid(x) (also called swish), the initializer networks' activation.
// Softplus and LeakyRelu are graphs primitives (graphs.Softplus, graphs.LeakyRelu).
func SiLU(x *graphs.Value) *graphs.Value {
	return graphs.Mul(x, graphs.Sigmoid(x))
}
