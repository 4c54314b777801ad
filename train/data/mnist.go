package data

import (
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MNIST file names, as published and as `make setup` stores them.
const (
	mnistTrainImages = "train-images-idx3-ubyte.gz"
	mnistTrainLabels = "train-labels-idx1-ubyte.gz"
	mnistTestImages  = "t10k-images-idx3-ubyte.gz"
	mnistTestLabels  = "t10k-labels-idx1-ubyte.gz"
	mnistSide        = 28
)

// idxUbyte is the IDX type code of unsigned bytes, the third byte of the magic number.
const idxUbyte = 0x08

// idxMaxValues bounds the values an IDX header may announce (1 GiB), so that a corrupt header
// is reported instead of exhausting memory.
const idxMaxValues = 1 << 30

// DefaultMNISTDir returns the folder that `make setup` fills with the MNIST files and that the
// spec "mnist" reads: os.UserCacheDir()/cdrl-go/mnist.
func DefaultMNISTDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("data: mnist: locate the user cache folder: %w", err)
	}
	return filepath.Join(cache, "cdrl-go", "mnist"), nil
}

func openDefaultMNIST(split Split) (Dataset, error) {
	dir, err := DefaultMNISTDir()
	if err != nil {
		return nil, err
	}
	return openMNIST(dir, "mnist", split, true)
}

// openMNIST reads one split of MNIST from dir. When isDefault is set, a missing file adds the
// hint to run `make setup`.
func openMNIST(dir, name string, split Split, isDefault bool) (Dataset, error) {
	imagesFile, labelsFile := mnistTrainImages, mnistTrainLabels
	if split == Test {
		imagesFile, labelsFile = mnistTestImages, mnistTestLabels
	}
	imagesPath, labelsPath := filepath.Join(dir, imagesFile), filepath.Join(dir, labelsFile)
	dims, pix, err := readIDX(imagesPath, 3)
	if err == nil && (dims[1] != mnistSide || dims[2] != mnistSide) {
		err = fmt.Errorf("data: mnist: %s holds %dx%d images, want %dx%d", imagesPath, dims[1], dims[2], mnistSide, mnistSide)
	}
	if err != nil {
		return nil, mnistHint(err, dir, isDefault)
	}
	ldims, raw, err := readIDX(labelsPath, 1)
	if err != nil {
		return nil, mnistHint(err, dir, isDefault)
	}
	if ldims[0] != dims[0] {
		return nil, fmt.Errorf("data: mnist: %s holds %d labels but %s holds %d images", labelsPath, ldims[0], imagesPath, dims[0])
	}
	if dims[0] == 0 {
		return nil, fmt.Errorf("data: mnist: %s holds no images", imagesPath)
	}
	labels := make([]int64, len(raw))
	for i, l := range raw {
		if l > 9 {
			return nil, fmt.Errorf("data: mnist: %s: label %d of sample %d, want a digit 0..9", labelsPath, l, i)
		}
		labels[i] = int64(l) + 1
	}
	return &pixelSet{
		name:    name,
		shape:   []int{1, mnistSide, mnistSide},
		pix:     pix,
		labels:  labels,
		classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
	}, nil
}

func mnistHint(err error, dir string, isDefault bool) error {
	if isDefault && errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w; run `make setup` to fetch MNIST into %s, or pass mnist:DIR", err, dir)
	}
	return err
}

// readIDX reads a gzip-compressed IDX file of unsigned bytes with ndims dimensions and returns
// its dimensions and values. It checks the magic number, that the data holds exactly the
// number of values the header announces, and the gzip checksum.
func readIDX(path string, ndims int) (dims []int, values []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("data: mnist: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("data: mnist: %s: not a gzip file: %w", path, err)
	}
	header := make([]byte, 4*(1+ndims))
	if _, err := io.ReadFull(zr, header); err != nil {
		return nil, nil, fmt.Errorf("data: mnist: %s: read the %d-byte IDX header: %w", path, len(header), err)
	}
	magic := binary.BigEndian.Uint32(header)
	if want := uint32(idxUbyte)<<8 | uint32(ndims); magic != want {
		return nil, nil, fmt.Errorf("data: mnist: %s: magic number 0x%08x, want 0x%08x (IDX, unsigned bytes, %d dimensions)", path, magic, want, ndims)
	}
	dims = make([]int, ndims)
	total := uint64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(header[4*(i+1):])
		dims[i] = int(d)
		total *= uint64(d)
		if total > idxMaxValues {
			return nil, nil, fmt.Errorf("data: mnist: %s: header announces dimensions %v..., more than %d values", path, dims[:i+1], idxMaxValues)
		}
	}
	values, err = io.ReadAll(io.LimitReader(zr, int64(total)+1))
	if err != nil {
		return nil, nil, fmt.Errorf("data: mnist: %s: %w", path, err)
	}
	if got := uint64(len(values)); got < total {
		return nil, nil, fmt.Errorf("data: mnist: %s: truncated: header announces %v = %d values, the file holds %d", path, dims, total, got)
	} else if got > total {
		return nil, nil, fmt.Errorf("data: mnist: %s: trailing data: the file holds more than the %v = %d values its header announces", path, dims, total)
	}
	return dims, values, nil
}
