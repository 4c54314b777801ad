package ort

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// ErrClosed is returned (wrapped) by Run on a closed Session or Bound.
var ErrClosed = errors.New("ort: session is closed")

// SessionConfig chooses how a model is run. The zero value runs every input and output on the
// CPU with ONNX Runtime's default thread counts.
type SessionConfig struct {
	// Provider is "cpu" (the default when empty), "cuda" or "cuda:N" for CUDA device N, or
	// "auto": CUDA device 0 when its provider loads and a session can be created on it, else
	// CPU. Session.Provider reports the outcome.
	Provider string
	// IntraOpThreads sets the threads one operator may use; 0 keeps ORT's default (one per
	// core).
	IntraOpThreads int
	// InterOpThreads sets the threads that run independent operators side by side; 0 keeps
	// ORT's default. A value above 1 also switches ORT to its parallel execution mode.
	InterOpThreads int
	// Profile, when not empty, makes ONNX Runtime write a JSON trace of every node's run time
	// (chrome://tracing format) to a file whose name starts with this prefix, for finding
	// where a program spends its time. The trace is complete once the session is closed.
	Profile string
	// Inputs and Outputs, when not empty, restrict the session to these model inputs and
	// outputs, in this order. Leaving out an input only works when the model gives it a
	// default (an initializer of the same name).
	Inputs, Outputs []string
}

// Info describes one input or output of a model.
type Info struct {
	Name  string
	DType tensor.DType
	// Shape is the declared shape; a negative dimension is dynamic (any size is accepted).
	Shape tensor.Shape
}

// String formats the info as `name float32(?,3)`.
func (i Info) String() string { return fmt.Sprintf("%s %v%v", i.Name, i.DType, i.Shape) }

// Session is a loaded model ready to run.
//
// Run, Inputs, Outputs and Provider are safe for concurrent use by many goroutines (ONNX
// Runtime sessions are). Close may also be called at any time: it waits for Runs in progress
// to return, and later Runs fail with ErrClosed.
type Session struct {
	mu       sync.RWMutex                 // Run holds it for reading, Close for writing
	sess     *onnx.DynamicAdvancedSession // nil once closed
	inputs   []Info
	outputs  []Info
	inIndex  map[string]int
	provider string
	traffic  trafficCounter // the runs of Run and of every Bound
}

// NewSession loads a model from its serialised ONNX bytes. It initialises the ONNX Runtime
// environment with default Options if Init has not been called. The caller must Close the
// session.
func NewSession(model []byte, cfg SessionConfig) (*Session, error) {
	return newSession(model, cfg, fmt.Sprintf("(%d bytes)", len(model)))
}

// NewSessionFromFile loads a model from an .onnx file; see NewSession.
func NewSessionFromFile(path string, cfg SessionConfig) (*Session, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ort: load model: %w", err)
	}
	return newSession(data, cfg, path)
}

func newSession(model []byte, cfg SessionConfig, source string) (*Session, error) {
	spec, err := parseProvider(cfg.Provider)
	if err != nil {
		return nil, err
	}
	if err := ensureInit(); err != nil {
		return nil, err
	}
	if len(model) == 0 {
		return nil, fmt.Errorf("ort: load model %s: no data", source)
	}
	ins, outs, err := modelInfos(model)
	if err != nil {
		return nil, fmt.Errorf("ort: load model %s: %w", source, err)
	}
	s := &Session{}
	if s.inputs, err = selectInfos("input", ins, cfg.Inputs); err != nil {
		return nil, fmt.Errorf("ort: load model %s: %w", source, err)
	}
	if s.outputs, err = selectInfos("output", outs, cfg.Outputs); err != nil {
		return nil, fmt.Errorf("ort: load model %s: %w", source, err)
	}
	if len(s.inputs) == 0 || len(s.outputs) == 0 {
		return nil, fmt.Errorf("ort: load model %s: models without inputs or outputs are not supported", source)
	}
	s.inIndex = make(map[string]int, len(s.inputs))
	for i, in := range s.inputs {
		s.inIndex[in.Name] = i
	}

	inNames, outNames := names(s.inputs), names(s.outputs)
	create := func(p providerSpec) (*onnx.DynamicAdvancedSession, error) {
		so, err := newSessionOptions(cfg, p)
		if err != nil {
			return nil, err
		}
		defer so.Destroy()
		sess, err := onnx.NewDynamicAdvancedSessionWithONNXData(model, inNames, outNames, so)
		if err != nil {
			return nil, fmt.Errorf("ort: create session for model %s on %v: %w", source, p, err)
		}
		return sess, nil
	}
	switch spec.kind {
	case ProviderAuto:
		cuda := providerSpec{kind: ProviderCUDA}
		if s.sess, err = create(cuda); err == nil {
			s.provider = cuda.String()
			break
		}
		cpu := providerSpec{kind: ProviderCPU}
		if s.sess, err = create(cpu); err != nil {
			return nil, err
		}
		s.provider = cpu.String()
	default:
		if s.sess, err = create(spec); err != nil {
			return nil, err
		}
		s.provider = spec.String()
	}
	return s, nil
}

