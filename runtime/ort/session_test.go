package ort

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

func fixture(name string) string { return filepath.Join("..", "..", "testdata", "ort", name) }

// openSession loads a fixture; a missing ONNX Runtime library fails the test with the error that
// says to run `make setup`.
func openSession(t testing.TB, name string, cfg SessionConfig) *Session {
	t.Helper()
	s, err := NewSessionFromFile(fixture(name), cfg)
	if err != nil {
		t.Fatalf("NewSessionFromFile(%s): %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func f32(shape []int, data ...float32) *tensor.Tensor { return tensor.FromFloat32(data, shape...) }
func i64(shape []int, data ...int64) *tensor.Tensor   { return tensor.FromInt64(data, shape...) }

func sameTensor(got, want *tensor.Tensor) error {
	if got == nil {
		return fmt.Errorf("got nil tensor")
	}
	if got.DType != want.DType || !got.Shape.Equal(want.Shape) {
		return fmt.Errorf("got %v%v, want %v%v", got.DType, got.Shape, want.DType, want.Shape)
	}
	g, w := got.AsFloat64(), want.AsFloat64()
	for i := range w {
		if g[i] != w[i] {
			return fmt.Errorf("element %d: got %v, want %v", i, g[i], w[i])
		}
	}
	return nil
}

func TestSessionInfo(t *testing.T) {
	s := openSession(t, "add.onnx", SessionConfig{})
	got := fmt.Sprint(s.Inputs(), s.Outputs())
	want := "[x float32(?,3) y float32(3)] [z float32(?,3)]"
	if got != want {
		t.Errorf("inputs and outputs: got %s, want %s", got, want)
	}
	if s.Provider() != "cpu" {
		t.Errorf("Provider() = %q, want cpu", s.Provider())
	}
	s.Inputs()[0].Shape[0] = 7 // callers get copies
	if s.Inputs()[0].Shape[0] != -1 {
		t.Error("Inputs returned the session's own shape slice")
	}
}

func TestSessionRun(t *testing.T) {
	cases := []struct {
		model string
		cfg   SessionConfig
		in    map[string]*tensor.Tensor
		want  map[string]*tensor.Tensor
	}{
		{"add.onnx", SessionConfig{},
			map[string]*tensor.Tensor{"x": f32([]int{2, 3}, 1, 2, 3, 4, 5, 6), "y": f32([]int{3}, 10, 20, 30)},
			map[string]*tensor.Tensor{"z": f32([]int{2, 3}, 11, 22, 33, 14, 25, 36)}},
		{"add.onnx", SessionConfig{IntraOpThreads: 1, InterOpThreads: 2},
			map[string]*tensor.Tensor{"x": f32([]int{1, 3}, 1, 2, 3), "y": f32([]int{3}, 1, 1, 1)},
			map[string]*tensor.Tensor{"z": f32([]int{1, 3}, 2, 3, 4)}},
		{"add.onnx", SessionConfig{}, // empty batch
			map[string]*tensor.Tensor{"x": f32([]int{0, 3}), "y": f32([]int{3}, 1, 1, 1)},
			map[string]*tensor.Tensor{"z": f32([]int{0, 3})}},
		{"int.onnx", SessionConfig{},
			map[string]*tensor.Tensor{"a": i64([]int{4}, 1, 2, 3, 4), "b": i64([]int{4}, 5, 6, 7, -8)},
			map[string]*tensor.Tensor{"c": i64([]int{4}, 5, 12, 21, -32), "s": i64([]int{}, 6)}},
		{"int.onnx", SessionConfig{Outputs: []string{"s"}},
			map[string]*tensor.Tensor{"a": i64([]int{4}, 1, 1, 1, 1), "b": i64([]int{4}, 1, 2, 3, 4)},
			map[string]*tensor.Tensor{"s": i64([]int{}, 10)}},
		{"f64.onnx", SessionConfig{},
			map[string]*tensor.Tensor{"x": tensor.FromFloat64([]float64{1, -2, 3.5, 0}, 2, 2), "k": tensor.FromFloat64([]float64{2})},
			map[string]*tensor.Tensor{"y": tensor.FromFloat64([]float64{-2, 4, -7, 0}, 2, 2)}},
		{"matmul.onnx", SessionConfig{},
			map[string]*tensor.Tensor{"x": f32([]int{1, 4}, 1, 0, 0, 0)},
			map[string]*tensor.Tensor{"y": f32([]int{1, 2}, 0.5, -0.375)}},
		{"matmul.onnx", SessionConfig{},
			map[string]*tensor.Tensor{"x": f32([]int{3, 4}, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1)},
			map[string]*tensor.Tensor{"y": f32([]int{3, 2}, 0.5, -0.375, 0.75, -0.125, 2, 1.5)}},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d_%s", i, c.model), func(t *testing.T) {
			s := openSession(t, c.model, c.cfg)
			got, err := s.Run(context.Background(), c.in)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(got) != len(c.want) {
				t.Errorf("got %d outputs, want %d", len(got), len(c.want))
			}
			for name, want := range c.want {
				if err := sameTensor(got[name], want); err != nil {
					t.Errorf("output %q: %v", name, err)
				}
			}
		})
	}
}

// TestRunDoesNotModifyInputs checks that inputs are read in place and left alone, and that
// outputs do not alias them.
func TestRunDoesNotModifyInputs(t *testing.T) {
	s := openSession(t, "add.onnx", SessionConfig{})
	x, y := f32([]int{1, 3}, 1, 2, 3), f32([]int{3}, 0, 0, 0)
	out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": x, "y": y})
	if err != nil {
		t.Fatal(err)
	}
	out["z"].Float32[0] = 99
	if x.Float32[0] != 1 || y.Float32[0] != 0 {
		t.Errorf("inputs changed: x=%v y=%v", x.Float32, y.Float32)
	}
}

func TestRunInputErrors(t *testing.T) {
	s := openSession(t, "add.onnx", SessionConfig{})
	x := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	y := f32([]int{3}, 1, 2, 3)
	cases := []struct {
		name string
		in   map[string]*tensor.Tensor
		want []string
	}{
		{"unknown name", map[string]*tensor.Tensor{"x": x, "y": y, "w": y},
			[]string{`ort: unknown input "w"`, "x float32(?,3)", "y float32(3)"}},
		{"misspelt name", map[string]*tensor.Tensor{"x": x, "yy": y},
			[]string{`ort: unknown input "yy"`, "the model expects x float32(?,3), y float32(3)"}},
		{"missing", map[string]*tensor.Tensor{"x": x},
			[]string{`ort: missing input "y"`, "y float32(3)"}},
		{"nil tensor", map[string]*tensor.Tensor{"x": x, "y": nil},
			[]string{`ort: missing input "y"`}},
		{"no inputs", nil, []string{`ort: missing input "x"`}},
		{"dtype", map[string]*tensor.Tensor{"x": x, "y": i64([]int{3}, 1, 2, 3)},
			[]string{`ort: input "y": got dtype int64, the model expects float32`}},
		{"rank", map[string]*tensor.Tensor{"x": f32([]int{6}, 1, 2, 3, 4, 5, 6), "y": y},
			[]string{`ort: input "x": got shape (6), the model expects (?,3)`}},
		{"static dim", map[string]*tensor.Tensor{"x": f32([]int{3, 2}, 1, 2, 3, 4, 5, 6), "y": y},
			[]string{`ort: input "x": got shape (3,2), the model expects (?,3)`}},
		{"static dim of y", map[string]*tensor.Tensor{"x": x, "y": f32([]int{4}, 1, 2, 3, 4)},
			[]string{`ort: input "y": got shape (4), the model expects (3)`}},
		{"data length", map[string]*tensor.Tensor{"x": f32([]int{2, 3}, 1, 2), "y": y},
			[]string{`ort: input "x": tensor: shape (2,3) needs 6 elements, have 2`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := s.Run(context.Background(), c.in)
			if err == nil {
				t.Fatalf("Run succeeded with %v", out)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestBadModels(t *testing.T) {
	good, err := os.ReadFile(fixture("matmul.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)/2],
		"garbage":   []byte("this is not an onnx model"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := NewSession(data, SessionConfig{})
			if err == nil {
				s.Close()
				t.Fatal("NewSession succeeded")
			}
			if !strings.HasPrefix(err.Error(), "ort: load model") {
				t.Errorf("error %q, want prefix %q", err, "ort: load model")
			}
		})
	}
	t.Run("truncated file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "cut.onnx")
		if err := os.WriteFile(p, good[:len(good)-7], 0o644); err != nil {
			t.Fatal(err)
		}
		if s, err := NewSessionFromFile(p, SessionConfig{}); err == nil {
			s.Close()
			t.Fatal("NewSessionFromFile succeeded on a truncated file")
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not name the file", err)
		}
	})
	t.Run("no file", func(t *testing.T) {
		_, err := NewSessionFromFile(filepath.Join(t.TempDir(), "none.onnx"), SessionConfig{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v, want one wrapping os.ErrNotExist", err)
		}
	})
}

func TestSessionConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  SessionConfig
		want string
	}{
		{SessionConfig{Provider: "tpu"}, `ort: unknown provider "tpu"`},
		{SessionConfig{Provider: "cuda:x"}, `ort: provider "cuda:x": device id`},
		{SessionConfig{Provider: "cuda:-1"}, `ort: provider "cuda:-1": device id`},
		{SessionConfig{IntraOpThreads: -1}, "thread counts must not be negative"},
		{SessionConfig{Inputs: []string{"x", "q"}}, `unknown input "q"; the model has x float32(?,3), y float32(3)`},
		{SessionConfig{Inputs: []string{"x", "x"}}, `input "x" is listed twice`},
		{SessionConfig{Outputs: []string{"zz"}}, `unknown output "zz"; the model has z float32(?,3)`},
	}
	for _, c := range cases {
		s, err := NewSessionFromFile(fixture("add.onnx"), c.cfg)
		if err == nil {
			s.Close()
			t.Errorf("%+v: NewSessionFromFile succeeded", c.cfg)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "ort: ") {
			t.Errorf("%+v: error %q, want it to contain %q", c.cfg, err, c.want)
		}
	}
}

func TestParseProvider(t *testing.T) {
	for in, want := range map[string]string{
		"": "cpu", "cpu": "cpu", " CPU ": "cpu", "auto": "auto", "cuda": "cuda:0", "cuda:0": "cuda:0", "cuda:3": "cuda:3",
	} {
		got, err := parseProvider(in)
		if err != nil || got.String() != want {
			t.Errorf("parseProvider(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

// TestCUDAUnavailable needs a machine where the CUDA provider cannot load (any machine using the
// CPU library from `make setup`); elsewhere it is skipped.
func TestCUDAUnavailable(t *testing.T) {
	for _, p := range []string{"cuda", "cuda:1"} {
		s, err := NewSessionFromFile(fixture("add.onnx"), SessionConfig{Provider: p})
		if err == nil {
			s.Close()
			t.Skipf("provider %s is available here", p)
		}
		if !errors.Is(err, ErrProviderUnavailable) {
			t.Fatalf("provider %s: error %v does not match ErrProviderUnavailable", p, err)
		}
		var pe *ProviderError
		if !errors.As(err, &pe) {
			t.Fatalf("provider %s: error %T is not a *ProviderError", p, err)
		}
		want := "ort: " + pe.Provider + " provider unavailable: "
		if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "; hint: ") {
			t.Errorf("provider %s: error %q, want prefix %q and a hint", p, err, want)
		}
	}
}

func TestAutoProvider(t *testing.T) {
	s := openSession(t, "add.onnx", SessionConfig{Provider: "auto"})
	switch s.Provider() {
	case "cpu":
		if c, err := NewSessionFromFile(fixture("add.onnx"), SessionConfig{Provider: "cuda"}); err == nil {
			c.Close()
			t.Error(`"auto" chose cpu although cuda works`)
		}
	case "cuda:0":
		t.Log("auto chose cuda:0")
	default:
		t.Fatalf("Provider() = %q, want cpu or cuda:0", s.Provider())
	}
	out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": f32([]int{1, 3}, 1, 2, 3), "y": f32([]int{3}, 1, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := sameTensor(out["z"], f32([]int{1, 3}, 2, 3, 4)); err != nil {
		t.Error(err)
	}
}

func TestCloseAndRunAfterClose(t *testing.T) {
	var nilSession *Session
	if err := nilSession.Close(); err != nil {
		t.Errorf("nil Session Close: %v", err)
	}
	s := openSession(t, "add.onnx", SessionConfig{})
	for i := 0; i < 3; i++ {
		if err := s.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	_, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": f32([]int{1, 3}, 1, 2, 3), "y": f32([]int{3}, 1, 1, 1)})
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Bind(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Bind after Close: %v, want ErrClosed", err)
	}
}

// TestConcurrentRuns runs one session from 8 goroutines (make test runs it under -race) while
// another goroutine closes it at the end.
func TestConcurrentRuns(t *testing.T) {
	s := openSession(t, "matmul.onnx", SessionConfig{})
	const goroutines, runs = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			batch := g + 1
			x := tensor.New(tensor.Float32, batch, 4)
			for r := 0; r < runs; r++ {
				for i := range x.Float32 {
					x.Float32[i] = float32(g + r)
				}
				out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": x})
				if err != nil {
					errs <- err
					return
				}
				// Each row is v*[1,1,1,1] @ w + b = v*[1.5, 2] + [0.5, -0.5].
				v := float32(g + r)
				y := out["y"]
				if !y.Shape.Equal(tensor.Shape{batch, 2}) || y.Float32[0] != v*1.5+0.5 || y.Float32[1] != v*2-0.5 {
					errs <- fmt.Errorf("goroutine %d run %d: got %v%v", g, r, y.Shape, y.Float32)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestCloseDuringRuns closes a session while goroutines run it: every Run either succeeds or
// fails with ErrClosed, and nothing crashes.
func TestCloseDuringRuns(t *testing.T) {
	s := openSession(t, "add.onnx", SessionConfig{})
	in := map[string]*tensor.Tensor{"x": f32([]int{1, 3}, 1, 2, 3), "y": f32([]int{3}, 1, 1, 1)}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, err := s.Run(context.Background(), in); err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("Run: %v, want nil or ErrClosed", err)
					}
					return
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	wg.Wait()
}

func slowInputs(iters int64) map[string]*tensor.Tensor {
	x := tensor.New(tensor.Float32, 256, 256)
	for i := range x.Float32 {
		x.Float32[i] = float32(i%7) / 700
	}
	return map[string]*tensor.Tensor{"iters": i64([]int{1}, iters), "x": x}
}

// TestRunCancel starts a run that would take minutes, cancels it after 50 ms and expects
// context.Canceled well before the run could have finished.
func TestRunCancel(t *testing.T) {
	s := openSession(t, "slow.onnx", SessionConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := s.Run(ctx, slowInputs(1<<40))
	elapsed := time.Since(start)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	if !strings.HasPrefix(err.Error(), "ort: run: ") {
		t.Errorf("error %q, want prefix %q", err, "ort: run: ")
	}
	if elapsed > 20*time.Second {
		t.Errorf("Run returned %v after the cancel", elapsed)
	}
	t.Logf("cancelled run returned after %v", elapsed)

	// The session still works afterwards, also with a context that is cancelled only later.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	out, err := s.Run(ctx2, slowInputs(2))
	if err != nil {
		t.Fatalf("Run after a cancelled run: %v", err)
	}
	if got := out["y"].Shape; !got.Equal(tensor.Shape{256, 256}) {
		t.Errorf("output shape %v", got)
	}
}

func TestRunDeadlineAndCancelledContext(t *testing.T) {
	s := openSession(t, "slow.onnx", SessionConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := s.Run(ctx, slowInputs(1<<40)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run past its deadline: %v, want context.DeadlineExceeded", err)
	}
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if _, err := s.Run(done, slowInputs(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context: %v, want context.Canceled", err)
	}
}

// TestModelInfosMatchORT checks the inputs and outputs read from the model bytes against ONNX
// Runtime's own listing for every ONNX file the repository holds: the test graphs, the models
// exported by PyTorch and the embedded bundles.
func TestModelInfosMatchORT(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../../testdata/*/*.onnx", "../../models/zoo/*/*.onnx"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d ONNX files: %v", len(files), files)
	}
	if err := ensureInit(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		wantIn, wantOut, err := onnx.GetInputOutputInfoWithONNXData(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, _, err := readSignature(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		gotIn, gotOut, err := modelInfos(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !reflect.DeepEqual(gotIn, wantIn) || !reflect.DeepEqual(gotOut, wantOut) {
			t.Errorf("%s:\n got inputs %v outputs %v\nwant inputs %v outputs %v", f, gotIn, gotOut, wantIn, wantOut)
		}
	}
}
