package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
)

// model is one --models entry: where it came from, the name its files and report section
// carry, its bundle and, while it is evaluated, a sampler on it.
type model struct {
	spec string
	name string
	b    *bundle.Bundle
	s    *infer.Sampler
}

// describe says what the model is, for progress lines and the report.
func (m *model) describe() string {
	what := fmt.Sprintf("%s %v", m.b.Kind, m.b.Shape)
	if len(m.b.Classes) > 0 {
		what += fmt.Sprintf(", %d classes", len(m.b.Classes))
	}
	return fmt.Sprintf("%s (%s)", m.spec, what)
}

// title is the heading of the model's report section.
func (m *model) title() string {
	if m.name == m.spec {
		return m.describe()
	}
	return m.name + ": " + m.describe()
}

// dim returns the number of values of one sample.
func (m *model) dim() int {
	d := 1
	for _, v := range m.b.Shape {
		d *= v
	}
	return d
}

// slug returns a short file-name-safe name for a --models entry: an embedded model's name, or
// the folder's base name (its parent's when the folder is a run's model/ folder).
func slug(spec string) string {
	clean := filepath.Clean(spec)
	base := filepath.Base(clean)
	if base == "model" {
		if parent := filepath.Base(filepath.Dir(clean)); parent != "." && parent != string(filepath.Separator) {
			base = parent
		}
	}
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "model"
	}
	return s
}

// uniqueName returns name, or name-2, name-3, ... when taken, and marks the result taken.
func uniqueName(name string, taken map[string]bool) string {
	out := name
	for k := 2; taken[out]; k++ {
		out = name + "-" + strconv.Itoa(k)
	}
	taken[out] = true
	return out
}
