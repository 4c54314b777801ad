package metrics_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/cdrl-go/cdrl/infer/metrics"
	"github.com/cdrl-go/cdrl/train/data"
	"gonum.org/v1/gonum/mat"
)

// Checking 2D samples against the 8-squares set: exact data lands inside with about 1/8 in
// each square, while uniform points on the box [-8, 8]^2 land inside half the time.
func ExampleToySquares() {
	rng := rand.New(rand.NewPCG(1, 2))
	good := make([]float32, 2*4000)
	if err := data.SampleSquares(good, rng); err != nil {
		fmt.Println(err)
		return
	}
	uniform := make([]float32, 2*4000)
	for i := range uniform {
		uniform[i] = float32(16*rng.Float64() - 8)
	}
	for _, set := range []struct {
		name   string
		points []float32
	}{{"data", good}, {"uniform", uniform}} {
		r, err := metrics.ToySquares(set.points, data.NumSquares, data.InSquares)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: inside %.2f, shares within 0.125 +- %.2f\n", set.name, r.Inside, r.MaxShareError)
	}
	// Output:
	// data: inside 1.00, shares within 0.125 +- 0.01
	// uniform: inside 0.50, shares within 0.125 +- 0.01
}

// AUROC of an out-of-distribution score: in-distribution samples should score higher.
func ExampleAUROC() {
	in := []float64{0.9, 0.8, 0.7, 0.4}
	out := []float64{0.6, 0.4, 0.1}
	auc, err := metrics.AUROC(in, out)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("AUROC %.4f\n", auc) // (3 + 3 + 3 + 0.5 + 1) / 12 pairs won
	// Output:
	// AUROC 0.8750
}

// The Frechet distance between two Gaussians with diagonal covariances is the sum over
// coordinates of (m1 - m2)^2 + (sqrt(s1) - sqrt(s2))^2.
func ExampleFrechetGaussians() {
	cov1 := mat.NewSymDense(2, []float64{1, 0, 0, 4})
	cov2 := mat.NewSymDense(2, []float64{4, 0, 0, 4})
	d, err := metrics.FrechetGaussians([]float64{0, 0}, cov1, []float64{3, 0}, cov2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", d) // 3^2 + (1 - 2)^2
	// Output:
	// 10.0000
}

// Two single points at distance 5 are at energy distance 2*5.
func ExampleEnergyDistance() {
	d, err := metrics.EnergyDistance([]float32{0, 0}, []float32{3, 4}, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d)
	// Output:
	// 10
}
