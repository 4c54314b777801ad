package infer_test

import (
	"fmt"

	"github.com/cdrl-go/cdrl/infer"
)

// The Langevin step sizes of the image setting: the noise std s_t grows with the noise level,
// and the last transition (the first sampling step) has no pull q_t towards x_t.
func ExampleSchedule_Transition() {
	s := infer.DefaultSchedule()
	for t := 1; t <= s.Levels; t++ {
		tr, err := s.Transition(t, infer.Langevin{Mode: infer.ImageSteps})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("t=%d s=%.6f q=%.4e final=%v\n", tr.T, tr.S, tr.Q, tr.Final)
	}
	// Output:
	// t=1 s=0.005043 q=2.0000e-04 final=false
	// t=2 s=0.049366 q=6.7754e-03 final=false
	// t=3 s=0.088558 q=1.2938e-02 final=false
	// t=4 s=0.128474 q=1.8311e-02 final=false
	// t=5 s=0.171570 q=2.2568e-02 final=false
	// t=6 s=0.218817 q=0.0000e+00 final=true
}

// Noising data to a level of the forward process, alpha_k x + sbar_k e: one 2-D point noised
// to level 3 with two noise draws (x repeats along dst), as variations of data and the
// training pairs start.
func ExampleSchedule_Noise() {
	s := infer.DefaultSchedule()
	x := []float32{1, -1}
	e := []float32{0, 0, 1, -1} // standard normal draws, two per point
	dst := make([]float32, len(e))
	if err := s.Noise(dst, x, e, 3); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("alpha_3 %.4f, sbar_3 %.4f\n", s.Alpha(3), s.SigmaBar(3))
	fmt.Printf("%.4f\n", dst)
	// Output:
	// alpha_3 0.7316, sbar_3 0.6818
	// [0.7316 -0.7316 1.4133 -1.4133]
}

// One Langevin step for a batch of two 2D points making different transitions. The gradient
// and the noise would come from the EBM and from Normal; here they are fixed numbers.
func ExampleLangevinStep() {
	trs, err := infer.DefaultSchedule().Transitions(infer.Langevin{Mode: infer.ToySteps})
	if err != nil {
		fmt.Println(err)
		return
	}
	var p infer.PerSample
	if err := p.Fill(trs, []int{1, 6}); err != nil {
		fmt.Println(err)
		return
	}
	x := []float32{1, 2, 0, 0}     // the noisy inputs x_t
	y := []float32{1.1, 1.9, 0, 0} // the chain state, in the scaled space
	grad := []float32{-0.2, 0.2, 0.5, -0.5}
	noise := []float32{0, 0, 1, -1} // standard normal draws
	if err := infer.LangevinStep(y, y, grad, x, noise, 2, p.Q, p.S); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("q %.4f %.4f\n", p.Q[0], p.Q[1])
	fmt.Printf("s %.4f %.4f\n", p.S[0], p.S[1])
	fmt.Printf("y %.4f\n", y)
	// Output:
	// q 0.1343 0.0000
	// s 0.1307 0.5027
	// y [0.9866 2.0134 0.7527 -0.7527]
}
