package nn_test

import (
	"fmt"
	"math/rand"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// The embedding of the least noisy level (logSNR 9.8) that a trainer feeds for it.
func ExampleEmbeddingTable() {
	emb := nn.EmbeddingTable(9.8, 128)
	fmt.Printf("sin %.6f %.6f %.6f\n", emb[0], emb[1], emb[2])
	fmt.Printf("cos %.6f %.6f %.6f\n", emb[64], emb[65], emb[66])
	// Output:
	// sin -0.999603 -0.815847 -0.386762
	// cos 0.028162 -0.578268 -0.922180
}

// A spectral-normalised layer and the vectors its caller keeps and feeds.
func ExampleSpectralParams() {
	g := graphs.New("toy")
	s := nn.Scope{G: g, Prefix: "ebm", Rng: rand.New(rand.NewSource(1))}
	x := graphs.Input(g, "x", tensor.Float32, -1, 2)
	h := nn.Dense(s.Sub("in"), x, 128, nn.DenseOpts{Bias: true, Spectral: true})
	fmt.Println(h.Shape())
	for _, p := range g.Params() {
		fmt.Println("param", p.Name(), p.Shape())
	}
	for _, sw := range nn.SpectralParams(g) {
		fmt.Println("spectral", sw.Weight, sw.U, sw.V, sw.Rows, sw.Cols)
	}
	// Output:
	// (?,128)
	// param ebm/in/w (128,2)
	// param ebm/in/b (128)
	// spectral ebm/in/w ebm/in/w/sn_u ebm/in/w/sn_v 128 2
}

// The power iteration finds the largest singular value of [[3, 0], [0, 1]].
func ExamplePowerIteration() {
	u, v, sigma := nn.PowerIteration([]float32{3, 0, 0, 1}, 2, 2, []float32{0.6, 0.8}, 20)
	fmt.Printf("sigma %.6f u %.4f v %.4f\n", sigma, u, v)
	// Output:
	// sigma 3.000000 u [1.0000 0.0000] v [1.0000 0.0000]
}
