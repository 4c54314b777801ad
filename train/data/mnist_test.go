package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idxBytes returns an uncompressed IDX file of unsigned bytes.
func idxBytes(dims []int, values []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(idxUbyte)<<8|uint32(len(dims)))
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(values)
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, path string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mnistFixture holds the content of the two files of one MNIST split.
type mnistFixture struct {
	images, labels []byte // gzip-compressed IDX files
}

// newMNISTFixture returns a split of len(digits) 28x28 images whose pixel k of image i is
// (3i + k) mod 256, with the given labels.
func newMNISTFixture(t testing.TB, digits []byte) (mnistFixture, []byte) {
	pix := make([]byte, len(digits)*784)
	for i := range pix {
		pix[i] = byte(3*(i/784) + i%784)
	}
	return mnistFixture{
		images: gzipBytes(t, idxBytes([]int{len(digits), 28, 28}, pix)),
		labels: gzipBytes(t, idxBytes([]int{len(digits)}, digits)),
	}, pix
}

func (f mnistFixture) write(t testing.TB, dir, imagesName, labelsName string) {
	writeFile(t, filepath.Join(dir, imagesName), f.images)
	writeFile(t, filepath.Join(dir, labelsName), f.labels)
}

func TestMNISTSynthetic(t *testing.T) {
	dir := t.TempDir()
	digits := []byte{3, 0, 9}
	train, pix := newMNISTFixture(t, digits)
	train.write(t, dir, mnistTrainImages, mnistTrainLabels)
	test, _ := newMNISTFixture(t, []byte{7, 7})
	test.write(t, dir, mnistTestImages, mnistTestLabels)

	d, err := Open("mnist:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != "mnist:"+dir || d.Len() != 3 || !slices.Equal(d.Shape(), []int{1, 28, 28}) {
		t.Errorf("Name, Len, Shape = %q, %d, %v, want %q, 3, [1 28 28]", d.Name(), d.Len(), d.Shape(), "mnist:"+dir)
	}
	if want := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}; !slices.Equal(d.Classes(), want) {
		t.Errorf("Classes() = %v, want %v", d.Classes(), want)
	}
	x, labels := make([]float32, 3*784), make([]int64, 3)
	if err := d.Batch(x, labels, rand.New(rand.NewPCG(9, 9))); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i := range 3 {
		j := int(math.Round(float64(x[i*784]+1) * 127.5 / 3)) // pixel 0 of image j is 3j
		if j < 0 || j > 2 || seen[j] {
			t.Fatalf("sample %d: first pixel %v matches no unused image", i, x[i*784])
		}
		seen[j] = true
		for k := range 784 {
			if want := pixelLUT[pix[j*784+k]]; x[i*784+k] != want {
				t.Fatalf("sample %d (image %d) pixel %d = %v, want %v (no flips for MNIST)", i, j, k, x[i*784+k], want)
			}
		}
		if want := int64(digits[j]) + 1; labels[i] != want {
			t.Errorf("sample %d (image %d) label = %d, want digit %d + 1", i, j, labels[i], digits[j])
		}
	}

	dt, err := OpenSplit("mnist:"+dir, Test)
	if err != nil {
		t.Fatal(err)
	}
	if dt.Len() != 2 {
		t.Errorf("test split Len() = %d, want 2", dt.Len())
	}
}

func TestMNISTCorrupt(t *testing.T) {
	good, pix := newMNISTFixture(t, []byte{1, 2, 3})
	idx := func(dims []int, values []byte) []byte { return gzipBytes(t, idxBytes(dims, values)) }
	badCRC := slices.Clone(good.labels)
	badCRC[len(badCRC)-8] ^= 0xff        // the gzip trailer's CRC-32
	labelsAsImages := idx([]int{3}, pix) // a one-dimensional IDX file long enough for the header
	int32Images := idxBytes([]int{3, 28, 28}, pix)
	int32Images[2] = 0x0c // the IDX type code of big-endian int32
	tests := []struct {
		name           string
		images, labels []byte
		file, want     string // the file the error must name, and a phrase it must hold
	}{
		{"images not gzip", idxBytes([]int{3, 28, 28}, pix), good.labels, mnistTrainImages, "not a gzip file"},
		{"labels magic on images", labelsAsImages, good.labels, mnistTrainImages, "magic number 0x00000801, want 0x00000803"},
		{"int32 images", gzipBytes(t, int32Images), good.labels, mnistTrainImages, "magic number 0x00000c03, want 0x00000803"},
		{"empty gzip", gzipBytes(t, nil), good.labels, mnistTrainImages, "read the 16-byte IDX header"},
		{"27 rows", idx([]int{3, 27, 28}, pix[:3*27*28]), good.labels, mnistTrainImages, "27x28 images, want 28x28"},
		{"truncated images", idx([]int{3, 28, 28}, pix[:2000]), good.labels, mnistTrainImages, "truncated"},
		{"trailing images", idx([]int{3, 28, 28}, append(slices.Clone(pix), 0)), good.labels, mnistTrainImages, "trailing data"},
		{"huge header", idx([]int{1 << 30, 28, 28}, pix), good.labels, mnistTrainImages, "more than"},
		{"short header", gzipBytes(t, idxBytes([]int{3, 28, 28}, nil)[:9]), good.labels, mnistTrainImages, "IDX header"},
		{"fewer labels", good.images, idx([]int{2}, []byte{1, 2}), mnistTrainLabels, "holds 2 labels but"},
		{"label 10", good.images, idx([]int{3}, []byte{1, 10, 3}), mnistTrainLabels, "label 10 of sample 1, want a digit 0..9"},
		{"labels checksum", good.images, badCRC, mnistTrainLabels, "checksum"},
		{"no images", idx([]int{0, 28, 28}, nil), idx([]int{0}, nil), mnistTrainImages, "holds no images"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mnistFixture{tt.images, tt.labels}.write(t, dir, mnistTrainImages, mnistTrainLabels)
			_, err := Open("mnist:" + dir)
			if err == nil {
				t.Fatalf("Open = nil error, want one naming %s and holding %q", tt.file, tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "data: mnist: ") || !strings.Contains(msg, filepath.Join(dir, tt.file)) || !strings.Contains(msg, tt.want) {
				t.Errorf("Open error = %q, want a \"data: mnist: \" error naming %s and holding %q", msg, tt.file, tt.want)
			}
		})
	}
}

