package nn

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

func TestScopeNames(t *testing.T) {
	g := graphs.New("names")
	s := Scope{G: g, Prefix: "ebm", Rng: newTestRand(t)}
	tests := []struct {
		s    Scope
		name string
		want string
	}{
		{s, "w", "ebm/w"},
		{s.Sub("block0").Sub("conv1"), "w", "ebm/block0/conv1/w"},
		{Scope{G: g}, "w", "w"},
		{Scope{G: g}.Sub("lin"), "b", "lin/b"},
	}
	for _, tc := range tests {
		if got := tc.s.Name(tc.name); got != tc.want {
			t.Errorf("Name(%q) in %q = %q, want %q", tc.name, tc.s.Prefix, got, tc.want)
		}
	}
	p := s.Sub("block0").Param("w", []int{2}, Zeros())
	if got := p.Name(); got != "ebm/block0/w" {
		t.Errorf("param name %q, want ebm/block0/w", got)
	}
}

func TestParamInit(t *testing.T) {
	rng := newTestRand(t)
	g := graphs.New("init")
	s := Scope{G: g, Rng: rng}
	const n = 4000
	tests := []struct {
		name      string
		init      Init
		mean, std float64 // expected moments
		bound     float64 // |value| <= bound (0: no check)
	}{
		{"zeros", Zeros(), 0, 0, 0},
		{"ones", Ones(), 1, 0, 1},
		{"uniform", Uniform(9), 0, 1 / 3.0 / math.Sqrt(3), 1 / 3.0},
		{"normal", Normal(0.5), 0, 0.5, 0},
	}
	for _, tc := range tests {
		v := paramValue(t, g, s.Param(tc.name, []int{n}, tc.init).Name()).Float32
		var sum, sq float64
		for _, x := range v {
			sum += float64(x)
			sq += float64(x) * float64(x)
			if tc.bound > 0 && math.Abs(float64(x)) > tc.bound {
				t.Fatalf("%s: value %g outside ±%g", tc.name, x, tc.bound)
			}
		}
		mean := sum / n
		std := math.Sqrt(sq/n - mean*mean)
		if math.Abs(mean-tc.mean) > 0.05 || math.Abs(std-tc.std) > 0.05*tc.std+1e-9 {
			t.Errorf("%s: mean %.4f std %.4f, want %.4f and %.4f", tc.name, mean, std, tc.mean, tc.std)
		}
	}
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestParamDeterministic(t *testing.T) {
	build := func(seed int64) []float32 {
		g := graphs.New("det")
		s := Scope{G: g, Prefix: "m", Rng: rand.New(rand.NewSource(seed))}
		s.Sub("a").Param("w", []int{3, 2}, Uniform(2))
		s.Sub("b").Param("w", []int{4}, Normal(1))
		return append(append([]float32{}, paramValue(t, g, "m/a/w").Float32...), paramValue(t, g, "m/b/w").Float32...)
	}
	a, b, c := build(1), build(1), build(2)
	for k := range a {
		if a[k] != b[k] {
			t.Fatalf("same seed, value %d: %g vs %g", k, a[k], b[k])
		}
	}
	same := true
	for k := range a {
		same = same && a[k] == c[k]
	}
	if same {
		t.Error("different seeds gave the same parameters")
	}
}

func TestParamErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(g *graphs.Graph)
		want  string
	}{
		{"nil rng", func(g *graphs.Graph) { Scope{G: g}.Param("w", []int{2}, Uniform(2)) }, "needs Scope.Rng"},
		{"bad fan-in", func(g *graphs.Graph) { Scope{G: g, Rng: rand.New(rand.NewSource(1))}.Param("w", []int{2}, Uniform(0)) }, "positive fan-in"},
		{"unknown dim", func(g *graphs.Graph) { Scope{G: g}.Param("w", []int{-1, 2}, Zeros()) }, "unknown dimension"},
		{"duplicate", func(g *graphs.Graph) {
			s := Scope{G: g}
			s.Param("w", []int{2}, Zeros())
			s.Param("w", []int{2}, Zeros())
		}, "used twice"},
		{"other graph", func(g *graphs.Graph) {
			x := graphs.Input(g, "x", tensor.Float32, -1, 3)
			GroupNorm(Scope{G: graphs.New("other")}, x, 1, 1e-5)
		}, "not the input's graph"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			tc.build(g)
			wantErr(t, g, tc.want)
		})
	}
	if v := (Scope{}).Param("w", []int{1}, Zeros()); v != nil {
		t.Errorf("param without a graph = %v, want nil", v)
	}
}

func TestNilInputs(t *testing.T) {
	s := Scope{G: graphs.New("nil"), Rng: rand.New(rand.NewSource(1))}
	results := map[string]*graphs.Value{
		"SiLU":              SiLU(nil),
		"Linear":            Linear(nil, nil, nil),
		"Dense":             Dense(s, nil, 3, DenseOpts{}),
		"Conv2D":            Conv2D(s, nil, 3, 3, Conv2DOpts{}),
		"GroupNormalize":    GroupNormalize(nil, nil, nil, 1, 1e-5),
		"GroupNorm":         GroupNorm(s, nil, 1, 1e-5),
		"TimeEmbedding":     TimeEmbedding(nil, 8),
		"Attention":         Attention(nil, nil, nil),
		"AttentionBlock":    AttentionBlock(nil, AttentionWeights{}, 1, 1e-6),
		"SelfAttention":     SelfAttention(s, nil, 1),
		"AvgPool2x2":        AvgPool2x2(nil),
		"Upsample2x":        Upsample2x(nil),
		"SpectralNormalize": SpectralNormalize(nil, nil, nil),
	}
	for name, v := range results {
		if v != nil {
			t.Errorf("%s(nil) = %v, want nil", name, v)
		}
	}
	if err := s.G.Err(); err != nil {
		t.Errorf("nil inputs recorded %v", err)
	}
}

func TestScopeReuse(t *testing.T) {
	g := graphs.New("reuse")
	x := graphs.Input(g, "x", tensor.Float32, -1, 3)
	s := Scope{G: g, Rng: rand.New(rand.NewSource(1))}
	a := Dense(s.Sub("d"), x, 2, DenseOpts{Bias: true, Spectral: true})
	s.Reuse = true
	Dense(s.Sub("d"), a, 2, DenseOpts{Bias: true, Spectral: true})
	if err := g.Err(); err == nil {
		t.Fatal("reusing a (3->2) weight on a 2-wide input must fail")
	} else if !strings.Contains(err.Error(), "reused with shape") {
		t.Errorf("error %v, want one about the reused shape", err)
	}
	g2 := graphs.New("reuse2")
	x2 := graphs.Input(g2, "x", tensor.Float32, -1, 2)
	s2 := Scope{G: g2, Rng: rand.New(rand.NewSource(1))}
	y := Dense(s2.Sub("d"), x2, 2, DenseOpts{Bias: true, Spectral: true})
	s2.Reuse = true
	Dense(s2.Sub("d"), y, 2, DenseOpts{Bias: true, Spectral: true})
	if err := g2.Err(); err != nil {
		t.Fatal(err)
	}
	if got := len(g2.Params()); got != 2 {
		t.Errorf("params %d, want 2 (w and b shared)", got)
	}
	if got := len(g2.Inputs()); got != 3 {
		t.Errorf("inputs %d, want 3 (x and one u, v pair)", got)
	}
}
