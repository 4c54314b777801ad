package ort

import (
	"context"
	"errors"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// TestTraffic checks the byte counts of Run and of a Bound against the tensors' sizes, that a
// failed run counts nothing, and the arithmetic of Traffic.
func TestTraffic(t *testing.T) {
	s := openSession(t, "int.onnx", SessionConfig{})
	if got := s.Traffic(); got != (Traffic{}) {
		t.Fatalf("new session: %+v, want zero", got)
	}
	ctx := context.Background()
	in := map[string]*tensor.Tensor{"a": i64([]int{4}, 1, 2, 3, 4), "b": i64([]int{4}, 5, 6, 7, 8)}
	for range 2 {
		if _, err := s.Run(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	// Two int64 inputs of 4 and the outputs c (4 int64) and s (a scalar int64), twice.
	want := Traffic{Runs: 2, BytesIn: 2 * 64, BytesOut: 2 * 40}
	if got := s.Traffic(); got != want {
		t.Fatalf("after 2 runs: %+v, want %+v", got, want)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Run(cancelled, in); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	if got := s.Traffic(); got != want {
		t.Errorf("a failed run was counted: %+v, want %+v", got, want)
	}

	b, err := s.Bind(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	before := s.Traffic()
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	step := s.Traffic().Sub(before)
	if w := (Traffic{Runs: 1, BytesIn: 64, BytesOut: 40}); step != w {
		t.Errorf("one bound run: %+v, want %+v", step, w)
	}
	if got := before.Add(step); got != s.Traffic() {
		t.Errorf("Add: %+v, want %+v", got, s.Traffic())
	}
	if got := step.Bytes(); got != 104 {
		t.Errorf("Bytes: %d, want 104", got)
	}
}