func TestMNISTDefaultFolderHint(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	dir, err := DefaultMNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "cdrl-go", "mnist"); dir != want {
		t.Errorf("DefaultMNISTDir() = %q, want %q", dir, want)
	}
	_, err = Open("mnist")
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "run `make setup`") || !strings.Contains(err.Error(), "mnist:DIR") {
		t.Errorf("Open(\"mnist\") with an empty cache: error = %v, want one wrapping fs.ErrNotExist with the `make setup` hint", err)
	}
	// A folder given explicitly gets no hint.
	_, err = Open("mnist:" + dir)
	if err == nil || strings.Contains(err.Error(), "make setup") {
		t.Errorf("Open(mnist:DIR) with a missing folder: error = %v, want one without the `make setup` hint", err)
	}
}

// openRealMNIST opens a split of the real MNIST files in the default folder, skipping the test
// when `make setup` has not put them there.
func openRealMNIST(tb testing.TB, split Split) Dataset {
	tb.Helper()
	dir, err := DefaultMNISTDir()
	if err != nil {
		tb.Skipf("no user cache folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, mnistTrainImages)); err != nil {
		tb.Skipf("the real MNIST files are absent (%v); run `make setup` to fetch them", err)
	}
	d, err := OpenSplit("mnist", split)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestMNISTReal(t *testing.T) {
	tests := []struct {
		split     Split
		n         int
		first     int64 // internal id of the first label: the first training digit is a 5, the first test digit a 7
		meanPixel float64
	}{
		// The mean MNIST pixel is about 33.3/255 (train) and 33.8/255 (test): in [-1, 1], about -0.74.
		{Train, 60000, 6, -0.739},
		{Test, 10000, 8, -0.735},
	}
	for _, tt := range tests {
		t.Run(string(tt.split), func(t *testing.T) {
			d := openRealMNIST(t, tt.split)
			s := d.(*pixelSet)
			if d.Name() != "mnist" || d.Len() != tt.n || s.labels[0] != tt.first {
				t.Errorf("Name, Len, first label id = %q, %d, %d, want \"mnist\", %d, %d", d.Name(), d.Len(), s.labels[0], tt.n, tt.first)
			}
			var counts [11]int
			for _, l := range s.labels {
				counts[l]++
			}
			for id := 1; id <= 10; id++ {
				if counts[id] < tt.n/12 {
					t.Errorf("digit %d has %d samples, want at least %d", id-1, counts[id], tt.n/12)
				}
			}
			const n = 2000
			x := make([]float32, n*784)
			if err := d.Batch(x, nil, rand.New(rand.NewPCG(1, 1))); err != nil {
				t.Fatal(err)
			}
			var sum float64
			for _, v := range x {
				if v < -1 || v > 1 {
					t.Fatalf("pixel %v outside [-1, 1]", v)
				}
				sum += float64(v)
			}
			if mean := sum / float64(len(x)); math.Abs(mean-tt.meanPixel) > 0.02 {
				t.Errorf("mean pixel of %d digits = %.4f, want %.3f +- 0.02", n, mean, tt.meanPixel)
			}
		})
	}
}

func BenchmarkMNISTBatch64(b *testing.B) {
	d := openRealMNIST(b, Train)
	x, labels := make([]float32, 64*784), make([]int64, 64)
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if err := d.Batch(x, labels, rng); err != nil {
			b.Fatal(err)
		}
	}
}
