package classifier

import (
	"fmt"
	"math/rand"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// The network's geometry and the names of its inputs and outputs.
const (
	// Side is the height and width of an input digit.
	Side = 28
	// Classes is the number of outputs: the digits 0..9.
	Classes = 10
	// Features is the width of the penultimate layer, the "features" output.
	Features = 128

	// InputX is the inference graph's input: N digits (N, 1, 28, 28) with pixels in [-1, 1].
	InputX = "x"
	// OutLogits is the inference graph's (N, 10) output of unnormalised class scores.
	OutLogits = "logits"
	// OutFeatures is the inference graph's (N, Features) output: the penultimate layer after
	// its ReLU, the representation the Frechet distance compares.
	OutFeatures = "features"

	// inputOneHot is the training graph's (N, 10) one-hot target.
	inputOneHot = "onehot"
	// outLoss is the training graph's mean cross-entropy.
	outLoss = "loss"
	// gradPrefix starts the training graph's gradient outputs, grad/<param>.
	gradPrefix = "grad/"
	// scope prefixes every param name.
	scope = "classifier"
)

// network applies the LeNet-like classifier to x (N, 1, 28, 28):
//
//	conv 5x5 1->32, ReLU, 2x2 average pool   (32, 12, 12)
//	conv 5x5 32->64, ReLU, 2x2 average pool  (64, 4, 4)
//	dense 1024->128, ReLU                    features
//	dense 128->10                            logits
//
// Convolutions are unpadded; every layer has a bias; params are initialised like PyTorch's
// layers from s.Rng.
func network(s nn.Scope, x *graphs.Value) (logits, features *graphs.Value) {
	h := graphs.Relu(nn.Conv2D(s.Sub("conv1"), x, 32, 5, nn.Conv2DOpts{Bias: true}))
	h = nn.AvgPool2x2(h)
	h = graphs.Relu(nn.Conv2D(s.Sub("conv2"), h, 64, 5, nn.Conv2DOpts{Bias: true}))
	h = nn.AvgPool2x2(h)
	h = graphs.Flatten(h, 1)
	features = graphs.Relu(nn.Dense(s.Sub("fc1"), h, Features, nn.DenseOpts{Bias: true}))
	logits = nn.Dense(s.Sub("fc2"), features, Classes, nn.DenseOpts{Bias: true})
	return logits, features
}

// newScope returns the scope of the classifier's params in g, drawing initial values from a
// generator seeded with seed (nn.Scope takes a math/rand generator).
func newScope(g *graphs.Graph, seed uint64) nn.Scope {
	return nn.Scope{G: g, Prefix: scope, Rng: rand.New(rand.NewSource(int64(seed)))}
}

// inferenceGraph builds the graph x -> logits, features with params initialised from seed.
func inferenceGraph(seed uint64) (*graphs.Graph, error) {
	g := graphs.New("classifier")
	x := graphs.Input(g, InputX, tensor.Float32, -1, 1, Side, Side)
	logits, features := network(newScope(g, seed), x)
	g.Output(OutLogits, logits)
	g.Output(OutFeatures, features)
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("classifier: build the inference graph: %w", err)
	}
	return g, nil
}

// trainingGraph builds the training program: inputs x (N, 1, 28, 28) and onehot (N, 10);
// outputs loss (the mean cross-entropy), logits and grad/<param> for every param.
func trainingGraph(seed uint64) (*graphs.Graph, error) {
	g := graphs.New("classifier/step")
	x := graphs.Input(g, InputX, tensor.Float32, -1, 1, Side, Side)
	onehot := graphs.Input(g, inputOneHot, tensor.Float32, -1, Classes)
	logits, _ := network(newScope(g, seed), x)
	loss := graphs.ReduceMean(graphs.Neg(graphs.ReduceSum(graphs.Mul(onehot, logSoftmax(logits)), []int{1}, false)), nil, false)
	params := g.Params()
	grads, err := graphs.Grad(loss, params...)
	if err != nil {
		return nil, fmt.Errorf("classifier: build the training graph: %w", err)
	}
	for i, p := range params {
		g.Output(gradPrefix+p.Name(), grads[i])
	}
	g.Output(outLoss, loss)
	g.Output(OutLogits, logits)
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("classifier: build the training graph: %w", err)
	}
	return g, nil
}

// logSoftmax returns z - log(sum(exp(z))) along axis 1 for z = x minus its row mean. The
// graphs package has no ReduceMax; shifting by the row mean keeps exp in range as long as no
// logit exceeds its row mean by more than about 88, far beyond what this network produces,
// and the result (and its gradient) does not depend on the shift.
func logSoftmax(x *graphs.Value) *graphs.Value {
	z := graphs.Sub(x, graphs.ReduceMean(x, []int{1}, true))
	return graphs.Sub(z, graphs.Log(graphs.ReduceSum(graphs.Exp(z), []int{1}, true)))
}
