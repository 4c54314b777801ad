package optim_test

import (
	"fmt"
	"log"

	"github.com/cdrl-go/cdrl/train/optim"
)

// Three iterations of the EBM's update: clip the gradient, step Adam at the warmed-up rate
// (0 on the first step), update the EMA. With effective decays 2/11, 3/12 and 4/13 the EMA
// is 1, then 1 - 0.75*5e-5 = 0.9999625, then 0.9999625 - (9/13)*1.125e-4 = 0.9998846.
func Example() {
	params, err := optim.NewParams([]string{"w", "b"}, [][]int{{2}, {}})
	if err != nil {
		log.Fatal(err)
	}
	copy(params.Data[0], []float32{1, -1})
	adam, err := optim.NewAdam(optim.DefaultAdam())
	if err != nil {
		log.Fatal(err)
	}
	ema, err := optim.NewEMA(0.999, params.Data)
	if err != nil {
		log.Fatal(err)
	}
	warmup := optim.Warmup{Steps: 200}
	grads := params.ZerosLike()
	shadow := params.ZerosLike()
	for n := range 3 {
		grads.Zero()
		copy(grads.Data[0], []float32{3, -4}) // as if from the train program: norm 5
		norm := optim.ClipGlobalNorm(grads.Data, 1)
		lr := 1e-2 * warmup.Factor(n)
		if err := adam.Step(params.Data, grads.Data, lr); err != nil {
			log.Fatal(err)
		}
		if err := ema.Update(params.Data); err != nil {
			log.Fatal(err)
		}
		if err := ema.CopyTo(shadow.Data); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("step %d: norm %.1f, lr %.0e, w %.5f, ema w %.6f\n", n+1, norm, lr, params.Data[0], shadow.Data[0])
	}
	// Output:
	// step 1: norm 5.0, lr 0e+00, w [1.00000 -1.00000], ema w [1.000000 -1.000000]
	// step 2: norm 5.0, lr 5e-05, w [0.99995 -0.99995], ema w [0.999963 -0.999963]
	// step 3: norm 5.0, lr 1e-04, w [0.99985 -0.99985], ema w [0.999885 -0.999885]
}

// The official warmups: the EBM's first step has rate 0, the initializer's 5%.
func ExampleWarmup() {
	ebm := optim.Warmup{Steps: 10000}
	initializer := optim.Warmup{Steps: 10000, Offset: 500}
	for _, n := range []int{0, 1, 2, 9500, 10000} {
		fmt.Printf("n %5d: ebm %.4f initializer %.4f\n", n, ebm.Factor(n), initializer.Factor(n))
	}
	// Output:
	// n     0: ebm 0.0000 initializer 0.0500
	// n     1: ebm 0.0001 initializer 0.0501
	// n     2: ebm 0.0002 initializer 0.0502
	// n  9500: ebm 0.9500 initializer 1.0000
	// n 10000: ebm 1.0000 initializer 1.0000
}
