package infer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
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
