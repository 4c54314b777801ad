package ebm

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Cond is what a network is conditioned on besides the noise level. The zero value is
// unconditional. A network's config says how many classes its embedding table has (its
// Classes field); Cond carries the graph input that selects the rows.
type Cond struct {
	// Class holds the int64 class id of every sample, shape (N): ids 1..Classes are the
	// labels and 0 is the null class that classifier-free guidance uses as the unconditional
	// model (cdrl-method.md 5.6). It must be set exactly when the config's Classes is positive.
	Class *graphs.Value
}

// checkCond reports an error when cond does not suit a network with the given number of
// classes; net names the network in the message.
func checkCond(cond Cond, classes int, net string) error {
	switch {
	case classes < 0:
		return fmt.Errorf("ebm: %s config: Classes %d must not be negative", net, classes)
	case classes > 0 && cond.Class == nil:
		return fmt.Errorf("ebm: %s config: Classes %d needs Cond.Class", net, classes)
	case classes == 0 && cond.Class != nil:
		return fmt.Errorf("ebm: %s config: Cond.Class is set but Classes is 0", net)
	case cond.Class != nil && (cond.Class.DType() != tensor.Int64 || cond.Class.Rank() != 1):
		return fmt.Errorf("ebm: %s: Cond.Class %v must be int64 of shape (N)", net, cond.Class)
	}
	return nil
}

// classEmbedding returns Ly(onehot(class)) of shape (N, out) for the Linear map
// Ly: (classes+1) -> out with bias, computed as a row gather instead of a product with a
// one-hot matrix. Its weight "w" keeps PyTorch's Linear layout (out, classes+1), so with
// spectral set it is normalised as that matrix, with the power-iteration vectors fed as the
// inputs "<prefix>/w/sn_u" (out) and "<prefix>/w/sn_v" (classes+1) that nn.SpectralParams
// lists. Weight and bias start uniform in ±1/sqrt(classes+1), as nn.Linear's do.
func classEmbedding(s nn.Scope, class *graphs.Value, classes, out int, spectral bool) *graphs.Value {
	g := s.G
	rows := classes + 1
	w := s.Param("w", []int{out, rows}, nn.Uniform(rows))
	b := s.Param("b", []int{out}, nn.Uniform(rows))
	if spectral {
		u := graphs.Input(g, s.Name("w/sn_u"), tensor.Float32, out)
		v := graphs.Input(g, s.Name("w/sn_v"), tensor.Float32, rows)
		w = nn.SpectralNormalize(w, u, v)
	}
	return graphs.Add(graphs.Gather(graphs.Transpose(w, 1, 0), class, 0), b)
}

// condTime finishes a network's time path. temb holds the time features on the rows of t,
// shape (R, width). Without classes it returns temb and t.PerSample, so that the layers on
// temb still run on t's rows and their outputs are mapped to the batch afterwards. With
// classes it maps temb to the batch first and adds the class embedding (scope "class"), so the
// features differ per sample; the returned map is then the identity.
func condTime(s nn.Scope, temb *graphs.Value, width int, t nn.Time, cond Cond, classes int, spectral bool) (*graphs.Value, func(*graphs.Value) *graphs.Value) {
	if classes == 0 {
		return temb, t.PerSample
	}
	y := classEmbedding(s.Sub("class"), cond.Class, classes, width, spectral)
	return graphs.Add(t.PerSample(temb), y), func(v *graphs.Value) *graphs.Value { return v }
}
