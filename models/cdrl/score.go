package cdrl

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Input and output names the programs share with the bundle's graphs (design.md section 6):
// defined once, by the bundle format.
const (
	InputX      = bundle.InputX
	InputLogSNR = bundle.InputLogSNR
	InputClass  = bundle.InputClass
	OutEnergy   = bundle.OutputEnergy
	OutGrad     = bundle.OutputGrad
)

// ScoreFromImported turns an imported EBM graph into the score program: it flattens the energy
// to shape (N), appends d(sum energy)/dx and declares the outputs "energy" and "grad".
// The graph's inputs keep their names from the file; the returned map gives the file's name
// for each contract input present ("x", "logsnr", "class").
func ScoreFromImported(im *onnx.Imported) (*graphs.Graph, map[string]string, error) {
	x, ok := im.Inputs[InputX]
	if !ok {
		return nil, nil, fmt.Errorf("cdrl: score: the graph has no %q input", InputX)
	}
	e, ok := im.Outputs[OutEnergy]
	if !ok {
		return nil, nil, fmt.Errorf("cdrl: score: the graph has no %q output", OutEnergy)
	}
	if x.DType() != tensor.Float32 {
		return nil, nil, fmt.Errorf("cdrl: score: input %q must be float32, is %v", InputX, x.DType())
	}
	shape := e.Shape()
	switch {
	case len(shape) == 1:
	case len(shape) == 2 && shape[1] == 1:
		e = graphs.ReshapeTo(e, -1)
	default:
		return nil, nil, fmt.Errorf("cdrl: score: energy output must have shape (N) or (N,1), has %v", shape)
	}
	grads, err := graphs.Grad(e, x)
	if err != nil {
		return nil, nil, fmt.Errorf("cdrl: score: input gradient: %w", err)
	}
	g := im.Graph
	g.ClearOutputs()
	g.Output(OutEnergy, graphs.Identity(e))
	g.Output(OutGrad, graphs.Identity(grads[0]))
	if err := g.Err(); err != nil {
		return nil, nil, fmt.Errorf("cdrl: score: %w", err)
	}
	names := map[string]string{}
	for k, v := range im.Inputs {
		names[k] = v.Name()
	}
	return g, names, nil
}
