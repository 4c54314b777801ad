package gradcheck

import "github.com/cdrl-go/cdrl/graphs"

// Cases for Conv and ConvTranspose: strides 1 to 3 with pads absorbing the stride remainder or
// not (the output does not reach the input's last positions), dilations, groups (depthwise
// included), 1x1 and 1-D kernels, no bias, dynamic batches, and second-order cases (the input
// gradient of a convolution differentiated again, as training through a score does).

// convInputs returns the inputs x, w and, when bias > 0, b of a convolution case.
func convInputs(x, w []int, bias int, dynamic bool) []Input {
	in := []Input{{Name: "x", Shape: x, Dynamic: dynamic}, {Name: "w", Shape: w}}
	if bias > 0 {
		in = append(in, Input{Name: "b", Shape: []int{bias}})
	}
	return in
}

func convCase(name string, x, w []int, bias int, o graphs.ConvOpts, dynamic bool) Case {
	return Case{Name: name, Inputs: convInputs(x, w, bias, dynamic), Build: func(v []*graphs.Value) *graphs.Value {
		return graphs.Conv(v[0], v[1], optBias(v), o)
	}}
}

func convTransposeCase(name string, x, w []int, bias int, o graphs.ConvTransposeOpts, dynamic bool) Case {
	return Case{Name: name, Inputs: convInputs(x, w, bias, dynamic), Build: func(v []*graphs.Value) *graphs.Value {
		return graphs.ConvTranspose(v[0], v[1], optBias(v), o)
	}}
}

func optBias(v []*graphs.Value) *graphs.Value {
	if len(v) == 3 {
		return v[2]
	}
	return nil
}

