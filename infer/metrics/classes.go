package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Accuracy returns the fraction of i with pred[i] == truth[i]. It returns an error when the
// slices are empty or differ in length.
func Accuracy(pred, truth []int) (float64, error) {
	if len(pred) != len(truth) {
		return 0, fmt.Errorf("metrics: accuracy: %d predictions for %d true labels", len(pred), len(truth))
	}
	if len(pred) == 0 {
		return 0, errors.New("metrics: accuracy: no labels")
	}
	right := 0
	for i, p := range pred {
		if p == truth[i] {
			right++
		}
	}
	return float64(right) / float64(len(pred)), nil
}

// Histogram returns the number of labels equal to each class 0..classes-1. It returns an
// error when classes is not positive or a label is outside 0..classes-1.
func Histogram(labels []int, classes int) ([]int, error) {
	if classes <= 0 {
		return nil, fmt.Errorf("metrics: histogram: %d classes, want at least 1", classes)
	}
	h := make([]int, classes)
	for i, l := range labels {
		if l < 0 || l >= classes {
			return nil, fmt.Errorf("metrics: histogram: label %d is %d, want 0..%d", i, l, classes-1)
		}
		h[l]++
	}
	return h, nil
}

// Confident returns the fraction of samples whose largest class probability exceeds
// threshold, for probs holding n rows of classes probabilities each: how many samples the
// classifier recognises with confidence (an MNIST classifier gives p > 0.9 to almost every real
// digit). Its errors are MeanMax's, and a threshold outside [0, 1) is one too.
func Confident(probs []float32, classes int, threshold float64) (float64, error) {
	if classes <= 0 {
		return 0, fmt.Errorf("metrics: confident: %d classes, want at least 1", classes)
	}
	if !(threshold >= 0 && threshold < 1) {
		return 0, fmt.Errorf("metrics: confident: threshold %g is outside [0, 1)", threshold)
	}
	n, err := pointSet("confident", "probs", probs, classes)
	if err != nil {
		return 0, err
	}
	k := 0
	for i := 0; i < n; i++ {
		if slices.Max(probs[i*classes:(i+1)*classes]) > float32(threshold) {
			k++
		}
	}
	return float64(k) / float64(n), nil
}

// MeanMax returns the mean over samples of the largest class probability, for probs holding
// n rows of classes probabilities each (a classifier's softmax output). Values near 1 mean
// the classifier is confident about the samples, as it is about real data; generated samples
// that are not recognisable digits score lower. It returns an error when classes is not
// positive, probs is empty or not a whole number of rows, or a value is not finite.
func MeanMax(probs []float32, classes int) (float64, error) {
	if classes <= 0 {
		return 0, fmt.Errorf("metrics: mean max: %d classes, want at least 1", classes)
	}
	n, err := pointSet("mean max", "probs", probs, classes)
	if err != nil {
		return 0, err
	}
	var s float64
	for i := 0; i < n; i++ {
		m := math.Inf(-1)
		for _, p := range probs[i*classes : (i+1)*classes] {
			m = math.Max(m, float64(p))
		}
		s += m
	}
	return s / float64(n), nil
}
