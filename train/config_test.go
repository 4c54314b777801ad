package train

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestValidateLevelWeights checks the errors for transition weights that cannot be used.
func TestValidateLevelWeights(t *testing.T) {
	cases := []struct {
		weights []float64
		want    string
	}{
		{[]float64{1, 2}, "want one weight per transition (6)"},
		{[]float64{1, 1, 1, -1, 1, 1}, "must be finite, >= 0 and not all 0"},
		{[]float64{0, 0, 0, 0, 0, 0}, "not all 0"},
		{[]float64{1, 1, 1, math.Inf(1), 1, 1}, "must be finite"},
	}
	for _, c := range cases {
		cfg := Defaults("mnist")
		cfg.LevelWeights = c.weights
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "--level-weights") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("weights %v: error %v; want one naming --level-weights and %q", c.weights, err, c.want)
		}
	}
	cfg := Defaults("mnist")
	cfg.LevelWeights = []float64{1, 1, 1, 3, 3, 3}
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid weights rejected: %v", err)
	}
}

// TestDrawTransition checks that transitions are drawn with the frequencies of the weights
// (and uniformly without weights), within 4 standard deviations of 60,000 draws.
func TestDrawTransition(t *testing.T) {
	for _, ws := range [][]float64{nil, {0, 1, 0, 0, 0, 3}, {1, 1, 1, 3, 3, 3}} {
		tr := &trainer{cfg: Config{Levels: 6, LevelWeights: ws}}
		rng := rand.New(rand.NewPCG(1, 2))
		const n = 60000
		count := make([]int, 7)
		for range n {
			count[tr.drawTransition(rng)]++
		}
		if count[0] != 0 {
			t.Fatalf("weights %v: drew transition 0", ws)
		}
		sum := 0.0
		for _, w := range ws {
			sum += w
		}
		for k := 1; k <= 6; k++ {
			p := 1.0 / 6
			if ws != nil {
				p = ws[k-1] / sum
			}
			got := float64(count[k]) / n
			if tol := 4 * math.Sqrt(p*(1-p)/n); math.Abs(got-p) > tol || (p == 0 && count[k] > 0) {
				t.Errorf("weights %v: transition %d drawn with frequency %.4f, want %.4f", ws, k, got, p)
			}
		}
	}
}
