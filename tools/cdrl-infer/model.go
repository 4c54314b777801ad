package main

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
)

// model is an opened --model: its bundle, where it came from and a sampler on it.
type model struct {
	spec string
	b    *bundle.Bundle
	s    *infer.Sampler
}

// openModel reads --model and opens a sampler on it with the runtime flags' settings. The
// caller closes it.
func openModel(spec string, rt cli.Runtime) (*model, error) {
	b, err := cli.ReadModel("--model", spec)
	if err != nil {
		return nil, err
	}
	cfg, err := rt.Init()
	if err != nil {
		return nil, err
	}
	s, err := infer.NewSampler(b, cfg)
	if err != nil {
		return nil, fmt.Errorf("--model %s: %w", spec, err)
	}
	return &model{spec: spec, b: b, s: s}, nil
}

// Close releases the sampler.
func (m *model) Close() error { return m.s.Close() }

// manifest returns the model's manifest.
func (m *model) manifest() *bundle.Manifest { return &m.b.Manifest }

// dim returns the number of values of one sample.
func (m *model) dim() int {
	d := 1
	for _, v := range m.b.Shape {
		d *= v
	}
	return d
}

// image returns the channels, height and width of an image model, or an error naming the
// command for a points model.
func (m *model) image(command string) (c, h, w int, err error) {
	if m.b.Kind != bundle.KindImage || len(m.b.Shape) != 3 {
		return 0, 0, 0, fmt.Errorf("%s: --model %s generates %s of shape %v; %s needs an image model", command, m.spec, m.b.Kind, m.b.Shape, command)
	}
	return m.b.Shape[0], m.b.Shape[1], m.b.Shape[2], nil
}

// describe says what the model generates, for the commands' summary lines.
func (m *model) describe() string {
	what := fmt.Sprintf("%s %v", m.b.Kind, m.b.Shape)
	if len(m.b.Classes) > 0 {
		what += fmt.Sprintf(", %d classes", len(m.b.Classes))
	}
	return fmt.Sprintf("model %s (%s)", m.spec, what)
}

// classID maps the --class label to the internal class id; "" and "none" (unless the model has
// a class of that name) are the null class 0.
func (m *model) classID(label string) (int64, error) {
	if label == "" || (label == nullClass && !slices.Contains(m.b.Classes, nullClass)) {
		return bundle.NullClass, nil
	}
	if len(m.b.Classes) == 0 {
		return 0, fmt.Errorf("--class %s: %s is unconditional (its manifest lists no classes); leave --class out", label, m.spec)
	}
	id, err := m.s.ClassID(label)
	if err != nil {
		return 0, fmt.Errorf("--class %s: %w", label, err)
	}
	return id, nil
}

// checkGuidance checks --guidance for a run of the class id class (infer.AutoClass included):
// it needs a class and a finite weight >= 0. Unset, the sampler guides a class with the
// model's default weight.
func checkGuidance(flag *float64, class int64) error {
	switch {
	case flag == nil:
		return nil
	case class == bundle.NullClass:
		return errors.New("--guidance: guidance needs a class; pass --class LABEL as well")
	case !(*flag >= 0) || math.IsInf(*flag, 0):
		return fmt.Errorf("--guidance %g: want a finite weight >= 0", *flag)
	}
	return nil
}

// sampleOptions returns the infer options of the shared sampling flags for model m; without
// --guidance the sampler takes the model's default weight, without --batch its chunk size.
func (o genOptions) sampleOptions(m *model) infer.SampleOptions {
	batch := m.s.DefaultBatch()
	if o.Batch != nil {
		batch = *o.Batch
	}
	return infer.SampleOptions{Seed: o.Seed, Steps: o.Steps, Batch: batch, Guidance: o.Guidance}
}

// check validates the shared sampling flags.
func (o genOptions) check() error {
	switch {
	case o.N < 1:
		return fmt.Errorf("--n %d: want at least 1", o.N)
	case o.Steps < 0:
		return fmt.Errorf("--steps %d: want 0 (the model's) or more", o.Steps)
	case o.Batch != nil && *o.Batch < 0:
		return fmt.Errorf("--batch %d: want 0 (all at once) or more", *o.Batch)
	}
	return nil
}
