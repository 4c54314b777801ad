package ort

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

func TestBoundRun(t *testing.T) {
	s := openSession(t, "add.onnx", SessionConfig{})
	b, err := s.Bind(map[string]tensor.Shape{"x": {2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	x, y, z := b.Input("x"), b.Input("y"), b.Output("z")
	if len(x) != 6 || len(y) != 3 || len(z) != 6 {
		t.Fatalf("slice lengths x=%d y=%d z=%d, want 6, 3, 6", len(x), len(y), len(z))
	}
	for step := 0; step < 3; step++ {
		for i := range x {
			x[i] = float32(i * step)
		}
		copy(y, []float32{1, 2, 3})
		if err := b.Run(context.Background()); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for i := range z {
			if want := float32(i*step) + y[i%3]; z[i] != want {
				t.Fatalf("step %d: z[%d] = %v, want %v", step, i, z[i], want)
			}
		}
	}
	if got := b.OutputTensor("z"); got == nil || !got.Shape.Equal(tensor.Shape{2, 3}) || &got.Float32[0] != &z[0] {
		t.Errorf("OutputTensor(z) does not view the bound output: %+v", got)
	}
	if b.Input("nope") != nil || b.InputInt64("x") != nil || b.Output("x") != nil || b.OutputTensor("x") != nil {
		t.Error("lookups of unknown names or wrong dtypes returned data")
	}
	if got := b.Inputs()[0].Shape; !got.Equal(tensor.Shape{2, 3}) {
		t.Errorf("Inputs()[0].Shape = %v, want (2,3)", got)
	}
}

func TestBoundInt64AndScalarOutput(t *testing.T) {
	s := openSession(t, "int.onnx", SessionConfig{})
	b, err := s.Bind(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	copy(b.InputInt64("a"), []int64{1, 2, 3, 4})
	copy(b.InputInt64("b"), []int64{2, 2, 2, 2})
	for want := int64(20); want <= 40; want += 20 {
		if err := b.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := b.OutputInt64("s"); len(got) != 1 || got[0] != want {
			t.Errorf("s = %v, want [%d]", got, want)
		}
		copy(b.InputInt64("b"), []int64{4, 4, 4, 4})
	}
	if got := b.OutputTensor("s"); len(got.Shape) != 0 || got.Validate() != nil {
		t.Errorf("scalar output view %+v", got)
	}
}

// TestBoundProbesOutputShapes binds a dynamic-batch model: the output batch is found by a run.
func TestBoundProbesOutputShapes(t *testing.T) {
	s := openSession(t, "matmul.onnx", SessionConfig{})
	for _, batch := range []int{1, 5} {
		b, err := s.Bind(map[string]tensor.Shape{"x": {batch, 4}})
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Outputs()[0].Shape; !got.Equal(tensor.Shape{batch, 2}) {
			t.Errorf("batch %d: output shape %v", batch, got)
		}
		x := b.Input("x")
		for i := range x {
			x[i] = 1
		}
		if err := b.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if y := b.Output("y"); y[2*batch-2] != 2 || y[2*batch-1] != 1.5 {
			t.Errorf("batch %d: y = %v", batch, y)
		}
		b.Close()
	}
	// Output shape given by the caller: no probe needed.
	b, err := s.Bind(map[string]tensor.Shape{"x": {2, 4}, "y": {2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()

	// An output shape that fits the declaration but not the inputs fails at Run, cleanly.
	b, err = s.Bind(map[string]tensor.Shape{"x": {2, 4}, "y": {3, 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Run(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "ort: run: ") {
		t.Errorf("Run with a wrong output shape: %v, want an ort: run: error", err)
	}
}

func TestBindErrors(t *testing.T) {
	cases := []struct {
		model  string
		shapes map[string]tensor.Shape
		want   string
	}{
		{"add.onnx", nil, `ort: bind: input "x" has dynamic shape (?,3); give its concrete shape`},
		{"add.onnx", map[string]tensor.Shape{"x": {2, 4}}, `ort: bind: input "x": shape (2,4) does not fit the model's (?,3)`},
		{"add.onnx", map[string]tensor.Shape{"x": {-1, 3}}, `shape (?,3) does not fit`},
		{"add.onnx", map[string]tensor.Shape{"x": {1, 3}, "q": {1}}, `ort: bind: unknown name "q"`},
		{"matmul.onnx", map[string]tensor.Shape{"x": {2, 4}, "y": {2, 3}}, `ort: bind: output "y": shape (2,3) does not fit the model's (?,2)`},
		{"f64.onnx", nil, `ort: bind: scalar input "k" is not supported by Bound`},
	}
	for _, c := range cases {
		s := openSession(t, c.model, SessionConfig{})
		b, err := s.Bind(c.shapes)
		if err == nil {
			b.Close()
			t.Errorf("%s %v: Bind succeeded", c.model, c.shapes)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %q, want %q", c.model, c.shapes, err, c.want)
		}
	}
}

func TestBoundClose(t *testing.T) {
	var nilBound *Bound
	if err := nilBound.Close(); err != nil {
		t.Errorf("nil Bound Close: %v", err)
	}
	if err := nilBound.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("nil Bound Run: %v, want ErrClosed", err)
	}
	s := openSession(t, "int.onnx", SessionConfig{})
	b, err := s.Bind(nil)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := s.Bind(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	for i := 0; i < 2; i++ {
		if err := b.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	if err := b.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
	if b.InputInt64("a") != nil {
		t.Error("Input after Close returned data")
	}
	// Closing the session makes its other Bounds fail cleanly too.
	s.Close()
	if err := b2.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Session.Close: %v, want ErrClosed", err)
	}
}

func TestBoundCancel(t *testing.T) {
	s := openSession(t, "slow.onnx", SessionConfig{})
	b, err := s.Bind(map[string]tensor.Shape{"y": {256, 256}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.InputInt64("iters")[0] = 1 << 40
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	if err := b.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Errorf("Run returned %v after the cancel", elapsed)
	}
	// The run options are rearmed: the next run completes.
	b.InputInt64("iters")[0] = 1
	x := b.Input("x")
	for i := range x {
		x[i] = 0.5
	}
	if err := b.Run(context.Background()); err != nil {
		t.Fatalf("Run after a cancelled run: %v", err)
	}
	// v = tanh(x @ x) with every element 0.5*0.5*256 = 64, so tanh(64) = 1.
	if y := b.Output("y"); y[0] != 1 {
		t.Errorf("y[0] = %v, want 1", y[0])
	}
}

// TestBoundAllocs checks that a Run with a background context allocates no tensors: only what
// onnxruntime_go's DynamicAdvancedSession makes per call (two pointer slices and one small
// struct per value).
func TestBoundAllocs(t *testing.T) {
	s := openSession(t, "add.onnx", SessionConfig{IntraOpThreads: 1})
	b, err := s.Bind(map[string]tensor.Shape{"x": {4, 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		if err := b.Run(ctx); err != nil {
			t.Fatal(err)
		}
	})
	limit := float64(2 + len(b.Inputs()) + len(b.Outputs()))
	t.Logf("Bound.Run: %.0f allocs", allocs)
	if allocs > limit {
		t.Errorf("Bound.Run made %.0f allocations per call, want at most %.0f", allocs, limit)
	}
}
