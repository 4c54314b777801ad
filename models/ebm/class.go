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

// condTime finishes a network's time path. temb holds the time features on the rows of t,
// shape (R, width). Without classes it returns temb and t.PerSample, so that the layers on
// temb still run on t's rows and their outputs are mapped to the batch afterwards. With
// classes it maps temb to the batch first and adds the class embedding (scope "class"), so the
// features differ per sample; the returned map is then the identity.
func condTime(s nn.Scope, temb *graphs.Value, width int, t nn.Time, cond Cond, classes int, spectral bool) (*graphs.Value, func(*graphs.Value) *graphs.Value) {
	if classes == 0 {
		return temb, t.PerSample
	}
	y := nn.ClassEmbedding(s.Sub("class"), cond.Class, classes, width, spectral)
	return graphs.Add(t.PerSample(temb), y), func(v *graphs.Value) *graphs.Value { return v }
}
