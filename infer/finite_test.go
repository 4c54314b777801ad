package infer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
)

// TestNonFiniteSamples checks that samples driven past float32's range by an enormous guidance
// weight are an error naming the weight, not NaN results, for Sample and Inpaint, while the
// same call with an ordinary weight succeeds.
func TestNonFiniteSamples(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	ctx := context.Background()
	if _, err := s.Sample(ctx, 2, infer.SampleOptions{Seed: 1, Class: 1, Guidance: infer.Weight(1)}); err != nil {
		t.Fatalf("guidance 1: %v", err)
	}
	image, known := make([]float32, 784), make([]bool, 784)
	for i := range 392 {
		known[i] = true
	}
	for name, run := range map[string]func() error{
		"sample": func() error {
			_, err := s.Sample(ctx, 2, infer.SampleOptions{Seed: 1, Class: 1, Guidance: infer.Weight(1e30)})
			return err
		},
		"inpaint": func() error {
			_, err := s.Inpaint(ctx, image, known, 2, infer.SampleOptions{Seed: 1, Class: 1, Guidance: infer.Weight(1e30)})
			return err
		},
	} {
		err := run()
		var nf *infer.NonFiniteError
		if !errors.As(err, &nf) {
			t.Fatalf("%s with guidance 1e30: got %v, want a *NonFiniteError", name, err)
		}
		if nf.Op != name || nf.Guidance != 1e30 || nf.Count < 1 || nf.Count > 2 || nf.Total != 2 {
			t.Errorf("%s: %+v", name, *nf)
		}
		if !strings.Contains(err.Error(), "guidance weight 1e+30") {
			t.Errorf("%s: %q does not name the guidance weight", name, err)
		}
	}
}

// TestShapeMismatchCaughtAtOpen checks that a manifest whose sample shape disagrees with its
// graphs is refused when the sampler opens, naming the graph and both shapes, instead of
// failing in ONNX Runtime's words at the first sampling.
func TestShapeMismatchCaughtAtOpen(t *testing.T) {
	src := bundles.Digits(t)
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == bundle.ManifestFile {
			data = bytes.Replace(data, []byte("\"shape\": [\n    1,\n    28,\n    28\n  ]"), []byte("\"shape\": [1, 32, 32]"), 1)
			if !bytes.Contains(data, []byte("[1, 32, 32]")) {
				t.Fatalf("the test could not edit the manifest's shape:\n%s", data)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := bundle.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := infer.NewSampler(b, session)
	if err == nil {
		s.Close()
		t.Fatal("a sampler opened a bundle whose manifest says 32x32 for 28x28 graphs")
	}
	for _, want := range []string{"energy.onnx", "input x has shape", "[1 32 32]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestMemoryRefusedBeforeWork checks that a task whose results alone exceed the machine's
// available memory is refused with a *MemoryError before any network runs, that a large
// chunk is refused with advice to chunk, and that streamed results count one chunk only.
func TestMemoryRefusedBeforeWork(t *testing.T) {
	s := sharedSampler(t, bundles.Digits(t))
	runs := 0
	restore := infer.ObserveRuns(func(string, string, int) { runs++ })
	defer restore()
	_, err := s.Sample(context.Background(), 1<<40, infer.SampleOptions{Seed: 1, Batch: 256})
	var me *infer.MemoryError
	if !errors.As(err, &me) {
		t.Skipf("no *MemoryError (%v): this system does not report its available memory", err)
	}
	if me.N != 1<<40 || me.Results != (1<<40)*784*4 || me.Available <= 0 || !strings.Contains(err.Error(), "fewer samples") {
		t.Errorf("%+v: %v", *me, err)
	}
	if runs != 0 {
		t.Errorf("%d network runs before the refusal", runs)
	}
	// Results that fit, all in one chunk that does not.
	n := int(me.Available / (784 * 4 * 8))
	if _, err := s.Sample(context.Background(), n, infer.SampleOptions{Seed: 1}); !errors.As(err, &me) || !strings.Contains(err.Error(), "smaller chunks") {
		t.Errorf("one chunk of %d samples: %v, want advice to chunk", n, err)
	}
	// Streamed, the results need not fit: only one chunk is held, so 2^40 samples start (and
	// stop at the first chunk here); a chunk that does not fit is refused with advice to chunk.
	stop := errors.New("enough")
	streamed := 0
	o := infer.SampleOptions{Seed: 1, Batch: 2, Steps: 1, Stream: func(_ int, x []float32) error { streamed = len(x); return stop }}
	if _, err := s.Sample(context.Background(), 1<<40, o); !errors.Is(err, stop) || streamed != 2*784 {
		t.Errorf("2^40 samples streamed in chunks of 2: %v after a chunk of %d values; want the first chunk of 1568 values", err, streamed)
	}
	o.Batch = n
	if _, err := s.Sample(context.Background(), 1<<40, o); !errors.As(err, &me) || !me.Streamed || me.Chunk != n || !strings.Contains(err.Error(), "smaller chunks") {
		t.Errorf("2^40 samples streamed in chunks of %d: %v, want a *MemoryError with advice to chunk", n, err)
	}
}
