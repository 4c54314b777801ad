package data

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cifarPixel is pixel (c, h, w) of synthetic record i; no record equals another's mirror image.
func cifarPixel(i, c, h, w int) uint8 { return uint8(13*i + 3*c + 7*h + 11*w) }

// cifarLabel is the label byte of synthetic record i.
func cifarLabel(i int) uint8 { return uint8(i % 10) }

// cifarBatch returns a batch file of the records first..first+n-1.
func cifarBatch(first, n int) []byte {
	var b []byte
	for i := first; i < first+n; i++ {
		b = append(b, cifarLabel(i))
		for c := range 3 {
			for h := range 32 {
				for w := range 32 {
					b = append(b, cifarPixel(i, c, h, w))
				}
			}
		}
	}
	return b
}

// writeCIFAR writes five training batches of perBatch records (records 0..5*perBatch-1) and a
// test batch of 3 records (100..102) to dir.
func writeCIFAR(t *testing.T, dir string, perBatch int) {
	for k := range 5 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", k+1)), cifarBatch(k*perBatch, perBatch))
	}
	writeFile(t, filepath.Join(dir, "test_batch.bin"), cifarBatch(100, 3))
}

// matchCIFAR returns the record among candidates that sample x shows and whether it is
// mirrored, or -1.
func matchCIFAR(x []float32, candidates []int) (record int, flipped bool) {
	for _, i := range candidates {
		for _, flip := range []bool{false, true} {
			same := true
			for c := 0; c < 3 && same; c++ {
				for h := 0; h < 32 && same; h++ {
					for w := range 32 {
						sw := w
						if flip {
							sw = 31 - w
						}
						if x[(c*32+h)*32+w] != pixelLUT[cifarPixel(i, c, h, sw)] {
							same = false
							break
						}
					}
				}
			}
			if same {
				return i, flip
			}
		}
	}
	return -1, false
}

func TestCIFAR10Train(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR(t, dir, 2)
	names := []string{"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"}
	writeFile(t, filepath.Join(dir, cifarMeta), []byte(strings.Join(names, "\n")+"\n\n\n"))

	d, err := Open("cifar10:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != "cifar10:"+dir || d.Len() != 10 || !slices.Equal(d.Shape(), []int{3, 32, 32}) || !slices.Equal(d.Classes(), names) {
		t.Fatalf("Name, Len, Shape, Classes = %q, %d, %v, %v, want %q, 10, [3 32 32], %v", d.Name(), d.Len(), d.Shape(), d.Classes(), "cifar10:"+dir, names)
	}
	const seed, n = 21, 400
	x, labels := make([]float32, n*cifarPixels), make([]int64, n)
	if err := d.Batch(x, labels, rand.New(rand.NewPCG(seed, 0))); err != nil {
		t.Fatal(err)
	}
	records := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	var count [10]int
	flips := 0
	for i := range n {
		j, flipped := matchCIFAR(x[i*cifarPixels:(i+1)*cifarPixels], records)
		if j < 0 {
			t.Fatalf("seed %d: sample %d matches no record, mirrored or not", seed, i)
		}
		if want := int64(cifarLabel(j)) + 1; labels[i] != want {
			t.Errorf("seed %d: sample %d (record %d) label = %d, want %d", seed, i, j, labels[i], want)
		}
		count[j]++
		if flipped {
			flips++
		}
	}
	for j, c := range count {
		if c != n/10 {
			t.Errorf("seed %d: record %d drawn %d times in %d blocks of 10, want once per block", seed, j, c, n/10)
		}
	}
	if flips < n/2-50 || flips > n/2+50 { // 5 standard deviations
		t.Errorf("seed %d: %d of %d samples mirrored, want about half", seed, flips, n)
	}
}

func TestCIFAR10TestSplitAndLayout(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, cifarSubdir) // the folder the official archive unpacks to
	writeCIFAR(t, dir, 1)
	for _, spec := range []string{"cifar10:" + root, "cifar10:" + dir} {
		d, err := OpenSplit(spec, Test)
		if err != nil {
			t.Fatal(err)
		}
		if d.Len() != 3 || !slices.Equal(d.Classes(), cifarClasses) {
			t.Errorf("%s test split: Len, Classes = %d, %v, want 3 and the standard names", spec, d.Len(), d.Classes())
		}
		x := make([]float32, 30*cifarPixels)
		if err := d.Batch(x, nil, rand.New(rand.NewPCG(2, 2))); err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			if j, flipped := matchCIFAR(x[i*cifarPixels:(i+1)*cifarPixels], []int{100, 101, 102}); j < 0 || flipped {
				t.Fatalf("%s test split: sample %d = record %d, mirrored %v; want an unmirrored test record", spec, i, j, flipped)
			}
		}
	}
}

func TestCIFAR10Corrupt(t *testing.T) {
	label10 := cifarBatch(0, 2)
	label10[cifarRecord] = 10
	tests := []struct {
		name, file string
		content    []byte // nil: remove the file
		want       string
	}{
		{"partial record", "data_batch_2.bin", cifarBatch(0, 2)[:2*cifarRecord-1], "size 6145 bytes, want a positive multiple of 3073"},
		{"empty batch", "data_batch_5.bin", []byte{}, "size 0 bytes"},
		{"label 10", "data_batch_1.bin", label10, "label 10 in record 1, want 0..9"},
		{"missing batch", "data_batch_3.bin", nil, "no such file"},
		{"nine names", cifarMeta, []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\n"), "9 class names, want 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCIFAR(t, dir, 2)
			path := filepath.Join(dir, tt.file)
			if tt.content != nil {
				writeFile(t, path, tt.content)
			} else if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			_, err := Open("cifar10:" + dir)
			if err == nil || !strings.HasPrefix(err.Error(), "data: cifar10: ") || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %v, want a \"data: cifar10: \" error naming %s and holding %q", err, path, tt.want)
			}
		})
	}
}
