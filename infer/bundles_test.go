package infer_test

import (
	"os"
	"sync"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train/traintest"
)

// bundles trains the tiny test bundles (toy and digits) in a temporary folder.
var bundles = traintest.NewBundles("")

// TestMain closes the shared samplers and removes the test bundles after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range shared {
		s.Close()
	}
	bundles.Close()
	os.Exit(code)
}

// session is the ONNX Runtime configuration of the tests: one thread, so results reproduce.
var session = ort.SessionConfig{IntraOpThreads: 1}

// shared holds the samplers sharedSampler opened, by bundle folder; TestMain closes them.
var (
	sharedMu sync.Mutex
	shared   = map[string]*infer.Sampler{}
)

// sharedSampler returns a sampler on the bundle folder dir that tests share (a Sampler is safe
// for concurrent use); opening one per test would dominate the tests' time.
func sharedSampler(tb testing.TB, dir string) *infer.Sampler {
	tb.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s, ok := shared[dir]; ok {
		return s
	}
	b, err := bundle.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := infer.NewSampler(b, session)
	if err != nil {
		tb.Fatal(err)
	}
	shared[dir] = s
	return s
}

// openSampler opens a sampler on the bundle folder dir and closes it when the test ends.
func openSampler(tb testing.TB, dir string) *infer.Sampler {
	tb.Helper()
	b, err := bundle.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := infer.NewSampler(b, session)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
