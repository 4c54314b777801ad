package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/infer/plot"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/atomicfile"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Output formats by file extension.
const (
	extPNG = ".png"
	extCSV = ".csv"
	extNPY = ".npy"
)

// gridScale enlarges every pixel of a sample grid to a gridScale x gridScale block.
const gridScale = 2

// scatterSize is the side in pixels of a points scatter picture.
const scatterSize = 512

// outputFormat returns the extension of an --out file among the allowed ones, or an error that
// lists them.
func outputFormat(path string, allowed ...string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("--out: no file given")
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return "", fmt.Errorf("--out %s is a folder; want a file ending in %s", path, strings.Join(allowed, ", "))
	}
	ext := strings.ToLower(filepath.Ext(path))
	for _, a := range allowed {
		if ext == a {
			return ext, nil
		}
	}
	return "", fmt.Errorf("--out %s: unknown format %q; want a file ending in %s", path, ext, strings.Join(allowed, ", "))
}

// sampleFormats returns the --out formats of a model: PNG and NPY for images, and CSV too for
// points.
func sampleFormats(m *bundle.Manifest) []string {
	if m.Kind == bundle.KindPoints {
		return []string{extPNG, extCSV, extNPY}
	}
	return []string{extPNG, extNPY}
}

// writeImages writes n images of shape (c, h, w) derived from one input image (inpainting
// candidates, variations) to path: with n = 1 a PNG of the input's size, else a square-ish
// PNG grid, or an NPY array (n, c, h, w); ext is path's checked extension.
func writeImages(path, ext string, x []float32, n, c, h, w int) error {
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	var err error
	switch {
	case ext == extNPY:
		err = tensor.WriteNpyFile(path, tensor.FromFloat32(x, n, c, h, w))
	default:
		var pic image.Image
		if n == 1 {
			pic, err = infer.ImageFromSample(x, c, h, w)
		} else {
			pic, err = plot.ImageGrid(x, n, c, h, w, gridCols(n), gridScale)
		}
		if err == nil {
			err = plot.WritePNG(path, pic)
		}
	}
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

// gridCols returns the images per row of a square-ish grid of n images.
func gridCols(n int) int { return int(math.Ceil(math.Sqrt(float64(n)))) }

// checkGrid refuses, before any sampling, a PNG grid of n images of h x w pixels that would
// exceed plot.MaxPixels; flagN is the value of --n, for the message.
func checkGrid(path string, flagN, n, h, w, cols int) error {
	if _, _, err := plot.ImageGridSize(n, h, w, cols, gridScale); err != nil {
		return fmt.Errorf("--out %s: --n %d: %d images do not fit in one PNG grid (%v); ask for fewer, or write .npy, which streams any number of samples to the file", path, flagN, n, err)
	}
	return nil
}

// sampleFunc draws the samples of a command with the options given: all of them, returned,
// or chunk by chunk through o.Stream.
type sampleFunc func(o infer.SampleOptions) ([]float32, error)

// samplesOut is where a sampling command writes its samples: the --out file and its checked
// format, the model's manifest, and how many samples go there: flagN is --n, n the total (--n
// times the classes of --class all), cols the images per row of a PNG grid.
type samplesOut struct {
	path, ext string
	m         *bundle.Manifest
	flagN, n  int
	cols      int
}

// check refuses, before any sampling, a PNG grid too large to make.
func (out samplesOut) check() error {
	if out.ext != extPNG || out.m.Kind != bundle.KindImage {
		return nil
	}
	return checkGrid(out.path, out.flagN, out.n, out.m.Shape[1], out.m.Shape[2], out.cols)
}

// write draws the samples with sample and writes them: .npy (shape (n, shape...)) and .csv
// (points, a header line then one row per point) stream chunk by chunk into the file as the
// sampler finishes them, so memory is bounded by the chunk (--batch) whatever n is; a PNG (a
// grid of images, or a scatter picture of 2-D points) needs all samples at once.
func (out samplesOut) write(so infer.SampleOptions, sample sampleFunc) error {
	if err := out.check(); err != nil {
		return err
	}
	if err := os.MkdirAll(dirOf(out.path), 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out.path, err)
	}
	if out.ext == extPNG {
		x, err := sample(so)
		if err != nil {
			return err
		}
		return out.writePNG(x)
	}
	// The file is written atomically: a failed or interrupted run leaves no partial file.
	var sampleErr error
	err := atomicfile.Write(out.path, func(f io.Writer) error {
		put, finish, err := out.chunkWriter(f)
		if err != nil {
			return err
		}
		so.Stream = func(_ int, x []float32) error {
			if err := put(x); err != nil {
				return fmt.Errorf("--out %s: %w", out.path, err)
			}
			return nil
		}
		if _, sampleErr = sample(so); sampleErr != nil {
			return sampleErr
		}
		return finish()
	})
	switch {
	case sampleErr != nil:
		return sampleErr
	case err != nil:
		return fmt.Errorf("--out %s: %w", out.path, err)
	}
	return nil
}

