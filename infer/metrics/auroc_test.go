package metrics

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestAUROC(t *testing.T) {
	tests := []struct {
		name     string
		pos, neg []float64
		want     float64
	}{
		{"separable", []float64{3, 4, 5}, []float64{0, 1, 2}, 1},
		{"reversed", []float64{0, 1}, []float64{2, 3, 4}, 0},
		{"identical", []float64{1, 2, 3}, []float64{1, 2, 3}, 0.5},
		{"all tied", []float64{7, 7}, []float64{7, 7, 7}, 0.5},
		// Pairs (p, n): 2>1, 2=2 (1/2), 2<3; 3>1, 3>2, 3=3 (1/2) -> (1 + 0.5 + 0 + 1 + 1 + 0.5)/6.
		{"ties by hand", []float64{2, 3}, []float64{1, 2, 3}, 4.0 / 6},
		// Pairs: 1 vs {0, 1, 1}: 1 + 0.5 + 0.5; 5 vs all: 3 -> 5/6.
		{"ties by hand 2", []float64{1, 5}, []float64{0, 1, 1}, 5.0 / 6},
		{"infinities", []float64{math.Inf(1)}, []float64{math.Inf(-1), 0}, 1},
	}
	for _, tc := range tests {
		got, err := AUROC(tc.pos, tc.neg)
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: got %v, %v, want %v", tc.name, got, err, tc.want)
		}
	}
}

// TestAUROCAgainstPairs compares the rank formula with the O(n m) definition on random
// scores with many ties, and checks AUROC(neg, pos) = 1 - AUROC(pos, neg).
func TestAUROCAgainstPairs(t *testing.T) {
	t.Logf("seed %d", testSeed)
	rng := rand.New(rand.NewPCG(testSeed, 5))
	for trial := 0; trial < 20; trial++ {
		pos := make([]float64, 1+rng.IntN(40))
		neg := make([]float64, 1+rng.IntN(40))
		for i := range pos {
			pos[i] = float64(rng.IntN(10)) + 1
		}
		for i := range neg {
			neg[i] = float64(rng.IntN(10))
		}
		var want float64
		for _, p := range pos {
			for _, n := range neg {
				switch {
				case p > n:
					want++
				case p == n:
					want += 0.5
				}
			}
		}
		want /= float64(len(pos) * len(neg))
		got, err := AUROC(pos, neg)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("trial %d: got %v, %v, want %v", trial, got, err, want)
		}
		rev, err := AUROC(neg, pos)
		if err != nil || math.Abs(rev-(1-want)) > 1e-12 {
			t.Errorf("trial %d: swapped sets give %v, %v, want %v", trial, rev, err, 1-want)
		}
	}
}

func TestAUROCErrors(t *testing.T) {
	tests := []struct {
		name     string
		pos, neg []float64
		want     string
	}{
		{"no positives", nil, []float64{1}, "no positive scores"},
		{"no negatives", []float64{1}, nil, "no negative scores"},
		{"nan positive", []float64{1, math.NaN()}, []float64{1}, "positive score 1 is NaN"},
		{"nan negative", []float64{1}, []float64{math.NaN()}, "negative score 0 is NaN"},
	}
	for _, tc := range tests {
		_, err := AUROC(tc.pos, tc.neg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestAUROCDoesNotModify checks that the inputs keep their order.
func TestAUROCDoesNotModify(t *testing.T) {
	pos, neg := []float64{3, 1, 2}, []float64{5, 0}
	if _, err := AUROC(pos, neg); err != nil {
		t.Fatal(err)
	}
	if pos[0] != 3 || pos[1] != 1 || pos[2] != 2 || neg[0] != 5 || neg[1] != 0 {
		t.Errorf("inputs modified: pos %v, neg %v", pos, neg)
	}
}
