package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	cifarSide   = 32
	cifarPixels = 3 * cifarSide * cifarSide // one record's CHW bytes
	cifarRecord = 1 + cifarPixels           // label byte + pixels
	cifarMeta   = "batches.meta.txt"
	// cifarSubdir is the folder the official archive unpacks to; cifar10:DIR also accepts
	// the folder above it.
	cifarSubdir = "cifar-10-batches-bin"
)

// cifarClasses are the CIFAR-10 class names in label order, used when batches.meta.txt is absent.
var cifarClasses = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

func openCIFAR10(dir string, split Split) (Dataset, error) {
	files := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	if split == Test {
		files = []string{"test_batch.bin"}
	}
	if _, err := os.Stat(filepath.Join(dir, files[0])); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, cifarSubdir, files[0])); err == nil {
			dir = filepath.Join(dir, cifarSubdir)
		}
	}
	classes, err := readCIFARMeta(dir)
	if err != nil {
		return nil, err
	}
	s := &pixelSet{
		name:    "cifar10:" + dir,
		shape:   []int{3, cifarSide, cifarSide},
		classes: classes,
		flip:    split == Train,
	}
	for _, name := range files {
		path := filepath.Join(dir, name)
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("data: cifar10: %w", err)
		}
		if len(raw) == 0 || len(raw)%cifarRecord != 0 {
			return nil, fmt.Errorf("data: cifar10: %s: size %d bytes, want a positive multiple of %d (1 label byte + 3x32x32 pixels per record)", path, len(raw), cifarRecord)
		}
		if s.pix == nil {
			// Size the storage once from the first file; the standard batches are equal.
			s.pix = make([]uint8, 0, len(files)*(len(raw)/cifarRecord)*cifarPixels)
		}
		for off := 0; off < len(raw); off += cifarRecord {
			label := raw[off]
			if int(label) >= len(classes) {
				return nil, fmt.Errorf("data: cifar10: %s: label %d in record %d, want 0..%d", path, label, off/cifarRecord, len(classes)-1)
			}
			s.labels = append(s.labels, int64(label)+1)
			s.pix = append(s.pix, raw[off+1:off+cifarRecord]...)
		}
	}
	return s, nil
}

// readCIFARMeta returns the class names of dir/batches.meta.txt (one per line, blank lines
// ignored), or the standard names when the file is absent.
func readCIFARMeta(dir string) ([]string, error) {
	path := filepath.Join(dir, cifarMeta)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cifarClasses, nil
	}
	if err != nil {
		return nil, fmt.Errorf("data: cifar10: %w", err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if name := strings.TrimSpace(sc.Text()); name != "" {
			names = append(names, name)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("data: cifar10: %s: %w", path, err)
	}
	if len(names) != len(cifarClasses) {
		return nil, fmt.Errorf("data: cifar10: %s: %d class names, want %d (one per line)", path, len(names), len(cifarClasses))
	}
	return names, nil
}