// chunkWriter writes the header of the .npy or .csv file to f and returns the functions that
// write one chunk of samples and check the end.
func (out samplesOut) chunkWriter(f io.Writer) (put func(x []float32) error, finish func() error, err error) {
	if out.ext == extNPY {
		nw, err := tensor.NewNpyWriter(f, append(tensor.Shape{out.n}, out.m.Shape...))
		if err != nil {
			return nil, nil, err
		}
		return nw.Write, nw.Finish, nil
	}
	d := out.m.Shape[0]
	if _, err := f.Write(csvHeader(d)); err != nil {
		return nil, nil, err
	}
	var buf []byte
	put = func(x []float32) error {
		buf = appendCSVRows(buf[:0], x, d)
		_, err := f.Write(buf)
		return err
	}
	return put, func() error { return nil }, nil
}

// writePNG writes all samples as a PNG: a grid of images, or a scatter picture of 2-D points.
func (out samplesOut) writePNG(x []float32) error {
	m := out.m
	var img image.Image
	var err error
	if m.Kind == bundle.KindImage {
		img, err = plot.ImageGrid(x, out.n, m.Shape[0], m.Shape[1], m.Shape[2], out.cols, gridScale)
	} else {
		if m.Shape[0] != 2 {
			return fmt.Errorf("--out %s: a PNG shows 2-D points; these have %d coordinates (write .csv or .npy)", out.path, m.Shape[0])
		}
		margin := (m.Range[1] - m.Range[0]) / 32
		img, err = plot.Scatter([][]float32{x}, m.Range[0]-margin, m.Range[1]+margin, scatterSize)
	}
	if err != nil {
		return fmt.Errorf("--out %s: %w", out.path, err)
	}
	if err := plot.WritePNG(out.path, img); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

// csvHeader returns the header line of a CSV of points of d coordinates: x,y for 2-D points,
// else x0,x1,...
func csvHeader(d int) []byte {
	if d == 2 {
		return []byte("x,y\n")
	}
	var b bytes.Buffer
	for j := range d {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "x%d", j)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// appendCSVRows appends the points x of d coordinates to b as CSV rows, one point a line, and
// returns the extended buffer.
func appendCSVRows(b []byte, x []float32, d int) []byte {
	for i := 0; i < len(x); i += d {
		for j := range d {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(x[i+j]), 'g', -1, 32)
		}
		b = append(b, '\n')
	}
	return b
}

// dirOf returns the folder of path, "." for a bare name.
func dirOf(path string) string {
	if d := filepath.Dir(path); d != "" {
		return d
	}
	return "."
}

// writeOut writes data to the --out file path atomically (runtime/atomicfile), creating its
// folder when missing.
func writeOut(path string, data []byte) error {
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, data); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return nil
}

// inputs are samples read from --input: n samples of the model's shape and a name for each.
type inputs struct {
	x     []float32
	n     int
	names []string // file names (a folder) or indices (an array file)
	shape []int    // the array's shape as read, for outputs shaped like the input
}

