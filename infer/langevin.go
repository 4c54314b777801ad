package infer

import (
	"fmt"
	"math"
)

// unscaleEps is the guard the reference code adds to sqrt(m_t) before dividing by it.
const unscaleEps = 1e-8

// LangevinStep makes one Langevin step of every sample of a batch. The batch is n samples of
// dim elements each, stored one after the other; for sample i and each of its elements
//
//	dst = y + 0.5*grad - q[i]*(y - x) + s[i]*noise
//
// where grad is df/dy at y, x is the unscaled noisy input x_t, and noise is standard normal.
// y, grad, x, noise and dst all hold n*dim elements, q and s hold n. dst may alias y; the
// other inputs are not modified.
func LangevinStep(dst, y, grad, x, noise []float32, dim int, q, s []float32) error {
	n, err := batchSize("y", len(y), dim)
	if err != nil {
		return err
	}
	if err := sameLen("len(y)", len(y), lenOf{"dst", len(dst)}, lenOf{"grad", len(grad)}, lenOf{"x", len(x)}, lenOf{"noise", len(noise)}); err != nil {
		return err
	}
	if err := sameLen("one per sample", n, lenOf{"q", len(q)}, lenOf{"s", len(s)}); err != nil {
		return err
	}
	for i := range n {
		qi, si := q[i], s[i]
		lo, hi := i*dim, (i+1)*dim
		d := dst[lo:hi]
		yy, gg, xx, nn := y[lo:hi], grad[lo:hi], x[lo:hi], noise[lo:hi]
		yy, gg, xx, nn = yy[:len(d)], gg[:len(d)], xx[:len(d)], nn[:len(d)]
		for j := range d {
			v := yy[j]
			d[j] = v + 0.5*gg[j] - qi*(v-xx[j]) + si*nn[j]
		}
	}
	return nil
}

// ScaleBy multiplies sample i of x (dim elements) by c[i] into dst: with c = sqrt(m_t) it maps
// x_{t-1} to the scaled space y = sqrt(m_t) x_{t-1}. dst may alias x.
func ScaleBy(dst, x []float32, dim int, c []float32) error {
	n, err := batchSize("x", len(x), dim)
	if err != nil {
		return err
	}
	if err := sameLen("len(x)", len(x), lenOf{"dst", len(dst)}); err != nil {
		return err
	}
	if err := sameLen("one per sample", n, lenOf{"c", len(c)}); err != nil {
		return err
	}
	for i := range n {
		ci := c[i]
		lo, hi := i*dim, (i+1)*dim
		d, xx := dst[lo:hi], x[lo:hi]
		xx = xx[:len(d)]
		for j := range d {
			d[j] = ci * xx[j]
		}
	}
	return nil
}

// Unscale maps sample i of y (dim elements) back to the unscaled level t-1:
// dst = y / (sqrt(m[i]) + 1e-8), the reference code's guarded division. dst may alias y.
func Unscale(dst, y []float32, dim int, m []float32) error {
	n, err := batchSize("y", len(y), dim)
	if err != nil {
		return err
	}
	if err := sameLen("len(y)", len(y), lenOf{"dst", len(dst)}); err != nil {
		return err
	}
	if err := sameLen("one per sample", n, lenOf{"m", len(m)}); err != nil {
		return err
	}
	for i := range n {
		if !(m[i] >= 0) {
			return fmt.Errorf("infer: m[%d] = %v is not a non-negative number", i, m[i])
		}
	}
	for i := range n {
		inv := float32(1 / (math.Sqrt(float64(m[i])) + unscaleEps))
		lo, hi := i*dim, (i+1)*dim
		d, yy := dst[lo:hi], y[lo:hi]
		yy = yy[:len(d)]
		for j := range d {
			d[j] = yy[j] * inv
		}
	}
	return nil
}

