package ort

import (
	"context"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// The tiny benchmarks measure per-call overhead: add.onnx on a (4,3) batch is a dozen additions.

func BenchmarkRunTiny(b *testing.B) {
	s := openSession(b, "add.onnx", SessionConfig{IntraOpThreads: 1})
	in := map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 4, 3), "y": tensor.New(tensor.Float32, 3)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Run(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBoundRunTiny(b *testing.B) {
	s := openSession(b, "add.onnx", SessionConfig{IntraOpThreads: 1})
	bound, err := s.Bind(map[string]tensor.Shape{"x": {4, 3}})
	if err != nil {
		b.Fatal(err)
	}
	defer bound.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := bound.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBoundRunTinyCancellable is BenchmarkBoundRunTiny with a context that can be
// cancelled, which costs a context.AfterFunc registration per Run.
func BenchmarkBoundRunTinyCancellable(b *testing.B) {
	s := openSession(b, "add.onnx", SessionConfig{IntraOpThreads: 1})
	bound, err := s.Bind(map[string]tensor.Shape{"x": {4, 3}})
	if err != nil {
		b.Fatal(err)
	}
	defer bound.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		if err := bound.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
