package optim

import (
	"math"
	"testing"
)

func TestEffectiveDecay(t *testing.T) {
	for _, tc := range []struct {
		decay float64
		n     int64
		want  float64
	}{
		{0.9999, 1, 2.0 / 11},
		{0.9999, 2, 3.0 / 12},
		{0.9999, 3, 4.0 / 13},
		// (1+n)/(10+n) reaches 0.9999 at n = 89990 and 0.999 at n = 8990.
		{0.9999, 89989, 89990.0 / 89999},
		{0.9999, 89991, 0.9999},
		{0.999, 8989, 8990.0 / 8999},
		{0.999, 8991, 0.999},
		{0.5, 7, 8.0 / 17},
		{0.5, 8, 0.5},
		{0.5, 9, 0.5},
		{0, 1, 0},
	} {
		if got := EffectiveDecay(tc.decay, tc.n); got != tc.want {
			t.Errorf("EffectiveDecay(%v, %d) = %v, want %v", tc.decay, tc.n, got, tc.want)
		}
	}
}

// Three updates with decay 0.3 from the shadow (1, -1), whose effective decays are 2/11, 3/12
// and 0.3 (the cap, below 4/13):
//
//	params (2, 0): s = 1 - (9/11)(1-2) = 20/11,          -1 - (9/11)(-1) = -2/11
//	params (2, 0): s = 20/11 - 0.75(20/11-2) = 21.5/11,  -2/11 - 0.75(-2/11) = -0.5/11
//	params (0, 0): s = 0.3 * 21.5/11 = 6.45/11,          0.3 * (-0.5/11) = -0.15/11
func TestEMAUpdate(t *testing.T) {
	p := [][]float32{{1, -1}}
	e, err := NewEMA(0.3, p)
	if err != nil {
		t.Fatal(err)
	}
	p[0][0] = 5 // the shadow is a copy
	steps := []struct {
		params [][]float32
		want   []float64
	}{
		{[][]float32{{2, 0}}, []float64{20.0 / 11, -2.0 / 11}},
		{[][]float32{{2, 0}}, []float64{21.5 / 11, -0.5 / 11}},
		{[][]float32{{0, 0}}, []float64{6.45 / 11, -0.15 / 11}},
	}
	for k, s := range steps {
		if err := e.Update(s.params); err != nil {
			t.Fatal(err)
		}
		got := [][]float32{{0, 0}}
		if err := e.CopyTo(got); err != nil {
			t.Fatal(err)
		}
		for j, w := range s.want {
			if !near(got[0][j], w, 1e-6) {
				t.Errorf("update %d: shadow[%d] = %.9g, want %.9g", k+1, j, got[0][j], w)
			}
		}
	}
	if st := e.State(); st.Updates != 3 {
		t.Errorf("updates %d, want 3", st.Updates)
	}
	if got := e.Decay(); got != 0.3 {
		t.Errorf("Decay() = %v, want 0.3", got)
	}
}

func TestEMAErrors(t *testing.T) {
	for _, d := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := NewEMA(d, nil); err == nil {
			t.Errorf("NewEMA(%v): no error, want one", d)
		}
	}
	if _, err := NewEMA(1.5, nil); err == nil || err.Error() != "optim: ema: decay 1.5 outside [0, 1]" {
		t.Errorf("NewEMA(1.5) error %v, want %q", err, "optim: ema: decay 1.5 outside [0, 1]")
	}
	e, err := NewEMA(0.9, [][]float32{{1, 2}, {3}})
	if err != nil {
		t.Fatal(err)
	}
	before := e.State()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"update count", e.Update([][]float32{{1, 2}}), "optim: ema: params has 1 tensors, shadow has 2"},
		{"update size", e.Update([][]float32{{1, 2}, {3, 4}}), "optim: ema: tensor 1: params has 2 values, shadow has 1"},
		{"copy size", e.CopyTo([][]float32{{1}, {3}}), "optim: ema: tensor 0: dst has 1 values, shadow has 2"},
		{"state updates", e.SetState(EMAState{Updates: -1, Shadow: [][]float32{{1, 2}, {3}}}), "optim: ema: state updates -1 is negative"},
		{"state layout", e.SetState(EMAState{Updates: 1, Shadow: [][]float32{{1, 2}}}), "optim: ema: state shadow has 1 tensors, shadow has 2"},
	} {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.name, tc.err, tc.want)
		}
	}
	if st := e.State(); st.Updates != before.Updates || sameBits(st.Shadow, before.Shadow) != "" {
		t.Errorf("state changed by failed calls: %+v, want %+v", st, before)
	}
}

func BenchmarkEMAUpdate(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			e, err := NewEMA(0.9999, benchLayout(sz.n, 1))
			if err != nil {
				b.Fatal(err)
			}
			p := benchLayout(sz.n, 2)
			b.SetBytes(int64(12 * sz.n)) // reads shadow and params, writes shadow
			for b.Loop() {
				if err := e.Update(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
