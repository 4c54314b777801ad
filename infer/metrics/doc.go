// Package metrics scores generated samples and detectors in pure Go: the geometry check of
// the 2D toy sets, two-sample distances, the Frechet distance between feature sets, AUROC and
// classifier summaries.
//
// # Overview
//
// ToySquares counts, for a batch of 2D points, the fraction that lands in the regions of a toy
// set and each region's share, with membership decided by a caller-supplied function; for the
// 8-squares set that is train/data.InSquares (cdrl-method.md 10.1). Taking the function
// keeps this package independent of train and keeps the geometry defined in one place.
//
// EnergyDistance (2 E|X-Y| - E|X-X'| - E|Y-Y'|) and MMD (squared maximum mean discrepancy with
// a Gaussian kernel, bandwidth from MedianBandwidth unless given) compare two sets of points of
// any dimension. Both are V-statistics over all pairs, so they are exactly 0 for identical sets,
// never negative, symmetric in their arguments, and cost O((n+m)^2 dim).
//
// MeanCov estimates a Gaussian (mean and unbiased covariance) from a set of feature vectors,
// FrechetGaussians gives the Frechet (2-Wasserstein) distance between two Gaussians,
// ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}), and Frechet does both for two feature sets,
// as FID does with Inception features (here: any classifier's penultimate layer, e.g.
// train/classifier). The trace of the matrix square root is computed as the sum of the square
// roots of the eigenvalues of sqrt(S1) S2 sqrt(S1), which is symmetric positive semi-definite,
// so no non-symmetric square root is ever formed.
//
// AUROC is the probability that a random positive scores above a random negative (ties count
// one half), computed from mid-ranks in O(n log n). Accuracy, Histogram and MeanMax summarise
// classifier outputs: the share of correct labels, the count per class, and the mean of each
// sample's largest class probability.
//
// # Invariants
//
// Inputs are never modified. Point sets are flat []float32 of n points of dim values each,
// point i at [i*dim, (i+1)*dim). Sums are accumulated in float64. No function draws random
// numbers, so results are deterministic.
//
// # Error handling
//
// Errors start with "metrics: " and name the argument that is wrong: a length that is not a
// multiple of dim, an empty set, a non-finite value, a label outside its range, mismatched
// sizes. Nothing panics on bad input.
package metrics
