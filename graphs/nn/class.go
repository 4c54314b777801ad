package nn

import "github.com/cdrl-go/cdrl/graphs"

// ClassEmbedding returns Ly(onehot(class)) of shape (N, out) for the Linear map
// Ly: (classes+1) -> out with bias, computed as a row gather instead of a product with a one-hot
// matrix (class holds int64 ids, 0 = the null class). Its weight "w" keeps PyTorch's Linear
// layout (out, classes+1), so with spectral set it is normalised as that matrix like Dense's.
// Weight and bias start uniform in ±1/sqrt(classes+1), as nn.Linear's do.
func ClassEmbedding(s Scope, class *graphs.Value, classes, out int, spectral bool) *graphs.Value {
	rows := classes + 1
	w := s.Param("w", []int{out, rows}, Uniform(rows))
	b := s.Param("b", []int{out}, Uniform(rows))
	if spectral {
		w = spectralWeight(s, w, "w")
	}
	return graphs.Add(graphs.Gather(graphs.Transpose(w, 1, 0), class, 0), b)
}
