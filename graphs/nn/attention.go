package nn

import (
	"fmt"
	"math"

	"github.com/cdrl-go/cdrl/graphs"
)

// attentionEps is the GroupNorm epsilon of SelfAttention (the initializer UNet's).
const attentionEps = 1e-6

// Attention is single-head dot-product attention over the H*W positions of q, k and v, all
// of shape (N, C, H, W): out_i = sum_j softmax_j(q_i . k_j / sqrt(C)) v_j, shape (N, C, H, W).
// The batch may be dynamic; C, H and W must be known.
func Attention(q, k, v *graphs.Value) *graphs.Value {
	if q == nil || k == nil || v == nil {
		return nil
	}
	c, h, w, err := spatial(q, "Attention")
	same := func(x *graphs.Value) bool { return x.Rank() == 4 && x.Shape()[1:].Equal(q.Shape()[1:]) }
	if err == nil && (!same(k) || !same(v)) {
		err = fmt.Errorf("nn: Attention: q %v, k %v and v %v differ in shape", q, k, v)
	}
	if err != nil {
		return fail(q.Graph(), err)
	}
	flat := func(x *graphs.Value) *graphs.Value { return graphs.ReshapeTo(x, 0, c, h*w) }
	qs := graphs.Mul(flat(q), graphs.Scalar(q.Graph(), float32(1/math.Sqrt(float64(c)))))
	logits := graphs.MatMul(graphs.Transpose(qs, 0, 2, 1), flat(k)) // (N, i, j)
	attn := graphs.Softmax(logits, -1)
	out := graphs.MatMul(flat(v), graphs.Transpose(attn, 0, 2, 1)) // (N, C, i)
	return graphs.ReshapeTo(out, 0, c, h, w)
}

// AttentionWeights are the tensors of a self-attention block over C channels.
type AttentionWeights struct {
	// NormW and NormB are the GroupNorm scale and shift, (C).
	NormW, NormB *graphs.Value
	// QKVW and QKVB are the 1x1 convolution to q, k and v stacked along the channels:
	// (3C, C, 1, 1) and (3C); QKVB may be nil.
	QKVW, QKVB *graphs.Value
	// OutW and OutB are the output 1x1 convolution: (C, C, 1, 1) and (C); OutB may be nil.
	OutW, OutB *graphs.Value
}

// AttentionBlock is the initializer UNet's attention (cdrl-method.md 5.4) with the given
// weights: h = GroupNorm(x); q, k, v = Conv1x1(h); x + Conv1x1(Attention(q, k, v)). The
// residual adds the un-normalised x. x is (N, C, H, W) with a possibly dynamic batch.
func AttentionBlock(x *graphs.Value, w AttentionWeights, groups int, eps float32) *graphs.Value {
	if x == nil {
		return nil
	}
	c, _, _, err := spatial(x, "AttentionBlock")
	if err != nil {
		return fail(x.Graph(), err)
	}
	h := GroupNormalize(x, w.NormW, w.NormB, groups, eps)
	qkv := graphs.Split(graphs.Conv(h, w.QKVW, w.QKVB, graphs.ConvOpts{}), 1, c, c, c)
	if len(qkv) != 3 {
		return fail(x.Graph(), fmt.Errorf("nn: AttentionBlock: splitting q, k, v of %v failed", x))
	}
	a := Attention(qkv[0], qkv[1], qkv[2])
	return graphs.Add(x, graphs.Conv(a, w.OutW, w.OutB, graphs.ConvOpts{}))
}

// SelfAttention is AttentionBlock with its weights created in s: GroupNorm "norm/w", "norm/b"
// (groups groups, eps 1e-6), the q, k, v convolution "qkv/w", "qkv/b" and the output
// convolution "out/w" (zero-initialised, so the block starts as x plus the output bias) and
// "out/b".
func SelfAttention(s Scope, x *graphs.Value, groups int) *graphs.Value {
	if x == nil {
		return nil
	}
	if err := s.check(x, "SelfAttention"); err != nil {
		return fail(x.Graph(), err)
	}
	c, _, _, err := spatial(x, "SelfAttention")
	if err != nil {
		return fail(x.Graph(), err)
	}
	var w AttentionWeights
	w.NormW, w.NormB = normParams(s.Sub("norm"), c)
	w.QKVW, w.QKVB = layerParams(s.Sub("qkv"), []int{3 * c, c, 1, 1}, true, false)
	w.OutW, w.OutB = layerParams(s.Sub("out"), []int{c, c, 1, 1}, true, true)
	return AttentionBlock(x, w, groups, attentionEps)
}
