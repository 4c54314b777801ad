package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"sync"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/models/zoo"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train/traintest"
)

// bundles trains the tiny test bundle (digits) in a temporary folder.
var bundles = traintest.NewBundles("")

// session is the ONNX Runtime configuration of the tests: one thread per call, so results
// reproduce and concurrent requests do not oversubscribe the cores.
var session = ort.SessionConfig{IntraOpThreads: 1}

// TestMain closes the shared samplers and removes the test bundles after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range shared {
		s.Close()
	}
	bundles.Close()
	os.Exit(code)
}

// pngBytes returns img as PNG bytes, failing the test on an error.
func pngBytes(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// shared holds the samplers of sharedSampler, by model; TestMain closes them.
var (
	sharedMu sync.Mutex
	shared   = map[string]*infer.Sampler{}
)

// sharedSampler returns a sampler that tests share (a Sampler is safe for concurrent use) on
// an embedded model's name or a bundle folder.
func sharedSampler(tb testing.TB, model string) *infer.Sampler {
	tb.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s, ok := shared[model]; ok {
		return s
	}
	var b *bundle.Bundle
	var err error
	if model == "toy2d" {
		b, err = zoo.Open(model)
	} else {
		b, err = bundle.ReadDir(model)
	}
	if err != nil {
		tb.Fatal(err)
	}
	s, err := infer.NewSampler(b, session)
	if err != nil {
		tb.Fatal(err)
	}
	shared[model] = s
	return s
}

// serving returns the models of a server that serves models (embedded names or bundle folders)
// on the tests' shared samplers, the first the default.
func serving(tb testing.TB, models ...string) []*servedModel {
	tb.Helper()
	out := make([]*servedModel, len(models))
	for i, m := range models {
		out[i] = openedModel(m, sharedSampler(tb, m))
	}
	return out
}