// selectInfos converts ORT's infos and keeps those named in want (all when want is empty).
func selectInfos(kind string, all []onnx.InputOutputInfo, want []string) ([]Info, error) {
	infos := make([]Info, 0, len(all))
	byName := make(map[string]Info, len(all))
	for _, a := range all {
		info := Info{Name: a.Name, DType: -1, Shape: make(tensor.Shape, len(a.Dimensions))}
		for i, d := range a.Dimensions {
			info.Shape[i] = int(d)
		}
		if a.OrtValueType == onnx.ONNXTypeTensor {
			info.DType = dtypeFromORT(a.DataType)
		}
		infos = append(infos, info)
		byName[a.Name] = info
	}
	if len(want) > 0 {
		picked := make([]Info, 0, len(want))
		seen := map[string]bool{}
		for _, name := range want {
			info, ok := byName[name]
			if !ok {
				return nil, fmt.Errorf("unknown %s %q; the model has %s", kind, name, describe(infos))
			}
			if seen[name] {
				return nil, fmt.Errorf("%s %q is listed twice", kind, name)
			}
			seen[name] = true
			picked = append(picked, info)
		}
		infos = picked
	}
	for i, a := range infos {
		if a.DType < 0 {
			return nil, fmt.Errorf("%s %q: type %v is not supported (only float32, int64 and float64 tensors)",
				kind, a.Name, describeORTType(all, a.Name))
		}
		infos[i] = a
	}
	return infos, nil
}

func dtypeFromORT(t onnx.TensorElementDataType) tensor.DType {
	switch t {
	case onnx.TensorElementDataTypeFloat:
		return tensor.Float32
	case onnx.TensorElementDataTypeInt64:
		return tensor.Int64
	case onnx.TensorElementDataTypeDouble:
		return tensor.Float64
	}
	return -1
}

func describeORTType(all []onnx.InputOutputInfo, name string) string {
	for _, a := range all {
		if a.Name == name {
			if a.OrtValueType != onnx.ONNXTypeTensor {
				return a.OrtValueType.String()
			}
			return a.DataType.String()
		}
	}
	return "unknown"
}

// Provider returns the execution provider the session runs on: "cpu" or "cuda:N".
func (s *Session) Provider() string { return s.provider }

// Inputs describes the session's inputs, in the order Run expects them.
func (s *Session) Inputs() []Info { return cloneInfos(s.inputs) }

// Outputs describes the session's outputs.
func (s *Session) Outputs() []Info { return cloneInfos(s.outputs) }

// Run feeds the named input tensors to the model and returns its outputs by name. Every session
// input must be given, with the declared dtype, rank and static dimensions; dynamic dimensions
// accept any size. Inputs are read in place and never modified; outputs are new tensors owned by
// the caller.
//
// When ctx is done before the model finishes, Run asks ONNX Runtime to terminate the run and
// returns an error wrapping ctx.Err(). Run on a closed session returns an error wrapping
// ErrClosed.
func (s *Session) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.sess == nil {
		return nil, fmt.Errorf("ort: run: %w", ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ort: run: %w", err)
	}
	if err := s.checkInputs(inputs); err != nil {
		return nil, err
	}
	ins := make([]onnx.Value, len(s.inputs))
	defer destroyValues(ins)
	for i, info := range s.inputs {
		v, err := newValue(inputs[info.Name])
		if err != nil {
			return nil, fmt.Errorf("ort: input %q: %w", info.Name, err)
		}
		ins[i] = v
	}
	// Outputs are left nil for ORT to allocate, except scalars, which onnxruntime_go cannot
	// convert from ORT-allocated values and so get a preallocated home.
	outs := make([]onnx.Value, len(s.outputs))
	defer destroyValues(outs)
	for i, info := range s.outputs {
		if len(info.Shape) == 0 {
			v, err := newScalar(info.DType)
			if err != nil {
				return nil, fmt.Errorf("ort: output %q: %w", info.Name, err)
			}
			outs[i] = v
		}
	}
	var ro *onnx.RunOptions
	if ctx.Done() != nil {
		var err error
		if ro, err = onnx.NewRunOptions(); err != nil {
			return nil, fmt.Errorf("ort: run options: %w", err)
		}
		defer ro.Destroy()
	}
	err := runWithContext(ctx, ro, func(ro *onnx.RunOptions) error {
		return s.sess.RunWithOptions(ins, outs, ro)
	})
	if err != nil {
		return nil, err
	}
	result := make(map[string]*tensor.Tensor, len(outs))
	var in, out int64
	for _, info := range s.inputs {
		in += inputs[info.Name].Bytes()
	}
	for i, info := range s.outputs {
		t, err := tensorFromValue(outs[i])
		if err != nil {
			return nil, fmt.Errorf("ort: output %q: %w", info.Name, err)
		}
		result[info.Name] = t
		out += t.Bytes()
	}
	s.traffic.add(in, out)
	return result, nil
}