func init() {
	type co = graphs.ConvOpts
	type cto = graphs.ConvTransposeOpts
	Add(
		convCase("Conv 3x3 stride 1 pad 1", []int{2, 3, 5, 5}, []int{4, 3, 3, 3}, 4, co{Pads: []int{1, 1, 1, 1}}, false),
		convCase("Conv stride 2 pad 1 even size", []int{1, 2, 6, 6}, []int{3, 2, 3, 3}, 3, co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, false),
		convCase("Conv stride 2 pad 1 odd size 7x7", []int{1, 2, 7, 7}, []int{3, 2, 3, 3}, 3, co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, false),
		convCase("Conv stride 2 pad 1 remainder 8x8", []int{1, 2, 8, 8}, []int{3, 2, 3, 3}, 3, co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, false),
		convCase("Conv 4x4 kernel stride 2 pad 1 remainder 7x7", []int{2, 2, 7, 7}, []int{2, 2, 4, 4}, 0, co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, false),
		convCase("Conv stride 3 remainder beyond pads", []int{1, 2, 8, 9}, []int{2, 2, 3, 3}, 2, co{Strides: []int{3, 3}, Pads: []int{1, 0, 0, 0}}, false),
		convCase("Conv strides 2x3 asymmetric pads", []int{1, 2, 7, 6}, []int{3, 2, 3, 2}, 3, co{Strides: []int{2, 3}, Pads: []int{0, 1, 2, 0}}, false),
		convCase("Conv dilation 2", []int{1, 2, 7, 7}, []int{2, 2, 3, 3}, 2, co{Dilations: []int{2, 2}, Pads: []int{2, 2, 2, 2}}, false),
		convCase("Conv dilation 2 stride 2", []int{1, 2, 8, 7}, []int{3, 2, 3, 3}, 0, co{Strides: []int{2, 2}, Dilations: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, false),
		convCase("Conv groups 2", []int{2, 4, 5, 5}, []int{6, 2, 3, 3}, 6, co{Pads: []int{1, 1, 1, 1}, Group: 2}, false),
		convCase("Conv groups 2 stride 2 remainder", []int{1, 4, 6, 6}, []int{4, 2, 3, 3}, 0, co{Strides: []int{2, 2}, Pads: []int{1, 1, 0, 0}, Group: 2}, false),
		convCase("Conv depthwise", []int{2, 3, 5, 5}, []int{3, 1, 3, 3}, 3, co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}, Group: 3}, false),
		convCase("Conv depthwise multiplier 2", []int{1, 3, 5, 5}, []int{6, 1, 3, 3}, 6, co{Pads: []int{1, 1, 1, 1}, Group: 3}, false),
		convCase("Conv 1x1", []int{2, 3, 4, 4}, []int{5, 3, 1, 1}, 5, co{}, false),
		convCase("Conv no bias", []int{2, 3, 5, 5}, []int{4, 3, 3, 3}, 0, co{Pads: []int{1, 1, 1, 1}}, false),
		convCase("Conv dynamic batch", []int{3, 4, 6, 6}, []int{4, 2, 3, 3}, 4, co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}, Group: 2}, true),
		convCase("Conv 1-D", []int{2, 3, 9}, []int{4, 3, 3}, 4, co{Strides: []int{2}, Pads: []int{1, 1}}, false),
		// Stride 1 and one group: the weight gradient is the im2col MatMul form.
		convCase("Conv 1-D stride 1 asymmetric pads dynamic batch", []int{2, 3, 9}, []int{4, 3, 3}, 4, co{Pads: []int{2, 0}}, true),
		convCase("Conv 3x2 kernel dilation 2x1 pads 0,1,2,0", []int{2, 2, 6, 5}, []int{3, 2, 3, 2}, 0, co{Pads: []int{0, 1, 2, 0}, Dilations: []int{2, 1}}, false),
		convCase("Conv 1-D groups dilation dynamic batch", []int{2, 4, 10}, []int{2, 2, 3}, 2, co{Strides: []int{2}, Dilations: []int{2}, Pads: []int{2, 1}, Group: 2}, true),
		secondOrder("Conv second order", convInputs([]int{2, 2, 5, 5}, []int{3, 2, 3, 3}, 3, true),
			func(v []*graphs.Value) *graphs.Value {
				return graphs.Conv(v[0], v[1], v[2], co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}})
			}),
		secondOrder("Conv stride 1 second order (input gradient as a flipped-kernel Conv)", convInputs([]int{2, 2, 5, 5}, []int{3, 2, 3, 3}, 3, true),
			func(v []*graphs.Value) *graphs.Value {
				return graphs.Conv(v[0], v[1], v[2], co{Pads: []int{1, 0, 1, 2}, Dilations: []int{1, 2}})
			}),
		secondOrder("Conv groups stride 2 remainder second order", convInputs([]int{2, 4, 6, 6}, []int{4, 2, 3, 3}, 4, true),
			func(v []*graphs.Value) *graphs.Value {
				return graphs.Conv(v[0], v[1], v[2], co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}, Group: 2})
			}),

		convTransposeCase("ConvTranspose stride 1 pad 1", []int{2, 3, 4, 4}, []int{3, 2, 3, 3}, 2, cto{ConvOpts: co{Pads: []int{1, 1, 1, 1}}}, false),
		convTransposeCase("ConvTranspose stride 2 output_padding 1", []int{2, 3, 4, 4}, []int{3, 2, 3, 3}, 2,
			cto{ConvOpts: co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, OutputPadding: []int{1, 1}}, false),
		convTransposeCase("ConvTranspose output_padding beyond end pad", []int{1, 2, 3, 4}, []int{2, 2, 4, 4}, 0,
			cto{ConvOpts: co{Strides: []int{2, 2}, Pads: []int{1, 1, 0, 0}}, OutputPadding: []int{1, 1}}, false),
		convTransposeCase("ConvTranspose groups 2", []int{1, 4, 3, 3}, []int{4, 3, 3, 3}, 6,
			cto{ConvOpts: co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}, Group: 2}, OutputPadding: []int{1, 0}}, false),
		convTransposeCase("ConvTranspose depthwise", []int{2, 3, 3, 3}, []int{3, 1, 2, 2}, 3,
			cto{ConvOpts: co{Strides: []int{2, 2}, Group: 3}}, false),
		convTransposeCase("ConvTranspose dilation 3 output_padding 2", []int{1, 2, 3, 3}, []int{2, 3, 2, 2}, 3,
			cto{ConvOpts: co{Strides: []int{2, 2}, Dilations: []int{3, 3}, Pads: []int{1, 0, 1, 1}}, OutputPadding: []int{2, 2}}, false),
		convTransposeCase("ConvTranspose 1-D dynamic batch", []int{2, 2, 5}, []int{2, 3, 3}, 3,
			cto{ConvOpts: co{Strides: []int{3}, Pads: []int{1, 2}}, OutputPadding: []int{1}}, true),
		secondOrder("ConvTranspose groups second order", convInputs([]int{2, 4, 3, 3}, []int{4, 1, 3, 3}, 2, true),
			func(v []*graphs.Value) *graphs.Value {
				return graphs.ConvTranspose(v[0], v[1], v[2], cto{ConvOpts: co{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}, Group: 2}, OutputPadding: []int{1, 1}})
			}),
	)
}
