package metrics

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func diag(v ...float64) *mat.SymDense {
	s := mat.NewSymDense(len(v), nil)
	for i, x := range v {
		s.SetSym(i, i, x)
	}
	return s
}

// randomSPD returns A A^T + eps I for a random dim x dim A.
func randomSPD(rng *rand.Rand, dim int, eps float64) *mat.SymDense {
	a := mat.NewDense(dim, dim, nil)
	for i := 0; i < dim; i++ {
		for j := 0; j < dim; j++ {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	s := mat.NewSymDense(dim, nil)
	s.SymOuterK(1, a)
	for i := 0; i < dim; i++ {
		s.SetSym(i, i, s.At(i, i)+eps)
	}
	return s
}

func TestFrechetGaussiansDiagonal(t *testing.T) {
	mu1, mu2 := []float64{0, 1, -2, 3}, []float64{1, 1, 0, -1}
	s1, s2 := []float64{1, 4, 0.25, 9}, []float64{4, 4, 1, 0}
	var want float64
	for k := range mu1 {
		dm, ds := mu1[k]-mu2[k], math.Sqrt(s1[k])-math.Sqrt(s2[k])
		want += dm*dm + ds*ds
	}
	got, err := FrechetGaussians(mu1, diag(s1...), mu2, diag(s2...))
	if err != nil || math.Abs(got-want) > 1e-12*want {
		t.Errorf("diagonal: got %v, %v, want %v", got, err, want)
	}
}

// TestFrechetGaussians2x2 uses the 2x2 identity Tr(M^{1/2}) = sqrt(Tr M + 2 sqrt(det M)) for a
// matrix M = S1 S2 with non-negative eigenvalues, on covariances that do not commute.
func TestFrechetGaussians2x2(t *testing.T) {
	s1 := mat.NewSymDense(2, []float64{2, 0.7, 0.7, 1})
	s2 := mat.NewSymDense(2, []float64{0.5, -0.3, -0.3, 3})
	var m mat.Dense
	m.Mul(s1, s2)
	tr := m.At(0, 0) + m.At(1, 1)
	det := mat.Det(&m)
	root := math.Sqrt(tr + 2*math.Sqrt(det))
	mu1, mu2 := []float64{1, 2}, []float64{-1, 0.5}
	want := 4 + 2.25 + (2 + 1) + (0.5 + 3) - 2*root
	got, err := FrechetGaussians(mu1, s1, mu2, s2)
	if err != nil || math.Abs(got-want) > 1e-12 {
		t.Errorf("2x2: got %v, %v, want %v", got, err, want)
	}
	back, err := FrechetGaussians(mu2, s2, mu1, s1)
	if err != nil || math.Abs(back-got) > 1e-12 {
		t.Errorf("2x2 swapped: got %v, %v, want %v", back, err, got)
	}
}

// TestFrechetGaussiansProperties checks, on random covariances in 8-D, that the distance of a
// Gaussian to itself is 0, that equal covariances leave only the mean term, symmetry, and
// invariance under a common rotation.
func TestFrechetGaussiansProperties(t *testing.T) {
	t.Logf("seed %d", testSeed)
	rng := rand.New(rand.NewPCG(testSeed, 6))
	const dim = 8
	for trial := 0; trial < 5; trial++ {
		s1, s2 := randomSPD(rng, dim, 0.1), randomSPD(rng, dim, 0)
		mu1, mu2 := make([]float64, dim), make([]float64, dim)
		var d2 float64
		for k := range mu1 {
			mu1[k], mu2[k] = rng.NormFloat64(), rng.NormFloat64()
			d2 += (mu1[k] - mu2[k]) * (mu1[k] - mu2[k])
		}
		if got, err := FrechetGaussians(mu1, s1, mu1, s1); err != nil || math.Abs(got) > 1e-9 {
			t.Errorf("trial %d: self distance %v, %v, want 0", trial, got, err)
		}
		if got, err := FrechetGaussians(mu1, s1, mu2, s1); err != nil || math.Abs(got-d2) > 1e-8*math.Max(1, d2) {
			t.Errorf("trial %d: equal covariances: got %v, %v, want %v", trial, got, err, d2)
		}
		ab, err := FrechetGaussians(mu1, s1, mu2, s2)
		if err != nil {
			t.Fatal(err)
		}
		ba, err := FrechetGaussians(mu2, s2, mu1, s1)
		if err != nil || math.Abs(ab-ba) > 1e-8*ab {
			t.Errorf("trial %d: not symmetric: %v vs %v (%v)", trial, ab, ba, err)
		}
		// A random rotation Q from the QR decomposition of a Gaussian matrix.
		g := mat.NewDense(dim, dim, nil)
		for i := 0; i < dim; i++ {
			for j := 0; j < dim; j++ {
				g.Set(i, j, rng.NormFloat64())
			}
		}
		var qr mat.QR
		qr.Factorize(g)
		var q mat.Dense
		qr.QTo(&q)
		rot := func(s *mat.SymDense) *mat.SymDense {
			var tmp, r mat.Dense
			tmp.Mul(&q, s)
			r.Mul(&tmp, q.T())
			out := mat.NewSymDense(dim, nil)
			for i := 0; i < dim; i++ {
				for j := i; j < dim; j++ {
					out.SetSym(i, j, (r.At(i, j)+r.At(j, i))/2)
				}
			}
			return out
		}
		rotv := func(v []float64) []float64 {
			var r mat.VecDense
			r.MulVec(&q, mat.NewVecDense(dim, append([]float64(nil), v...)))
			return r.RawVector().Data
		}
		rr, err := FrechetGaussians(rotv(mu1), rot(s1), rotv(mu2), rot(s2))
		if err != nil || math.Abs(rr-ab) > 1e-8*ab {
			t.Errorf("trial %d: rotated %v, original %v (%v)", trial, rr, ab, err)
		}
	}
}

// TestFrechetGaussiansSingular accepts rank-deficient covariances (a point mass is N(mu, 0)).
func TestFrechetGaussiansSingular(t *testing.T) {
	got, err := FrechetGaussians([]float64{0, 0}, diag(0, 0), []float64{3, 4}, diag(4, 0))
	if err != nil || math.Abs(got-(25+4)) > 1e-12 {
		t.Errorf("singular: got %v, %v, want 29", got, err)
	}
}

func TestMeanCov(t *testing.T) {
	mean, cov, err := MeanCov([]float32{0, 0, 2, 0, 0, 2, 2, 2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if mean[0] != 1 || mean[1] != 1 {
		t.Errorf("mean %v, want [1 1]", mean)
	}
	want := [][]float64{{4.0 / 3, 0}, {0, 4.0 / 3}}
	for i := range want {
		for j := range want[i] {
			if math.Abs(cov.At(i, j)-want[i][j]) > 1e-12 {
				t.Errorf("cov(%d,%d) = %v, want %v", i, j, cov.At(i, j), want[i][j])
			}
		}
	}
	// Perfectly correlated coordinates: x = (t, 2t) for t = 1, 2, 3: var t = 1.
	_, cov, err = MeanCov([]float32{1, 2, 2, 4, 3, 6}, 2)
	if err != nil || cov.At(0, 0) != 1 || cov.At(0, 1) != 2 || cov.At(1, 0) != 2 || cov.At(1, 1) != 4 {
		t.Errorf("correlated: cov %v, %v, want [[1 2] [2 4]]", mat.Formatted(cov), err)
	}
}

// TestFrechetSampled fits Gaussians to large samples of two known Gaussians and compares with
// the exact distance of the true parameters.
func TestFrechetSampled(t *testing.T) {
	t.Logf("seed %d", testSeed)
	rng := rand.New(rand.NewPCG(testSeed, 7))
	const n = 40000
	// a ~ N((0, 0), diag(1, 4)); b ~ N((1, -1), diag(9, 0.25)).
	a, b := make([]float32, 2*n), make([]float32, 2*n)
	for i := 0; i < n; i++ {
		a[2*i], a[2*i+1] = float32(rng.NormFloat64()), float32(2*rng.NormFloat64())
		b[2*i], b[2*i+1] = float32(1+3*rng.NormFloat64()), float32(-1+0.5*rng.NormFloat64())
	}
	want := 1.0 + 1 + (1-3)*(1-3) + (2-0.5)*(2-0.5) // 8.25
	got, err := Frechet(a, b, 2)
	if err != nil || math.Abs(got-want) > 0.1 {
		t.Errorf("sampled: got %v, %v, want about %v", got, err, want)
	}
	same, err := Frechet(a, a, 2)
	if err != nil || same > 1e-9 {
		t.Errorf("sampled, same set: got %v, %v, want 0", same, err)
	}
}

func TestFrechetErrors(t *testing.T) {
	notPSD := mat.NewSymDense(2, []float64{1, 2, 2, 1}) // eigenvalues 3 and -1
	nanCov := mat.NewSymDense(2, []float64{1, math.NaN(), math.NaN(), 1})
	tests := []struct {
		name string
		f    func() error
		want string
	}{
		{"mean lengths", func() error {
			_, err := FrechetGaussians([]float64{0}, diag(1), []float64{0, 0}, diag(1, 1))
			return err
		}, "means of length 1 and 2"},
		{"cov size", func() error {
			_, err := FrechetGaussians([]float64{0, 0}, diag(1), []float64{0, 0}, diag(1, 1))
			return err
		}, "covariance 1 is 1x1"},
		{"empty", func() error { _, err := FrechetGaussians(nil, diag(1), nil, diag(1)); return err }, "empty mean"},
		{"nil cov", func() error { _, err := FrechetGaussians([]float64{0}, nil, []float64{0}, diag(1)); return err }, "nil covariance"},
		{"not psd", func() error {
			_, err := FrechetGaussians([]float64{0, 0}, notPSD, []float64{0, 0}, diag(1, 1))
			return err
		}, "not positive semi-definite"},
		{"nan cov", func() error {
			_, err := FrechetGaussians([]float64{0, 0}, diag(1, 1), []float64{0, 0}, nanCov)
			return err
		}, "covariance 2: entry (0, 1) is NaN"},
		{"nan mean", func() error {
			_, err := FrechetGaussians([]float64{math.NaN(), 0}, diag(1, 1), []float64{0, 0}, diag(1, 1))
			return err
		}, "non-finite"},
		{"one point", func() error { _, err := Frechet([]float32{1, 2}, []float32{1, 2, 3, 4}, 2); return err }, "set a: metrics: mean and covariance: 1 point"},
		{"ragged", func() error { _, err := Frechet([]float32{1, 2, 3, 4}, []float32{1, 2, 3}, 2); return err }, "not a multiple of dim 2"},
		{"dim", func() error { _, _, err := MeanCov([]float32{1, 2}, 0); return err }, "dim 0"},
	}
	for _, tc := range tests {
		err := tc.f()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "metrics: ") {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func BenchmarkFrechet(b *testing.B) {
	for _, size := range []struct {
		name   string
		n, dim int
	}{{"small", 1000, 16}, {"medium", 2000, 128}, {"large", 5000, 256}} {
		b.Run(size.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(testSeed, 8))
			x := gaussianSet(rng, size.n, size.dim, 0)
			y := gaussianSet(rng, size.n, size.dim, 1)
			for b.Loop() {
				if _, err := Frechet(x, y, size.dim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
