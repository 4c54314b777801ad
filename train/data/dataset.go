package data

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Dataset is a set of training samples held in memory.
//
// A Dataset is read-only once opened, so Batch may be called from several goroutines at once
// as long as each passes its own *rand.Rand.
type Dataset interface {
	// Name returns the canonical spec of the dataset (for example "toy2d:squares",
	// "mnist:/data/mnist" or "images:/data/faces@32x32"); passing it to Open or OpenSplit
	// opens the same data again.
	Name() string
	// Len returns the number of samples.
	Len() int
	// Shape returns the shape of one sample: [2] for 2D points, [C, H, W] for images.
	// The caller must not modify the returned slice.
	Shape() []int
	// Classes returns the user-facing class names, or nil when the data is unlabelled. The
	// internal class id of Classes()[i] is i+1; id 0 is the null (unconditional) class.
	// The caller must not modify the returned slice.
	Classes() []string
	// Batch fills x with n = len(x)/prod(Shape()) samples drawn by rng and, when labels is not
	// nil, labels[i] with the internal class id of sample i (0 when unlabelled). Samples are
	// drawn uniformly without replacement within each block of Len() consecutive batch entries
	// (so a batch no larger than the dataset holds distinct samples). Random augmentation, where
	// the dataset has any, also draws from rng. Batch returns an error when len(x) is not a
	// multiple of the sample size, when labels is neither nil nor of length n, or when rng is nil.
	Batch(x []float32, labels []int64, rng *rand.Rand) error
}

// Split selects the part of a dataset to open.
type Split string

// The splits OpenSplit accepts.
const (
	// Train is the training split.
	Train Split = "train"
	// Test is the held-out split: MNIST's t10k files, CIFAR-10's test_batch.bin, or for the 2D
	// toy sets a second pool drawn from a different fixed seed.
	Test Split = "test"
)

// ErrNoTestSplit is returned by OpenSplit for Test when the data has no held-out part
// (an images:DIR folder).
var ErrNoTestSplit = errors.New("data: no test split")

// Open opens the training split of the dataset named by spec; see OpenSplit.
func Open(spec string) (Dataset, error) {
	return OpenSplit(spec, Train)
}

// OpenSplit opens the given split of the dataset named by spec and loads it into memory.
// The accepted specs are:
//
//	toy2d                  the 8-squares checkerboard (same as toy2d:squares)
//	toy2d:NAME             a 2D toy set: squares, rings, moons or 8gaussians
//	mnist                  MNIST from the user cache folder filled by `make setup`
//	mnist:DIR              MNIST from the gz IDX files in DIR
//	cifar10:DIR            CIFAR-10 from the binary batches in DIR
//	images:DIR[@OPTS]      PNG and JPEG files in DIR; OPTS is a comma-separated list of
//	                       WIDTHxHEIGHT (the common size) and flip (random horizontal flips)
//
// See the package documentation for what each set holds.
func OpenSplit(spec string, split Split) (Dataset, error) {
	if split != Train && split != Test {
		return nil, fmt.Errorf("data: open %q: unknown split %q, want %q or %q", spec, split, Train, Test)
	}
	kind, arg, hasArg := strings.Cut(spec, ":")
	switch kind {
	case "toy2d":
		if !hasArg {
			arg = "squares"
		}
		return openToy(arg, split)
	case "mnist":
		if !hasArg {
			return openDefaultMNIST(split)
		}
		if arg == "" {
			return nil, errors.New(`data: open "mnist:": empty folder, want mnist or mnist:DIR`)
		}
		return openMNIST(arg, "mnist:"+arg, split, false)
	case "cifar10":
		if arg == "" {
			return nil, fmt.Errorf("data: open %q: want cifar10:DIR, the folder of the binary batches", spec)
		}
		return openCIFAR10(arg, split)
	case "images":
		if arg == "" {
			return nil, fmt.Errorf("data: open %q: want images:DIR[@WIDTHxHEIGHT][,flip]", spec)
		}
		if split == Test {
			return nil, fmt.Errorf("%w for %q: an image folder is a training set only", ErrNoTestSplit, spec)
		}
		return openImages(arg)
	}
	return nil, fmt.Errorf("data: open %q: unknown dataset, want toy2d[:squares|rings|moons|8gaussians], mnist[:DIR], cifar10:DIR or images:DIR", spec)
}

// batchSize checks the arguments of a Batch call against a sample size and returns the
// number of samples the call asks for.
func batchSize(name string, sampleSize int, x []float32, labels []int64, rng *rand.Rand) (int, error) {
	if rng == nil {
		return 0, fmt.Errorf("data: %s: batch: nil rng", name)
	}
	if len(x)%sampleSize != 0 {
		return 0, fmt.Errorf("data: %s: batch: x has %d values, not a multiple of the sample size %d", name, len(x), sampleSize)
	}
	n := len(x) / sampleSize
	if labels != nil && len(labels) != n {
		return 0, fmt.Errorf("data: %s: batch: labels has length %d, want %d (one per sample) or nil", name, len(labels), n)
	}
	return n, nil
}

// drawIndices fills idx with sample indices in [0, n) drawn by rng: uniformly without
// replacement within each block of n consecutive entries.
func drawIndices(idx []int, n int, rng *rand.Rand) {
	for start := 0; start < len(idx); start += n {
		drawDistinct(idx[start:min(start+n, len(idx))], n, rng)
	}
}

// drawDistinct fills dst (len(dst) <= n) with distinct indices in [0, n), each ordered
// selection being equally likely. Small draws reject repeats against a bit set; large ones run
// a partial Fisher-Yates shuffle.
func drawDistinct(dst []int, n int, rng *rand.Rand) {
	if 2*len(dst) <= n {
		seen := make([]uint64, (n+63)/64)
		for i := range dst {
			for {
				j := rng.IntN(n)
				word, bit := j>>6, uint64(1)<<(j&63)
				if seen[word]&bit == 0 {
					seen[word] |= bit
					dst[i] = j
					break
				}
			}
		}
		return
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := range dst {
		j := i + rng.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
		dst[i] = perm[i]
	}
}