// Traffic returns what the session's finished runs (Run and every Bound's) have handed to
// ONNX Runtime and taken back since it was created. Subtract two counts for the traffic of the
// runs between them.
func (s *Session) Traffic() Traffic { return s.traffic.load() }

// Close releases the session. It waits for Runs in progress, is safe to call more than once and
// on a nil *Session, and always returns nil today (the error is for future resources).
func (s *Session) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return nil
	}
	err := s.sess.Destroy()
	s.sess = nil
	if err != nil {
		return fmt.Errorf("ort: close session: %w", err)
	}
	return nil
}

// checkInputs validates the caller's inputs against the session's declared inputs.
func (s *Session) checkInputs(inputs map[string]*tensor.Tensor) error {
	for name := range inputs {
		if _, ok := s.inIndex[name]; !ok {
			return fmt.Errorf("ort: unknown input %q; the model expects %s", name, describe(s.inputs))
		}
	}
	for _, info := range s.inputs {
		t, ok := inputs[info.Name]
		if !ok || t == nil {
			return fmt.Errorf("ort: missing input %q; the model expects %s", info.Name, describe(s.inputs))
		}
		if err := checkTensor(info, t); err != nil {
			return fmt.Errorf("ort: input %q: %w", info.Name, err)
		}
	}
	return nil
}

// checkTensor checks a tensor's consistency, dtype and shape against info.
func checkTensor(info Info, t *tensor.Tensor) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if t.DType != info.DType {
		return fmt.Errorf("got dtype %v, the model expects %v", t.DType, info.DType)
	}
	if !shapeFits(info.Shape, t.Shape) {
		return fmt.Errorf("got shape %v, the model expects %v", t.Shape, info.Shape)
	}
	return nil
}

// shapeFits reports whether a concrete shape matches a declared one (negative = any size).
func shapeFits(declared, got tensor.Shape) bool {
	if len(declared) != len(got) {
		return false
	}
	for i, d := range declared {
		if d >= 0 && d != got[i] {
			return false
		}
	}
	return true
}

// runWithContext calls run, terminating it through ro when ctx is done first. ro may be nil
// only when ctx can never be done. After a terminated run, ro's terminate flag is cleared so
// ro can be reused.
func runWithContext(ctx context.Context, ro *onnx.RunOptions, run func(*onnx.RunOptions) error) error {
	if ctx.Done() == nil {
		return wrapRunError(ctx, run(ro))
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		ro.Terminate()
	})
	err := run(ro)
	if !stop() {
		<-fired // Terminate was called; wait so ro is no longer in use, then rearm it
		ro.UnsetTerminate()
	}
	return wrapRunError(ctx, err)
}

func wrapRunError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("ort: run: %w", cerr)
	}
	return fmt.Errorf("ort: run: %w", err)
}

func names(infos []Info) []string {
	out := make([]string, len(infos))
	for i, info := range infos {
		out[i] = info.Name
	}
	return out
}

func describe(infos []Info) string {
	if len(infos) == 0 {
		return "nothing"
	}
	s := ""
	for i, info := range infos {
		if i > 0 {
			s += ", "
		}
		s += info.String()
	}
	return s
}

func cloneInfos(infos []Info) []Info {
	out := make([]Info, len(infos))
	for i, info := range infos {
		out[i] = Info{Name: info.Name, DType: info.DType, Shape: info.Shape.Clone()}
	}
	return out
}
