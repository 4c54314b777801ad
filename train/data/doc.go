// Package data provides the training datasets of cdrl-go: the 2D toy sets, MNIST, CIFAR-10
// and folders of PNG/JPEG images, opened from the spec strings of `cdrl-train --data`.
//
// # Overview
//
// Open (or OpenSplit, for the held-out split) parses a spec, loads the whole dataset into
// memory once and returns a Dataset. Dataset.Batch then fills a caller-owned []float32 with a
// batch drawn by the caller's *rand.Rand, so a run that seeds its one source reproduces its
// batches exactly; nothing in this package uses a global random source.
//
// Batches are drawn without replacement within each batch (within each block of Len() entries
// when a batch is larger than the dataset) and independently from batch to batch. This keeps
// Batch stateless, so a resumed run needs only its rng state, and it follows the official toy
// code, where each iteration takes its 2,500 points without replacement from a fixed pool.
//
// # Data range, shapes and labels
//
// Images are NCHW float32 in [-1, 1] (an 8-bit value v becomes v/127.5 - 1). Points are
// (x, y) pairs in the data's own, unnormalised coordinates. Labels are internal class ids:
// user class i (Classes()[i]) has id i+1 and id 0 is the null class used by classifier-free
// guidance; unlabelled data gives 0 for every sample.
//
// # The sets
//
// toy2d:squares (also plain toy2d) is the 8-squares checkerboard of the official toy code:
// 8 squares [x0, x0+1] x [y0, y0+1] scaled by 4, with lower-left corners (1,0), (0,1), (0,-1),
// (1,-2), (-1,-2), (-2,-1), (-1,0), (-2,1), that is the 4x4 cells of [-8, 8]^2 with
// floor(x/4) + floor(y/4) odd; a point is a square picked uniformly, then x and y uniform
// inside it. InSquares and SampleSquares give evaluation code the true support and fresh true
// samples. The other toy sets are the usual ones of the flow and EBM literature (FFJORD's
// definitions, which fill about [-4, 4]^2), doubled to fill about [-8, 8]^2 like the squares:
//
//	rings       four concentric circles of radii 6, 4.5, 3 and 1.5, noise sd 0.16
//	moons       two interleaving half circles: the unit moons with noise sd 0.1, mapped by
//	            p -> 4p - (2, 0.4) (so noise sd 0.4, x in about [-6, 6], y in about [-2.4, 3.6])
//	8gaussians  8 Gaussians of sd 0.71 centred at radius 5.66 in the directions k*45 degrees
//
// Each toy set is a fixed pool of ToyPoolSize points drawn once at Open from a fixed seed
// (PCG(1, 0) for Train, PCG(2, 0) for Test), independent of the run's rng; the run's rng only
// picks the points of each batch. Toy sets are unlabelled.
//
// mnist reads train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz (Test: the t10k
// files) from DefaultMNISTDir, the user cache folder that `make setup` fills, or from DIR for
// mnist:DIR. Samples are [1, 28, 28], classes "0".."9", no flips (digits are not mirror
// symmetric).
//
// cifar10:DIR reads the binary batches data_batch_1.bin .. data_batch_5.bin (Test:
// test_batch.bin) from DIR or from DIR/cifar-10-batches-bin; each record is a label byte and
// 3x32x32 CHW pixels. Class names come from batches.meta.txt when present, else the standard
// ten. The training split mirrors each drawn image left-right with probability 1/2 (the
// method's CIFAR augmentation); the test split does not.
//
// images:DIR[@OPTS] reads the .png, .jpg and .jpeg files of DIR (names starting with '.' are
// skipped). Files directly in DIR make an unlabelled set; otherwise each subfolder of DIR is a
// class (classes sorted by folder name, each folder searched recursively); a folder with both
// is an error. OPTS is a comma-separated list of WIDTHxHEIGHT, the common size (default: the
// size of the first image in name order), and flip, random horizontal flips as for CIFAR-10;
// for example images:faces@32x32,flip. When the text after the last '@' is not a valid option
// list and the whole argument names an existing folder, it is taken as the folder. Every image
// is brought to the common size with imaging.Fill (Lanczos resampling to cover the size, then
// a centred crop, so aspect ratios are kept), JPEG EXIF orientation is applied and transparency
// is composited onto black. The set has 1 channel when every image is grey (R = G = B at every
// pixel), else 3 (RGB). There is no test split (ErrNoTestSplit).
//
// # Memory
//
// Image sets are stored as 8-bit pixels and converted to float32 per batch through a lookup
// table: MNIST's training split takes 47 MB instead of the 188 MB of float32 storage, CIFAR-10's
// 154 MB instead of 614 MB, and the conversion costs little next to a training step.
//
// # Error handling
//
// Open and OpenSplit validate everything they read and return errors prefixed "data:" that
// name the file and what was expected: IDX magic numbers, dimensions and value counts, the
// gzip checksum, MNIST label ranges, CIFAR record sizes and labels, undecodable images.
// Errors from missing files wrap fs.ErrNotExist; for the default MNIST folder the message adds
// the hint to run `make setup`. Batch and SampleSquares return an error, never panic, when the
// slices they are given do not fit.
package data
