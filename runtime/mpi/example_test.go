//go:build !mpi

package mpi_test

import (
	"fmt"
	"log"

	"github.com/cdrl-go/cdrl/runtime/mpi"
)

// Gradients are averaged over the processes by summing them in place and dividing by the size;
// in a build without MPI the world has one process and the sum leaves them as they are.
func Example() {
	w, err := mpi.Init()
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	grad := []float32{0.5, -1, 2}
	if err := w.AllreduceSumFloat32(grad); err != nil {
		log.Print(err)
		w.Abort(1)
	}
	for i := range grad {
		grad[i] /= float32(w.Size())
	}
	fmt.Printf("rank %d of %d: %v\n", w.Rank(), w.Size(), grad)
	// Output: rank 0 of 1: [0.5 -1 2]
}
