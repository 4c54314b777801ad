package metrics

import (
	"math"
	"strings"
	"testing"
)

// halves puts x < 0 in region 0 and x >= 0 in region 1 when |y| <= 1, else nowhere.
func halves(x, y float64) (int, bool) {
	if math.Abs(y) > 1 {
		return -1, false
	}
	if x < 0 {
		return 0, true
	}
	return 1, true
}

func TestToySquares(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name   string
		points []float32
		want   ToyReport
	}{
		{"all inside, even", []float32{-1, 0, 1, 0, -2, 0.5, 2, -0.5},
			ToyReport{Points: 4, Inside: 1, Counts: []int{2, 2}, Shares: []float64{0.5, 0.5}, MaxShareError: 0}},
		{"half inside, uneven", []float32{-1, 0, -3, 0, 5, 5, 0, 9},
			ToyReport{Points: 4, Inside: 0.5, Counts: []int{2, 0}, Shares: []float64{1, 0}, MaxShareError: 0.5}},
		{"none inside", []float32{0, 5, 0, -5},
			ToyReport{Points: 2, Inside: 0, Counts: []int{0, 0}, Shares: []float64{0, 0}, MaxShareError: 1}},
		{"non-finite counts as outside", []float32{nan, 0, 1, 0, float32(math.Inf(1)), 0, 1, 0.5},
			ToyReport{Points: 4, NonFinite: 2, Inside: 0.5, Counts: []int{0, 2}, Shares: []float64{0, 1}, MaxShareError: 0.5}},
	}
	for _, tc := range tests {
		got, err := ToySquares(tc.points, 2, halves)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.Points != tc.want.Points || got.NonFinite != tc.want.NonFinite || got.Inside != tc.want.Inside ||
			got.MaxShareError != tc.want.MaxShareError || !equalInts(got.Counts, tc.want.Counts) || !equalFloats(got.Shares, tc.want.Shares) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestToySquaresErrors(t *testing.T) {
	bad := func(x, y float64) (int, bool) { return 7, true }
	tests := []struct {
		name    string
		points  []float32
		regions int
		in      Membership
		want    string
	}{
		{"nil membership", []float32{0, 0}, 2, nil, "nil membership"},
		{"no regions", []float32{0, 0}, 0, halves, "0 regions"},
		{"empty", nil, 2, halves, "no points"},
		{"odd", []float32{0, 0, 1}, 2, halves, "odd length 3"},
		{"region out of range", []float32{0, 0}, 2, bad, "region 7, want 0..1"},
	}
	for _, tc := range tests {
		_, err := ToySquares(tc.points, tc.regions, tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "metrics: ") {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
