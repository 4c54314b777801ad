package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/ort"
)

// servedModel is one model a server serves: its name (the --model it came from, or an
// embedded model's name), its manifest and its sampler, opened on first use when the server
// did not open it at the start. It is safe for concurrent use.
type servedModel struct {
	name string
	m    bundle.Manifest

	mu      sync.Mutex
	sampler *infer.Sampler                 // nil until opened
	open    func() (*infer.Sampler, error) // opens the sampler; nil for one opened at the start
	closed  bool
}

// openedModel returns the served model of an open sampler.
func openedModel(name string, s *infer.Sampler) *servedModel {
	return &servedModel{name: name, m: s.Manifest(), sampler: s}
}

// lazyModel returns the served model of bundle b, whose sampler opens with cfg when a request
// first needs it.
func lazyModel(name string, b *bundle.Bundle, cfg ort.SessionConfig) *servedModel {
	return &servedModel{name: name, m: b.Manifest, open: func() (*infer.Sampler, error) { return infer.NewSampler(b, cfg) }}
}

// get returns the model's sampler, opening it if this is its first use. After close it
// answers that the server is shutting down.
func (sm *servedModel) get() (*infer.Sampler, error) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.closed {
		return nil, shuttingDown()
	}
	if sm.sampler == nil {
		s, err := sm.open()
		if err != nil {
			return nil, fmt.Errorf("opening model %s: %w", sm.name, err)
		}
		sm.sampler = s
	}
	return sm.sampler, nil
}

// close closes the sampler if it was opened; get fails afterwards.
func (sm *servedModel) close() error {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.closed = true
	return sm.sampler.Close() // nil-safe
}

// modelNames lists the names of models, quoted, for errors.
func modelNames(models []*servedModel) string {
	quoted := make([]string, len(models))
	for i, m := range models {
		quoted[i] = strconv.Quote(m.name)
	}
	return strings.Join(quoted, ", ")
}

// lookup returns the served model of the given name, the default (--model) for "". field
// names the request field at fault in the error for an unknown name.
func (s *server) lookup(field, name string) (*servedModel, error) {
	if name == "" {
		return s.models[0], nil
	}
	for _, m := range s.models {
		if m.name == name {
			return m, nil
		}
	}
	return nil, badField(field, "%q is not served here; the models are %s (GET /v1/models)", name, modelNames(s.models))
}

// closeModels closes the samplers of models and returns the first error.
func closeModels(models []*servedModel) error {
	var first error
	for _, m := range models {
		if err := m.close(); err != nil && first == nil {
			first = fmt.Errorf("closing model %s: %w", m.name, err)
		}
	}
	return first
}
