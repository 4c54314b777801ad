package ort

import (
	"context"
	"fmt"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Bound runs a Session again and again on input and output tensors allocated once, for hot
// loops: the caller writes into the slices returned by Input, calls Run, and reads the slices
// returned by Output. Run allocates no tensors; what it does allocate is a little bookkeeping
// inside onnxruntime_go (two pointer slices and one small struct per value), plus a
// context.AfterFunc registration when ctx can be cancelled.
//
// A Bound is not safe for concurrent use; give each goroutine its own (they may share one
// Session). Its slices stay valid until Close, and must not be used during Run. Rank-0 (scalar)
// inputs are not supported; rank-0 outputs are, as one-element slices.
type Bound struct {
	s       *Session
	inputs  []Info // with concrete shapes
	outputs []Info
	ins     []onnx.Value
	outs    []onnx.Value
	inView  map[string]*tensor.Tensor // views of the ORT-bound memory
	outView map[string]*tensor.Tensor
	ro      *onnx.RunOptions
	closed  bool
	in, out int64 // the bytes of the inputs and of the outputs, for Session.Traffic
}

// Bind preallocates the session's inputs and outputs for repeated runs. shapes gives the
// concrete shape of every input with a dynamic dimension (keyed by input name), and may give
// output shapes too. An output whose shape is dynamic and not given is found by one run of the
// model on zero inputs. The caller must Close the Bound; closing the Session does not.
func (s *Session) Bind(shapes map[string]tensor.Shape) (b *Bound, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.sess == nil {
		return nil, fmt.Errorf("ort: bind: %w", ErrClosed)
	}
	for name := range shapes {
		if !hasInfo(s.inputs, name) && !hasInfo(s.outputs, name) {
			return nil, fmt.Errorf("ort: bind: unknown name %q; the model has inputs %s and outputs %s",
				name, describe(s.inputs), describe(s.outputs))
		}
	}
	b = &Bound{
		s:       s,
		inputs:  cloneInfos(s.inputs),
		outputs: cloneInfos(s.outputs),
		ins:     make([]onnx.Value, len(s.inputs)),
		outs:    make([]onnx.Value, len(s.outputs)),
		inView:  make(map[string]*tensor.Tensor, len(s.inputs)),
		outView: make(map[string]*tensor.Tensor, len(s.outputs)),
	}
	defer func() {
		if err != nil {
			b.Close()
			b = nil
		}
	}()
	for i := range b.inputs {
		info := &b.inputs[i]
		if info.Shape, err = concreteShape(*info, shapes, "input"); err != nil {
			return nil, err
		}
		if len(info.Shape) == 0 {
			return nil, fmt.Errorf("ort: bind: scalar input %q is not supported by Bound; use Session.Run", info.Name)
		}
		if b.ins[i], err = newEmptyValue(info.DType, info.Shape); err != nil {
			return nil, fmt.Errorf("ort: bind: input %q: %w", info.Name, err)
		}
		b.inView[info.Name] = view(b.ins[i], info.Shape)
		b.in += b.inView[info.Name].Bytes()
	}
	if err := b.probeOutputShapes(shapes); err != nil {
		return nil, err
	}
	for i := range b.outputs {
		info := &b.outputs[i]
		if b.outs[i], err = newEmptyValue(info.DType, info.Shape); err != nil {
			return nil, fmt.Errorf("ort: bind: output %q: %w", info.Name, err)
		}
		b.outView[info.Name] = view(b.outs[i], info.Shape)
		b.out += b.outView[info.Name].Bytes()
	}
	if b.ro, err = onnx.NewRunOptions(); err != nil {
		return nil, fmt.Errorf("ort: bind: run options: %w", err)
	}
	return b, nil
}

// probeOutputShapes fills in the output shapes: given ones are checked, static ones kept, and
// the remaining dynamic ones are read from one run on the (zero) bound inputs.
func (b *Bound) probeOutputShapes(shapes map[string]tensor.Shape) error {
	needRun := false
	for i := range b.outputs {
		info := &b.outputs[i]
		if given, ok := shapes[info.Name]; ok {
			if !given.Known() || !shapeFits(info.Shape, given) {
				return fmt.Errorf("ort: bind: output %q: shape %v does not fit the model's %v", info.Name, given, info.Shape)
			}
			info.Shape = given.Clone()
		} else if !info.Shape.Known() {
			needRun = true
		}
	}
	if !needRun {
		return nil
	}
	outs := make([]onnx.Value, len(b.outputs))
	defer destroyValues(outs)
	for i, info := range b.outputs {
		if len(info.Shape) == 0 {
			v, err := newScalar(info.DType)
			if err != nil {
				return fmt.Errorf("ort: bind: output %q: %w", info.Name, err)
			}
			outs[i] = v
		}
	}
	if err := b.s.sess.Run(b.ins, outs); err != nil {
		return fmt.Errorf("ort: bind: finding output shapes by a run on zero inputs failed (give them in shapes): %w", err)
	}
	for i := range b.outputs {
		if !b.outputs[i].Shape.Known() {
			b.outputs[i].Shape = tensor.Shape(intShape(outs[i].GetShape()))
		}
	}
	return nil
}

// concreteShape returns the shape to allocate for an input or output: the given one (which must
// fit the declared shape) or the declared one when it is static.
func concreteShape(info Info, shapes map[string]tensor.Shape, kind string) (tensor.Shape, error) {
	given, ok := shapes[info.Name]
	if !ok {
		if !info.Shape.Known() {
			return nil, fmt.Errorf("ort: bind: %s %q has dynamic shape %v; give its concrete shape", kind, info.Name, info.Shape)
		}
		return info.Shape.Clone(), nil
	}
	if !given.Known() || !shapeFits(info.Shape, given) {
		return nil, fmt.Errorf("ort: bind: %s %q: shape %v does not fit the model's %v", kind, info.Name, given, info.Shape)
	}
	return given.Clone(), nil
}

// view returns a tensor sharing v's Go-backed data. Scalars get a one-element slice of their
// own, synchronised by Run.
func view(v onnx.Value, shape tensor.Shape) *tensor.Tensor {
	t := &tensor.Tensor{Shape: shape.Clone()}
	switch v := v.(type) {
	case *onnx.Tensor[float32]:
		t.DType, t.Float32 = tensor.Float32, v.GetData()
	case *onnx.Tensor[int64]:
		t.DType, t.Int64 = tensor.Int64, v.GetData()
	case *onnx.Tensor[float64]:
		t.DType, t.Float64 = tensor.Float64, v.GetData()
	case *onnx.Scalar[float32]:
		t.DType, t.Float32 = tensor.Float32, make([]float32, 1)
	case *onnx.Scalar[int64]:
		t.DType, t.Int64 = tensor.Int64, make([]int64, 1)
	case *onnx.Scalar[float64]:
		t.DType, t.Float64 = tensor.Float64, make([]float64, 1)
	}
	return t
}

func hasInfo(infos []Info, name string) bool {
	for _, info := range infos {
		if info.Name == name {
			return true
		}
	}
	return false
}

// Run runs the model on the current contents of the input slices and overwrites the output
// slices. When ctx is done first, the run is terminated and the error wraps ctx.Err(); the
// outputs are then undefined. Run on a closed Bound or Session returns an error wrapping
// ErrClosed.
func (b *Bound) Run(ctx context.Context) error {
	if b == nil || b.closed {
		return fmt.Errorf("ort: bound run: %w", ErrClosed)
	}
	b.s.mu.RLock()
	defer b.s.mu.RUnlock()
	if b.s.sess == nil {
		return fmt.Errorf("ort: bound run: %w", ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ort: run: %w", err)
	}
	sess := b.s.sess
	err := runWithContext(ctx, b.ro, func(ro *onnx.RunOptions) error {
		return sess.RunWithOptions(b.ins, b.outs, ro)
	})
	if err != nil {
		return err
	}
	b.s.traffic.add(b.in, b.out)
	for i, info := range b.outputs {
		if len(info.Shape) != 0 {
			continue
		}
		t := b.outView[info.Name]
		switch v := b.outs[i].(type) {
		case *onnx.Scalar[float32]:
			t.Float32[0] = v.GetData()
		case *onnx.Scalar[int64]:
			t.Int64[0] = v.GetData()
		case *onnx.Scalar[float64]:
			t.Float64[0] = v.GetData()
		}
	}
	return nil
}

// Input returns the float32 slice bound to the named input, or nil when there is no such input
// or it is not float32.
func (b *Bound) Input(name string) []float32 {
	if t := b.InputTensor(name); t != nil {
		return t.Float32
	}
	return nil
}

// InputInt64 returns the int64 slice bound to the named input, or nil when there is no such
// input or it is not int64.
func (b *Bound) InputInt64(name string) []int64 {
	if t := b.InputTensor(name); t != nil {
		return t.Int64
	}
	return nil
}

// Output returns the float32 slice bound to the named output, or nil when there is no such
// output or it is not float32.
func (b *Bound) Output(name string) []float32 {
	if t := b.OutputTensor(name); t != nil {
		return t.Float32
	}
	return nil
}

// OutputInt64 returns the int64 slice bound to the named output, or nil when there is no such
// output or it is not int64.
func (b *Bound) OutputInt64(name string) []int64 {
	if t := b.OutputTensor(name); t != nil {
		return t.Int64
	}
	return nil
}

// InputTensor returns a tensor that shares the named input's bound memory (any dtype), or nil
// for an unknown name or after Close.
func (b *Bound) InputTensor(name string) *tensor.Tensor {
	if b == nil {
		return nil
	}
	return b.inView[name]
}

// OutputTensor returns a tensor that shares the named output's bound memory (any dtype), or nil
// for an unknown name or after Close. A scalar output's tensor is refreshed by each Run.
func (b *Bound) OutputTensor(name string) *tensor.Tensor {
	if b == nil {
		return nil
	}
	return b.outView[name]
}

// Inputs describes the bound inputs with their concrete shapes.
func (b *Bound) Inputs() []Info { return cloneInfos(b.inputs) }

// Outputs describes the bound outputs with their concrete shapes.
func (b *Bound) Outputs() []Info { return cloneInfos(b.outputs) }

// Close releases the preallocated tensors. It is safe to call more than once and on a nil
// *Bound; the slices from Input and Output must not be used afterwards.
func (b *Bound) Close() error {
	if b == nil || b.closed {
		return nil
	}
	b.closed = true
	destroyValues(b.ins)
	destroyValues(b.outs)
	if b.ro != nil {
		b.ro.Destroy()
		b.ro = nil
	}
	b.inView, b.outView = nil, nil
	return nil
}
