package nn

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
)

// GroupNormalize normalises x, of shape (N, C, H, W) or (N, C), over groups of C/groups
// channels (and all positions) to zero mean and unit variance, with eps added to the variance,
// then applies the per-channel affine map y*w + b. w and b have shape (C); either may be nil
// to skip it. The batch may be dynamic; C, H and W must be known and groups must divide C.
// With 2-D features and C/groups = 2 (the toy initializer), each normalised pair is about
// (+1, -1).
func GroupNormalize(x, w, b *graphs.Value, groups int, eps float32) *graphs.Value {
	if x == nil {
		return nil
	}
	g := x.Graph()
	s := x.Shape()
	if len(s) != 2 && len(s) != 4 {
		return fail(g, fmt.Errorf("nn: GroupNormalize: input %v must be (N,C) or (N,C,H,W)", x))
	}
	c, per := s[1], 1
	for _, d := range s[2:] {
		if d < 0 {
			per = -1
			break
		}
		per *= d
	}
	switch {
	case c < 0 || per < 0:
		return fail(g, fmt.Errorf("nn: GroupNormalize: input %v needs known channel and spatial sizes", x))
	case groups <= 0 || c%groups != 0:
		return fail(g, fmt.Errorf("nn: GroupNormalize: %d groups do not divide %d channels", groups, c))
	}
	xr := graphs.ReshapeTo(x, 0, groups, c/groups*per)
	d := graphs.Sub(xr, graphs.ReduceMean(xr, []int{2}, true))
	v := graphs.ReduceMean(graphs.Mul(d, d), []int{2}, true)
	y := graphs.Div(d, graphs.Sqrt(graphs.Add(v, graphs.Scalar(g, eps))))
	y = graphs.ReshapeTo(y, append([]int{0}, s[1:]...)...)
	// Per-channel vectors broadcast against (N, C) as they are and against (N, C, H, W) as (C, 1, 1).
	perChannel := func(p *graphs.Value) *graphs.Value {
		if len(s) == 4 {
			return graphs.ReshapeTo(p, c, 1, 1)
		}
		return p
	}
	if w != nil {
		y = graphs.Mul(y, perChannel(w))
	}
	if b != nil {
		y = graphs.Add(y, perChannel(b))
	}
	return y
}

// GroupNorm is GroupNormalize with a learnt affine map: scale "w" (initialised to 1) and shift
// "b" (initialised to 0), both of shape (C), created in s.
func GroupNorm(s Scope, x *graphs.Value, groups int, eps float32) *graphs.Value {
	if x == nil {
		return nil
	}
	if err := s.check(x, "GroupNorm"); err != nil {
		return fail(x.Graph(), err)
	}
	c := -1
	if x.Rank() >= 2 {
		c = x.Shape()[1]
	}
	if c < 0 {
		return fail(x.Graph(), fmt.Errorf("nn: GroupNorm: input %v needs a known channel size", x))
	}
	w, b := normParams(s, c)
	return GroupNormalize(x, w, b, groups, eps)
}

// normParams creates a normalisation's scale "w" (ones) and shift "b" (zeros), both (c).
func normParams(s Scope, c int) (w, b *graphs.Value) {
	return s.Param("w", []int{c}, Ones()), s.Param("b", []int{c}, Zeros())
}
