package ort

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	onnx "github.com/yalue/onnxruntime_go"
)

// Execution provider names accepted by SessionConfig.Provider. CUDA also accepts a device
// suffix, "cuda:1".
const (
	ProviderCPU  = "cpu"
	ProviderCUDA = "cuda"
	ProviderAuto = "auto"
)

// ErrProviderUnavailable is matched (errors.Is) by the error returned when a requested
// execution provider cannot be used with the loaded ONNX Runtime library or on this machine.
var ErrProviderUnavailable = errors.New("ort: execution provider unavailable")

// cudaHint tells a user how to get a working CUDA provider.
const cudaHint = "hint: the library from `make setup` is CPU-only; point Options.Library (or " +
	"CDRL_ORT_LIB) at a CUDA-enabled ONNX Runtime whose libonnxruntime_providers_cuda.so sits " +
	"next to it, make the CUDA and cuDNN libraries loadable, or use provider \"auto\" to fall back to cpu"

// ProviderError reports an execution provider that could not be set up.
type ProviderError struct {
	Provider string // the provider as requested, e.g. "cuda:1"
	Err      error  // what ONNX Runtime said
}

// Error returns "ort: <provider> provider unavailable: <cause>; hint: ...".
func (e *ProviderError) Error() string {
	return fmt.Sprintf("ort: %s provider unavailable: %v; %s", e.Provider, e.Err, cudaHint)
}

// Unwrap returns the underlying ONNX Runtime error.
func (e *ProviderError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrProviderUnavailable) true.
func (e *ProviderError) Is(target error) bool { return target == ErrProviderUnavailable }

// providerSpec is a parsed SessionConfig.Provider.
type providerSpec struct {
	kind   string // ProviderCPU, ProviderCUDA or ProviderAuto
	device int    // CUDA device id
}

func (p providerSpec) String() string {
	if p.kind == ProviderCUDA {
		return fmt.Sprintf("cuda:%d", p.device)
	}
	return p.kind
}

// parseProvider reads "", "cpu", "cuda", "cuda:N" or "auto" (case and surrounding space are
// ignored). The empty string means cpu.
func parseProvider(s string) (providerSpec, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	switch name {
	case "", ProviderCPU:
		return providerSpec{kind: ProviderCPU}, nil
	case ProviderAuto:
		return providerSpec{kind: ProviderAuto}, nil
	case ProviderCUDA:
		return providerSpec{kind: ProviderCUDA}, nil
	}
	if rest, ok := strings.CutPrefix(name, ProviderCUDA+":"); ok {
		id, err := strconv.Atoi(rest)
		if err != nil || id < 0 {
			return providerSpec{}, fmt.Errorf("ort: provider %q: device id must be a non-negative integer", s)
		}
		return providerSpec{kind: ProviderCUDA, device: id}, nil
	}
	return providerSpec{}, fmt.Errorf("ort: unknown provider %q; want cpu, cuda, cuda:N or auto", s)
}

// newSessionOptions builds ORT session options for cfg on the given provider (cpu or cuda,
// never auto). The caller destroys the result. On error nothing is left allocated.
func newSessionOptions(cfg SessionConfig, p providerSpec) (*onnx.SessionOptions, error) {
	so, err := onnx.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("ort: session options: %w", err)
	}
	if err := configureSessionOptions(so, cfg, p); err != nil {
		so.Destroy()
		return nil, err
	}
	return so, nil
}

func configureSessionOptions(so *onnx.SessionOptions, cfg SessionConfig, p providerSpec) error {
	if cfg.IntraOpThreads < 0 || cfg.InterOpThreads < 0 {
		return fmt.Errorf("ort: thread counts must not be negative (intra-op %d, inter-op %d)",
			cfg.IntraOpThreads, cfg.InterOpThreads)
	}
	if cfg.Profile != "" {
		if err := so.EnableProfiling(cfg.Profile); err != nil {
			return fmt.Errorf("ort: profiling: %w", err)
		}
	}
	if cfg.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(cfg.IntraOpThreads); err != nil {
			return fmt.Errorf("ort: intra-op threads: %w", err)
		}
	}
	if cfg.InterOpThreads > 0 {
		if err := so.SetInterOpNumThreads(cfg.InterOpThreads); err != nil {
			return fmt.Errorf("ort: inter-op threads: %w", err)
		}
	}
	if cfg.InterOpThreads > 1 {
		// Inter-op threads only run independent nodes side by side in parallel mode.
		if err := so.SetExecutionMode(onnx.ExecutionModeParallel); err != nil {
			return fmt.Errorf("ort: execution mode: %w", err)
		}
	}
	if p.kind != ProviderCUDA {
		return nil
	}
	return appendCUDA(so, p)
}

// appendCUDA adds the CUDA execution provider for device p.device; its errors are
// *ProviderError.
func appendCUDA(so *onnx.SessionOptions, p providerSpec) error {
	co, err := onnx.NewCUDAProviderOptions()
	if err != nil {
		return &ProviderError{Provider: p.String(), Err: err}
	}
	defer co.Destroy()
	if err := co.Update(map[string]string{"device_id": strconv.Itoa(p.device)}); err != nil {
		return &ProviderError{Provider: p.String(), Err: err}
	}
	if err := so.AppendExecutionProviderCUDA(co); err != nil {
		return &ProviderError{Provider: p.String(), Err: err}
	}
	return nil
}
