package infer_test

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/infer/metrics"
	"github.com/cdrl-go/cdrl/models/zoo"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train/data"
)

// A service embeds a model the way this example does: open a bundle (here the toy2d model
// embedded in the binary by models/zoo), make one Sampler at start-up and share it between
// requests (it is safe for concurrent use), and give every call a context with a deadline, so a
// slow or abandoned request stops between Langevin steps instead of holding a core.
//
// The printed figures are coarse on purpose: the exact samples depend on ONNX Runtime's
// kernels, which may round differently on other CPUs, while the share inside the squares does
// not move by a tenth.
func ExampleSampler_Sample() {
	b, err := zoo.Open("toy2d")
	if err != nil {
		fmt.Println(err)
		return
	}
	// One intra-op thread per call: a service runs many calls side by side instead.
	s, err := infer.NewSampler(b, ort.SessionConfig{IntraOpThreads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 400
	x, err := s.Sample(ctx, n, infer.SampleOptions{Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	finite := true
	for _, v := range x {
		finite = finite && !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
	}
	r, err := metrics.ToySquares(x, data.NumSquares, data.InSquares)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s model, shape %v: %d samples, all finite: %v\n", s.Manifest().Kind, s.Manifest().Shape, len(x)/2, finite)
	fmt.Printf("inside the squares: at least 80%%: %v\n", r.Inside >= 0.8)
	// Output:
	// points model, shape [2]: 400 samples, all finite: true
	// inside the squares: at least 80%: true
}

// The model's defaults come from its manifest, and the Sampler resolves them so that callers do
// not: a class is chosen by its label (ClassID), options that leave Guidance nil guide a class
// with the manifest's weight (Weight sets another, Weight(0) none), and Inpaint with AutoClass
// infers the class from the known pixels, completes with it under the manifest's inpainting
// weight and reports what it inferred. Here the embedded mnist model draws a seven and
// completes its upper half.
func ExampleSampler_Inpaint() {
	b, err := zoo.Open("mnist")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := infer.NewSampler(b, ort.SessionConfig{IntraOpThreads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	seven, err := s.ClassID("7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("class 7 is id %d; guidance weight %g, for inpainting %g\n", seven, s.GuidanceWeight(nil), s.InpaintGuidanceWeight(nil))

	ctx := context.Background()
	x, err := s.Sample(ctx, 1, infer.SampleOptions{Seed: 1, Class: seven}) // guided with weight 5
	if err != nil {
		fmt.Println(err)
		return
	}
	known := make([]bool, len(x))
	for i := range known {
		known[i] = i < len(x)/2 // the upper half
	}
	var inferred infer.InferredClass
	filled, err := s.Inpaint(ctx, x, known, 1, infer.SampleOptions{Seed: 1, Class: infer.AutoClass, Inferred: &inferred})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("completed %d pixels with the class inferred from %d probabilities\n", len(filled)-len(x)/2, len(inferred.Posterior))
	// Output:
	// class 7 is id 8; guidance weight 5, for inpainting 1
	// completed 392 pixels with the class inferred from 10 probabilities
}
