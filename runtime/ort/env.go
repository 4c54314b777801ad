package ort

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	onnx "github.com/yalue/onnxruntime_go"
)

// Options configure the process-wide ONNX Runtime environment.
type Options struct {
	// Library is the path of the ONNX Runtime shared library. When empty, FindLibrary's
	// search order applies (environment variables, the `make setup` cache, system folders).
	Library string
	// LogLevel is the lowest severity ONNX Runtime itself prints to stderr: "verbose", "info",
	// "warning", "error" or "fatal". Empty means "fatal": every ORT failure already reaches the
	// caller as a Go error, and ORT logs each cancelled run as an error otherwise. It only
	// matters to the call that creates the environment.
	LogLevel string
}

// env is the one ONNX Runtime environment of the process. ORT allows only one; it lives until
// the process exits.
var env struct {
	mu      sync.Mutex  // serialises initialisation
	ready   atomic.Bool // set once the environment is up; read without mu on the fast path
	library string      // the loaded library, written once under mu before ready is set
}

// Init loads the ONNX Runtime shared library and creates the process-wide environment.
// Calling it is optional: the first NewSession does it with zero Options. It is safe to call
// from many goroutines and more than once. If it fails (for example because the library is
// missing), nothing is kept and a later call may try again with other Options. Once the
// environment is up, a call naming a different Library is an error, since one process can load
// only one ONNX Runtime.
func Init(opts Options) error {
	if env.ready.Load() && opts.Library == "" {
		return nil
	}
	path, err := FindLibrary(opts.Library)
	if err != nil {
		// Another goroutine may have set the environment up (from an explicit path) meanwhile.
		if env.ready.Load() && opts.Library == "" {
			return nil
		}
		return err
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.ready.Load() {
		if opts.Library != "" && !sameFile(opts.Library, env.library) {
			return fmt.Errorf("ort: environment already uses %s; cannot switch to %s in the same process",
				env.library, opts.Library)
		}
		return nil
	}
	level, err := logLevel(opts.LogLevel)
	if err != nil {
		return err
	}
	onnx.SetSharedLibraryPath(path)
	if err := onnx.InitializeEnvironment(level); err != nil {
		return fmt.Errorf("ort: load %s: %w; hint: the file must be an ONNX Runtime %s.x shared library for this platform",
			path, err, minorVersion(LibraryVersion))
	}
	env.library = path
	env.ready.Store(true)
	return nil
}

// Library returns the path of the loaded ONNX Runtime library, or "" before Init.
func Library() string {
	if !env.ready.Load() {
		return ""
	}
	return env.library
}

// Version returns the version string reported by the loaded ONNX Runtime library, or "" before
// Init.
func Version() string {
	if !env.ready.Load() {
		return ""
	}
	return onnx.GetVersion()
}

// ensureInit initialises the environment with default Options if nothing has yet.
func ensureInit() error {
	if env.ready.Load() {
		return nil
	}
	return Init(Options{})
}

// logLevel maps Options.LogLevel to an onnxruntime_go environment option.
func logLevel(name string) (onnx.EnvironmentOption, error) {
	switch name {
	case "", "fatal":
		return onnx.WithLogLevelFatal(), nil
	case "error":
		return onnx.WithLogLevelError(), nil
	case "warning":
		return onnx.WithLogLevelWarning(), nil
	case "info":
		return onnx.WithLogLevelInfo(), nil
	case "verbose":
		return onnx.WithLogLevelVerbose(), nil
	}
	return nil, fmt.Errorf("ort: unknown log level %q; want verbose, info, warning, error or fatal", name)
}

// sameFile reports whether two paths name the same file.
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// minorVersion turns "1.24.3" into "1.24".
func minorVersion(v string) string {
	dots := 0
	for i := range len(v) {
		if v[i] == '.' {
			dots++
			if dots == 2 {
				return v[:i]
			}
		}
	}
	return v
}
