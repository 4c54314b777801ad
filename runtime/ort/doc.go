// Package ort runs ONNX models with ONNX Runtime. It is the only package of cdrl-go that talks to
// ONNX Runtime (through github.com/yalue/onnxruntime_go); ORT values never leave it, only
// *tensor.Tensor and plain Go slices do.
//
// # Overview
//
// A process has one ONNX Runtime environment. Init creates it from a shared library found by
// FindLibrary, in this order:
//
//  1. Options.Library, when set;
//  2. the environment variable CDRL_ORT_LIB, then ONNXRUNTIME_LIB;
//  3. the user cache folder filled by `make setup`:
//     os.UserCacheDir()/cdrl-go/onnxruntime-1.24.3/libonnxruntime.so.1 (see CacheLibraryPath);
//  4. the system library folders (LD_LIBRARY_PATH, /etc/ld.so.conf, /usr/lib...), looking for
//     libonnxruntime.so.1 or libonnxruntime.so.
//
// Calling Init is optional; the first NewSession calls it with zero Options.
//
// NewSession and NewSessionFromFile load a model and read its declared inputs and outputs
// (names, dtypes, shapes with -1 for dynamic dimensions). SessionConfig picks the execution
// provider: "cpu", "cuda" or "cuda:N", or "auto" (CUDA when its provider loads, else CPU;
// Session.Provider says which). Session.Run takes and returns tensors by name and checks the
// inputs against the declared types and shapes before ORT sees them. Float32, int64 and float64
// tensors are supported, rank 0 included.
//
// For hot loops, Session.Bind returns a Bound whose input and output tensors are allocated once:
// write into Bound.Input, call Bound.Run, read Bound.Output. onnxruntime_go keeps tensors in host
// memory, so on a GPU the way to save copies is to do more work per Run.
//
// Run and Bound.Run take a context: when it is done, the ORT run is terminated through ORT's run
// options and the error wraps ctx.Err().
//
// # Concurrency
//
// Init, NewSession and NewSessionFromFile are safe to call from many goroutines. A Session's
// Run, Bind, Inputs, Outputs and Provider are safe for concurrent use; Close waits for Runs in
// progress and makes later ones fail. A Bound is not safe for concurrent use: give each goroutine
// its own Bound of a shared Session.
//
// # Error handling
//
// Errors start with "ort: " and wrap their cause with %w. A missing library wraps
// ErrLibraryNotFound and says to run `make setup` (or set CDRL_ORT_LIB); an unusable execution
// provider is a *ProviderError matching ErrProviderUnavailable; use after Close wraps ErrClosed;
// a cancelled run wraps the context's error. Input names, dtypes and shapes are checked with
// messages that list what the model expects. Nothing in this package panics on bad input or a
// corrupt model. Close is nil-safe and idempotent everywhere.
//
// Values are not checked for NaN or Inf: that is the caller's business (see
// tensor.Tensor.CheckFinite).
package ort