// Denoise applies the final Tweedie step elementwise to level-0 samples x:
// dst = (x + OneMinusAbar0 * InScale * grad / ScoreDiv) / SqrtAbar0,
// where grad is df/dy at y = InScale * x with logSNR LogSNR. dst may alias x or grad.
func (tw Tweedie) Denoise(dst, x, grad []float32) error {
	if err := sameLen("len(x)", len(x), lenOf{"dst", len(dst)}, lenOf{"grad", len(grad)}); err != nil {
		return err
	}
	if !(tw.ScoreDiv > 0) || !(tw.SqrtAbar0 > 0) {
		return fmt.Errorf("infer: tweedie ScoreDiv %v and SqrtAbar0 %v must be positive", tw.ScoreDiv, tw.SqrtAbar0)
	}
	gs := float32(tw.OneMinusAbar0 * tw.InScale / tw.ScoreDiv)
	inv := float32(1 / tw.SqrtAbar0)
	x, grad = x[:len(dst)], grad[:len(dst)]
	for i := range dst {
		dst[i] = (x[i] + gs*grad[i]) * inv
	}
	return nil
}

// PerSample holds the per-sample constants of a batch in which sample i makes its own
// transition: the slices LangevinStep, ScaleBy and Unscale take, and the logSNR inputs and
// loss weights of the networks. Fill sets them all to the batch size.
type PerSample struct {
	LogSNRIn  []float32 // lambda_t: the initializer's conditioning
	LogSNROut []float32 // lambda_{t-1}: the EBM's conditioning
	M         []float32 // m_t, for Unscale
	SqrtM     []float32 // sqrt(m_t), for ScaleBy
	S         []float32 // Langevin noise std s_t
	Q         []float32 // Langevin pull towards x_t, q_t
	W         []float32 // EBM loss weight w_t
	InitStd   []float32 // initializer noise std sqrt(btilde_t m_t)
}

// Fill sets every slice of p to len(ts) entries, entry i from the transition whose T is ts[i].
// trs need only hold the transitions ts uses, in any order. Fill reuses the slices' capacity, so
// refilling a batch of the same size allocates nothing. On error p is left unchanged.
func (p *PerSample) Fill(trs []Transition, ts []int) error {
	for i, t := range ts {
		if find(trs, t) == nil {
			return fmt.Errorf("infer: sample %d has transition %d, which is not among the %d given", i, t, len(trs))
		}
	}
	n := len(ts)
	for _, f := range []*[]float32{&p.LogSNRIn, &p.LogSNROut, &p.M, &p.SqrtM, &p.S, &p.Q, &p.W, &p.InitStd} {
		if cap(*f) < n {
			*f = make([]float32, n)
		}
		*f = (*f)[:n]
	}
	for i, t := range ts {
		tr := find(trs, t)
		p.LogSNRIn[i] = float32(tr.LogSNRIn)
		p.LogSNROut[i] = float32(tr.LogSNROut)
		p.M[i] = float32(tr.M)
		p.SqrtM[i] = float32(math.Sqrt(tr.M))
		p.S[i] = float32(tr.S)
		p.Q[i] = float32(tr.Q)
		p.W[i] = float32(tr.W)
		p.InitStd[i] = float32(tr.InitStd)
	}
	return nil
}

// find returns the first transition of trs whose T is t, or nil. A schedule has a handful of
// transitions, so a scan is as fast as any index.
func find(trs []Transition, t int) *Transition {
	for i := range trs {
		if trs[i].T == t {
			return &trs[i]
		}
	}
	return nil
}

// batchSize returns the number of samples in size elements of dim each.
func batchSize(name string, size, dim int) (int, error) {
	if dim < 1 {
		return 0, fmt.Errorf("infer: dim %d is not positive", dim)
	}
	if size%dim != 0 {
		return 0, fmt.Errorf("infer: len(%s) = %d is not a multiple of dim %d", name, size, dim)
	}
	return size / dim, nil
}

// lenOf is a named slice length for sameLen.
type lenOf struct {
	name string
	n    int
}

// sameLen returns an error naming the first slice whose length is not want; why says where
// want comes from.
func sameLen(why string, want int, lens ...lenOf) error {
	for _, l := range lens {
		if l.n != want {
			return fmt.Errorf("infer: len(%s) = %d, want %d (%s)", l.name, l.n, want, why)
		}
	}
	return nil
}