// readInputs reads --input for a model: a folder of PNG/JPEG images, one image file, an .npy
// array of shape (N, shape...) or, for points, a .csv of N rows (a header line is skipped).
func readInputs(path string, m *bundle.Manifest) (*inputs, error) {
	if path == "" {
		return nil, fmt.Errorf("--input: no file or folder given")
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	if info.IsDir() {
		return readImageDir(path, m)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".jpg", ".jpeg":
		c, h, w, err := imageShape(path, m)
		if err != nil {
			return nil, err
		}
		x, err := infer.ReadImage(path, c, h, w)
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		return &inputs{x: x, n: 1, names: []string{filepath.Base(path)}, shape: append([]int{1}, m.Shape...)}, nil
	case extNPY:
		return readNpyInputs(path, m)
	case extCSV:
		if m.Kind != bundle.KindPoints {
			return nil, fmt.Errorf("--input %s: a .csv holds points, the model generates images (pass .png, .npy or a folder)", path)
		}
		return readCSVInputs(path, m.Shape[0])
	default:
		return nil, fmt.Errorf("--input %s: unknown format %q; want a folder, .png, .jpg, .npy or (points) .csv", path, ext)
	}
}

// imageShape returns the image shape of an image model, or an error naming the input file.
func imageShape(path string, m *bundle.Manifest) (c, h, w int, err error) {
	if m.Kind != bundle.KindImage || len(m.Shape) != 3 {
		return 0, 0, 0, fmt.Errorf("--input %s: an image, but the model generates %s of shape %v", path, m.Kind, m.Shape)
	}
	return m.Shape[0], m.Shape[1], m.Shape[2], nil
}

func readImageDir(dir string, m *bundle.Manifest) (*inputs, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	var names []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				names = append(names, e.Name())
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("--input %s: the folder has no PNG or JPEG files", dir)
	}
	sort.Strings(names)
	c, h, w, err := imageShape(dir, m)
	if err != nil {
		return nil, err
	}
	in := &inputs{n: len(names), names: names, shape: append([]int{len(names)}, m.Shape...)}
	for _, name := range names {
		x, err := infer.ReadImage(filepath.Join(dir, name), c, h, w)
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		in.x = append(in.x, x...)
	}
	return in, nil
}

func readNpyInputs(path string, m *bundle.Manifest) (*inputs, error) {
	t, err := tensor.ReadNpyFile(path)
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	if t = toFloat32(t); t.DType != tensor.Float32 {
		return nil, fmt.Errorf("--input %s: %v data, want float32", path, t.DType)
	}
	want := append([]int{-1}, m.Shape...)
	ok := len(t.Shape) == len(want) && t.Shape[0] >= 1
	for k := 1; ok && k < len(want); k++ {
		ok = t.Shape[k] == want[k]
	}
	if !ok {
		return nil, fmt.Errorf("--input %s: shape %v, want (N,%s) for the model's samples", path, t.Shape, joinInts(m.Shape))
	}
	if err := t.CheckFinite(); err != nil {
		return nil, fmt.Errorf("--input %s: %w", path, err)
	}
	return &inputs{x: t.Float32, n: t.Shape[0], names: indexNames(t.Shape[0]), shape: t.Shape.Clone()}, nil
}

func readCSVInputs(path string, d int) (*inputs, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	var x []float32
	header := false
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := strings.Split(line, ",")
		vals := make([]float32, 0, len(fields))
		words := 0 // fields that are not numbers at all (a header's names)
		for _, f := range fields {
			f = strings.TrimSpace(f)
			v, err := strconv.ParseFloat(f, 32)
			if errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Errorf("--input %s: line %d: %s is outside float32's range", path, i+1, f)
			}
			if err != nil {
				words++
				continue
			}
			vals = append(vals, float32(v))
		}
		switch {
		case words == len(fields) && !header && len(x) == 0: // a header, the first line
			header = true
			continue
		case words > 0:
			return nil, fmt.Errorf("--input %s: line %d: %q is not %d numbers", path, i+1, line, d)
		case len(vals) != d:
			return nil, fmt.Errorf("--input %s: line %d has %d values, the model's points %d", path, i+1, len(vals), d)
		}
		for _, v := range vals {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("--input %s: line %d: %q is not finite", path, i+1, line)
			}
		}
		x = append(x, vals...)
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("--input %s: no points", path)
	}
	n := len(x) / d
	return &inputs{x: x, n: n, names: indexNames(n), shape: []int{n, d}}, nil
}

func indexNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, d := range v {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ",")
}
