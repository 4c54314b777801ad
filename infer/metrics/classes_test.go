package metrics

import (
	"math"
	"strings"
	"testing"
)

func TestAccuracy(t *testing.T) {
	got, err := Accuracy([]int{1, 2, 3, 4}, []int{1, 0, 3, 0})
	if err != nil || got != 0.5 {
		t.Errorf("got %v, %v, want 0.5", got, err)
	}
	if _, err := Accuracy([]int{1}, []int{1, 2}); err == nil || !strings.Contains(err.Error(), "1 predictions for 2 true labels") {
		t.Errorf("length mismatch: got error %v", err)
	}
	if _, err := Accuracy(nil, nil); err == nil || !strings.Contains(err.Error(), "no labels") {
		t.Errorf("empty: got error %v", err)
	}
}

func TestHistogram(t *testing.T) {
	got, err := Histogram([]int{0, 2, 2, 9, 2}, 10)
	if err != nil || !equalInts(got, []int{1, 0, 3, 0, 0, 0, 0, 0, 0, 1}) {
		t.Errorf("got %v, %v", got, err)
	}
	if got, err := Histogram(nil, 3); err != nil || !equalInts(got, []int{0, 0, 0}) {
		t.Errorf("no labels: got %v, %v, want zeros", got, err)
	}
	if _, err := Histogram([]int{0, 10}, 10); err == nil || !strings.Contains(err.Error(), "label 1 is 10, want 0..9") {
		t.Errorf("out of range: got error %v", err)
	}
	if _, err := Histogram([]int{0}, 0); err == nil || !strings.Contains(err.Error(), "0 classes") {
		t.Errorf("no classes: got error %v", err)
	}
}

func TestMeanMax(t *testing.T) {
	got, err := MeanMax([]float32{0.1, 0.9, 0.5, 0.5, 1, 0}, 2)
	if err != nil || math.Abs(got-0.8) > 1e-7 {
		t.Errorf("got %v, %v, want 0.8", got, err)
	}
	tests := []struct {
		name    string
		probs   []float32
		classes int
		want    string
	}{
		{"no classes", []float32{1}, 0, "0 classes"},
		{"empty", nil, 2, "is empty"},
		{"ragged", []float32{1, 0, 1}, 2, "not a multiple"},
		{"nan", []float32{float32(math.NaN()), 1}, 2, "is NaN"},
	}
	for _, tc := range tests {
		_, err := MeanMax(tc.probs, tc.classes)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestConfident(t *testing.T) {
	probs := []float32{0.05, 0.95, 0.5, 0.5, 1, 0, 0.9, 0.1}
	for _, c := range []struct {
		threshold, want float64
	}{{0.9, 0.5}, {0.5, 0.75}, {0, 1}, {0.99, 0.25}} {
		if got, err := Confident(probs, 2, c.threshold); err != nil || got != c.want {
			t.Errorf("threshold %g: got %v, %v, want %v", c.threshold, got, err, c.want)
		}
	}
	for _, tc := range []struct {
		name      string
		probs     []float32
		threshold float64
		want      string
	}{
		{"empty", nil, 0.9, "is empty"},
		{"ragged", []float32{1, 0, 1}, 0.9, "not a multiple"},
		{"nan", []float32{float32(math.NaN()), 1}, 0.9, "is NaN"},
		{"threshold 1", []float32{1, 0}, 1, "outside [0, 1)"},
		{"threshold nan", []float32{1, 0}, math.NaN(), "outside [0, 1)"},
	} {
		if _, err := Confident(tc.probs, 2, tc.threshold); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
