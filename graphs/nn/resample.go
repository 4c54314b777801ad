package nn

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
)

// spatial returns C, H, W of an (N, C, H, W) value, or an error naming op when they are not
// all known.
func spatial(x *graphs.Value, op string) (c, h, w int, err error) {
	s := x.Shape()
	if len(s) != 4 || s[1] < 0 || s[2] < 0 || s[3] < 0 {
		return 0, 0, 0, fmt.Errorf("nn: %s: input %v must be (N,C,H,W) with known C, H, W", op, x)
	}
	return s[1], s[2], s[3], nil
}

// AvgPool2x2 averages x, of shape (N, C, H, W) with even H and W, over 2x2 blocks (stride 2),
// giving (N, C, H/2, W/2).
func AvgPool2x2(x *graphs.Value) *graphs.Value {
	if x == nil {
		return nil
	}
	c, h, w, err := spatial(x, "AvgPool2x2")
	if err == nil && (h%2 != 0 || w%2 != 0) {
		err = fmt.Errorf("nn: AvgPool2x2: input %v needs even H and W", x)
	}
	if err != nil {
		return fail(x.Graph(), err)
	}
	blocks := graphs.ReshapeTo(x, 0, c, h/2, 2, w/2, 2)
	return graphs.ReduceMean(blocks, []int{3, 5}, false)
}

// Upsample2x repeats every pixel of x, of shape (N, C, H, W), in a 2x2 block (nearest
// neighbour), giving (N, C, 2H, 2W).
func Upsample2x(x *graphs.Value) *graphs.Value {
	if x == nil {
		return nil
	}
	c, h, w, err := spatial(x, "Upsample2x")
	if err != nil {
		return fail(x.Graph(), err)
	}
	g := x.Graph()
	cols := graphs.ReshapeTo(x, 0, c, h, 1, w, 1)
	// Expand broadcasts both ways, so the 1 in the target keeps the (dynamic) batch.
	blocks := graphs.Expand(cols, graphs.ConstInts(g, 1, int64(c), int64(h), 2, int64(w), 2))
	return graphs.ReshapeTo(blocks, 0, c, 2*h, 2*w)
}
