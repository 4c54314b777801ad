package optim

import (
	"fmt"
	"math"
	"slices"
)

// Params is an ordered set of named float32 tensors: the parameters of one network, or buffers
// laid out like them (gradients, EMA weights). Data[i] holds the values of the tensor Names[i]
// of shape Shapes[i] in row-major order; a scalar has an empty shape and one value.
// Optimisers take Data.
type Params struct {
	Names  []string
	Shapes [][]int
	Data   [][]float32
}

// NewParams returns zero-filled parameters with the given names and shapes, which it copies.
// Names must be non-empty and distinct and dimensions non-negative.
func NewParams(names []string, shapes [][]int) (*Params, error) {
	if len(names) != len(shapes) {
		return nil, fmt.Errorf("optim: params: %d names for %d shapes", len(names), len(shapes))
	}
	p := &Params{
		Names:  slices.Clone(names),
		Shapes: make([][]int, len(shapes)),
		Data:   make([][]float32, len(shapes)),
	}
	for i, s := range shapes {
		n, err := numValues(s)
		if err != nil {
			return nil, fmt.Errorf("optim: params: %q: %w", names[i], err)
		}
		p.Shapes[i] = slices.Clone(s)
		p.Data[i] = make([]float32, n)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Validate checks that Names, Shapes and Data have the same length, that the names are
// non-empty and distinct, and that each tensor holds as many values as its shape says.
func (p *Params) Validate() error {
	if p == nil {
		return fmt.Errorf("optim: params: nil")
	}
	if len(p.Shapes) != len(p.Names) || len(p.Data) != len(p.Names) {
		return fmt.Errorf("optim: params: %d names, %d shapes and %d data slices",
			len(p.Names), len(p.Shapes), len(p.Data))
	}
	seen := make(map[string]bool, len(p.Names))
	for i, name := range p.Names {
		if name == "" {
			return fmt.Errorf("optim: params: tensor %d has an empty name", i)
		}
		if seen[name] {
			return fmt.Errorf("optim: params: name %q appears twice", name)
		}
		seen[name] = true
		n, err := numValues(p.Shapes[i])
		if err != nil {
			return fmt.Errorf("optim: params: %q: %w", name, err)
		}
		if len(p.Data[i]) != n {
			return fmt.Errorf("optim: params: %q of shape %v has %d values, want %d",
				name, p.Shapes[i], len(p.Data[i]), n)
		}
	}
	return nil
}

// numValues returns the number of values of a tensor of the given shape.
func numValues(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d > 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v has too many values", shape)
		}
		n *= d
	}
	return n, nil
}

// Len returns the number of tensors; 0 for nil.
func (p *Params) Len() int {
	if p == nil {
		return 0
	}
	return len(p.Names)
}

// NumValues returns the total number of values over all tensors; 0 for nil.
func (p *Params) NumValues() int {
	if p == nil {
		return 0
	}
	n := 0
	for _, d := range p.Data {
		n += len(d)
	}
	return n
}

// Index returns the position of the tensor called name, or -1 when there is none.
func (p *Params) Index(name string) int {
	if p == nil {
		return -1
	}
	return slices.Index(p.Names, name)
}

// Clone returns a deep copy; nil for nil.
func (p *Params) Clone() *Params {
	if p == nil {
		return nil
	}
	q := &Params{
		Names:  slices.Clone(p.Names),
		Shapes: make([][]int, len(p.Shapes)),
		Data:   cloneData(p.Data),
	}
	for i, s := range p.Shapes {
		q.Shapes[i] = slices.Clone(s)
	}
	return q
}

// ZerosLike returns parameters with the same names and shapes and all values 0, such as a
// gradient buffer; nil for nil.
func (p *Params) ZerosLike() *Params {
	if p == nil {
		return nil
	}
	q := &Params{
		Names:  slices.Clone(p.Names),
		Shapes: make([][]int, len(p.Shapes)),
		Data:   zerosLayout(p.Data),
	}
	for i, s := range p.Shapes {
		q.Shapes[i] = slices.Clone(s)
	}
	return q
}

// Zero sets every value to 0, as before accumulating gradients.
func (p *Params) Zero() {
	if p == nil {
		return
	}
	for _, d := range p.Data {
		clear(d)
	}
}

// Copy copies src into dst, which must have the same layout: as many tensors, each with as
// many values. Copying the EMA weights into the live ones for sampling, and back, is a Copy.
func Copy(dst, src [][]float32) error {
	if err := sameLayout(dst, src, "dst", "src"); err != nil {
		return fmt.Errorf("optim: copy: %w", err)
	}
	for i, s := range src {
		copy(dst[i], s)
	}
	return nil
}

// cloneData returns a deep copy of xs, keeping nil as nil.
func cloneData(xs [][]float32) [][]float32 {
	if xs == nil {
		return nil
	}
	out := make([][]float32, len(xs))
	for i, x := range xs {
		out[i] = slices.Clone(x)
	}
	return out
}

// sameLayout reports, without a package prefix, how b's layout differs from a's: the number
// of tensors or the number of values of one of them. aName and bName name them in the error.
func sameLayout(a, b [][]float32, aName, bName string) error {
	if len(a) != len(b) {
		return fmt.Errorf("%s has %d tensors, %s has %d", bName, len(b), aName, len(a))
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return fmt.Errorf("tensor %d: %s has %d values, %s has %d",
				i, bName, len(b[i]), aName, len(a[i]))
		}
	}
	return nil
}
