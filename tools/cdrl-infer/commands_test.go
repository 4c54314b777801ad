package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
)

const inferFixtures = "../../testdata/infer"

// run runs cdrl-infer with args (plus --threads 1) and fails the test unless it exits 0 and
// says what it wrote.
func run(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, append(args, "--threads", "1")...)
	if code != 0 {
		t.Fatalf("cdrl-infer %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if !strings.Contains(stdout, "wrote ") || !strings.Contains(stdout, "done in ") {
		t.Errorf("cdrl-infer %s: stdout does not say what was written and how long it took: %q", strings.Join(args, " "), stdout)
	}
	return stdout
}

// fails runs cdrl-infer with args and checks that it fails with an error mentioning every
// string of want.
func fails(t *testing.T, args []string, want ...string) {
	t.Helper()
	code, _, stderr := runCLI(t, append(args, "--threads", "1")...)
	if code == 0 {
		t.Fatalf("cdrl-infer %s: exit 0, want an error", strings.Join(args, " "))
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("cdrl-infer %s: error %q does not mention %q", strings.Join(args, " "), stderr, w)
		}
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func readNpyT(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	x, err := tensor.ReadNpyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.CheckFinite(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return x
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSampleFormats samples the toy model to PNG, CSV and NPY and the image model to a PNG
// grid and NPY, guided.
func TestSampleFormats(t *testing.T) {
	dir := t.TempDir()
	toy, dig := bundles.Toy(t), bundles.Digits(t)

	out := run(t, "sample", "--model", toy, "--n", "40", "--out", filepath.Join(dir, "p.png"))
	if !strings.Contains(out, "wrote "+filepath.Join(dir, "p.png")) {
		t.Errorf("stdout %q does not name p.png", out)
	}
	if b := readPNG(t, filepath.Join(dir, "p.png")).Bounds(); b.Dx() != scatterSize || b.Dy() != scatterSize {
		t.Errorf("scatter is %v, want %dx%d", b, scatterSize, scatterSize)
	}
	run(t, "sample", "--model", toy, "--n", "40", "--out", filepath.Join(dir, "p.csv"))
	lines := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(dir, "p.csv")))), "\n")
	if lines[0] != "x,y" || len(lines) != 41 || len(strings.Split(lines[1], ",")) != 2 {
		t.Errorf("csv: header %q and %d lines, want x,y and 41", lines[0], len(lines))
	}
	run(t, "sample", "--model", toy, "--n", "40", "--out", filepath.Join(dir, "p.npy"))
	if x := readNpyT(t, filepath.Join(dir, "p.npy")); !x.Shape.Equal(tensor.Shape{40, 2}) || x.DType != tensor.Float32 {
		t.Errorf("npy: %v%v, want float32(40,2)", x.DType, x.Shape)
	}
	// The CSV holds the same points as the NPY (same seed).
	x := readNpyT(t, filepath.Join(dir, "p.npy"))
	if got, want := lines[1], string(appendCSVRows(nil, x.Float32[:2], 2)); got+"\n" != want {
		t.Errorf("csv row 1 %q, npy row 0 %q", got, want)
	}

	out = run(t, "sample", "--model", dig, "--n", "6", "--class", "7", "--guidance", "2", "--out", filepath.Join(dir, "d.png"))
	if !strings.Contains(out, "class 7, guidance 2") {
		t.Errorf("stdout %q does not say class and guidance", out)
	}
	img := readPNG(t, filepath.Join(dir, "d.png"))
	// 6 images: 3 columns, 2 rows of 56x56 tiles with 2-pixel borders.
	if b := img.Bounds(); b.Dx() != 2+3*(56+2) || b.Dy() != 2+2*(56+2) {
		t.Errorf("grid is %dx%d, want %dx%d", b.Dx(), b.Dy(), 2+3*58, 2+2*58)
	}
	if _, ok := img.(*image.Gray); !ok {
		t.Errorf("grid of a 1-channel model is %T, want *image.Gray", img)
	}
	run(t, "sample", "--model", dig, "--n", "3", "--class", "3", "--out", filepath.Join(dir, "d.npy"))
	if x := readNpyT(t, filepath.Join(dir, "d.npy")); !x.Shape.Equal(tensor.Shape{3, 1, 28, 28}) {
		t.Errorf("npy shape %v, want (3,1,28,28)", x.Shape)
	}
	// The default guidance is the manifest's.
	b, err := bundle.ReadDir(dig)
	if err != nil {
		t.Fatal(err)
	}
	run(t, "sample", "--model", dig, "--n", "3", "--class", "3", "--guidance", "1", "--out", filepath.Join(dir, "g1.npy"))
	run(t, "sample", "--model", dig, "--n", "3", "--class", "3", "--out", filepath.Join(dir, "g.npy"))
	same := bytes.Equal(readFile(t, filepath.Join(dir, "g1.npy")), readFile(t, filepath.Join(dir, "g.npy")))
	if same != (b.GuidanceDefault == 1) {
		t.Errorf("guidance_default %g: --guidance 1 and no --guidance give the same output: %v", b.GuidanceDefault, same)
	}
}

// librarySampler opens the bundle folder dir as the Go API does (one ONNX Runtime thread),
// for comparing a command's output with the library's; it is closed when the test ends.
func librarySampler(t *testing.T, dir string) *infer.Sampler {
	t.Helper()
	b, err := bundle.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := infer.NewSampler(b, ort.SessionConfig{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSampleMatchesLibrary checks that the command writes what infer.Sampler.Sample returns.
func TestSampleMatchesLibrary(t *testing.T) {
	dig := bundles.Digits(t)
	path := filepath.Join(t.TempDir(), "x.npy")
	run(t, "sample", "--model", dig, "--n", "5", "--class", "7", "--guidance", "0.5", "--seed", "11", "--steps", "3", "--batch", "2", "--out", path)
	s := librarySampler(t, dig)
	want, err := s.Sample(context.Background(), 5, infer.SampleOptions{Seed: 11, Class: 2, Guidance: infer.Weight(0.5), Steps: 3, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := readNpyT(t, path).Float32; !slices.Equal(got, want) {
		t.Errorf("the command's samples differ from Sampler.Sample's")
	}
}

// TestSampleDefaultBatch checks that without --batch the command samples in the model's chunks
// (infer.Sampler.DefaultBatch: all 300 toy points in one, where images would take 256).
func TestSampleDefaultBatch(t *testing.T) {
	toy := bundles.Toy(t)
	path := filepath.Join(t.TempDir(), "x.npy")
	run(t, "sample", "--model", toy, "--n", "300", "--seed", "4", "--steps", "2", "--out", path)
	s := librarySampler(t, toy)
	if got := s.DefaultBatch(); got < 300 {
		t.Fatalf("DefaultBatch of a point model = %d, want at least 300", got)
	}
	want, err := s.Sample(context.Background(), 300, infer.SampleOptions{Seed: 4, Steps: 2, Batch: s.DefaultBatch()})
	if err != nil {
		t.Fatal(err)
	}
	if got := readNpyT(t, path).Float32; !slices.Equal(got, want) {
		t.Errorf("the command's samples differ from Sampler.Sample's with Batch = DefaultBatch()")
	}
}

// TestSampleSeeds checks that the same seed writes the same file and another seed another.
func TestSampleSeeds(t *testing.T) {
	dir := t.TempDir()
	toy := bundles.Toy(t)
	for _, c := range []struct{ name, seed string }{{"a", "5"}, {"b", "5"}, {"c", "6"}} {
		run(t, "sample", "--model", toy, "--n", "20", "--seed", c.seed, "--batch", "7", "--out", filepath.Join(dir, c.name+".csv"))
	}
	a, b, c := readFile(t, filepath.Join(dir, "a.csv")), readFile(t, filepath.Join(dir, "b.csv")), readFile(t, filepath.Join(dir, "c.csv"))
	if !bytes.Equal(a, b) {
		t.Errorf("seed 5 twice gave different files")
	}
	if bytes.Equal(a, c) {
		t.Errorf("seeds 5 and 6 gave the same file")
	}
}

// TestSampleCancelled checks that an interrupted command stops with exit code 130.
func TestSampleCancelled(t *testing.T) {
	toy := bundles.Toy(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	app := newApp()
	app.Writer = &stdout
	out := filepath.Join(t.TempDir(), "x.csv")
	code := cli.Run(ctx, app, []string{"cdrl-infer", "sample", "--model", toy, "--n", "5", "--out", out, "--threads", "1"}, &stderr)
	if code != 130 || !strings.Contains(stderr.String(), "canceled") {
		t.Errorf("exit %d, stderr %q; want 130 and context canceled", code, stderr.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("an interrupted run wrote %s", out)
	}
}

// TestSampleErrors checks the errors of bad flags: they name the flag and say what is wrong.
func TestSampleErrors(t *testing.T) {
	dir := t.TempDir()
	toy, dig := bundles.Toy(t), bundles.Digits(t)
	out := filepath.Join(dir, "x.png")
	notDir := filepath.Join(inferFixtures, "digit.png")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown class", []string{"--model", dig, "--n", "2", "--class", "9", "--out", out}, []string{"--class 9", `"3", "7"`}},
		{"class on unconditional", []string{"--model", toy, "--n", "2", "--class", "1", "--out", out}, []string{"--class 1", "unconditional"}},
		{"guidance without class", []string{"--model", dig, "--n", "2", "--guidance", "1", "--out", out}, []string{"--guidance", "--class"}},
		{"negative guidance", []string{"--model", dig, "--n", "2", "--class", "3", "--guidance", "-1", "--out", out}, []string{"--guidance -1"}},
		{"guidance to NaN", []string{"--model", dig, "--n", "2", "--class", "3", "--guidance", "1e30", "--out", filepath.Join(dir, "nan.npy")}, []string{"not finite", "guidance weight 1e+30"}},
		{"n", []string{"--model", toy, "--n", "0", "--out", out}, []string{"--n 0"}},
		{"steps", []string{"--model", toy, "--n", "2", "--steps", "-1", "--out", out}, []string{"--steps -1"}},
		{"batch", []string{"--model", toy, "--n", "2", "--batch", "-1", "--out", out}, []string{"--batch -1"}},
		{"format", []string{"--model", toy, "--n", "2", "--out", filepath.Join(dir, "x.txt")}, []string{"--out", "x.txt", ".png, .csv, .npy"}},
		{"csv of images", []string{"--model", dig, "--n", "2", "--out", filepath.Join(dir, "x.csv")}, []string{"--out", ".png, .npy"}},
		{"no embedded model", []string{"--model", "nosuchmodel", "--n", "2", "--out", out}, []string{"--model nosuchmodel", "no embedded model", "pass a bundle folder"}},
		{"missing folder", []string{"--model", filepath.Join(dir, "none"), "--n", "2", "--out", out}, []string{"--model", "none", "no such folder"}},
		{"file as model", []string{"--model", notDir, "--n", "2", "--out", out}, []string{"--model", "digit.png", "not a folder"}},
		{"not a bundle", []string{"--model", dir, "--n", "2", "--out", out}, []string{"--model", "manifest.json"}},
		{"missing out", []string{"--model", toy, "--n", "2"}, []string{"out"}},
		{"out is a folder", []string{"--model", toy, "--n", "2", "--out", dir}, []string{"--out " + dir + " is a folder", ".png"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fails(t, append([]string{"sample"}, c.args...), c.want...) })
	}
}

// TestInpaintKeepsKnownPixels inpaints the fixture digit with the fixture mask and checks that
// the kept pixels of the output PNG are the input PNG's, byte for byte.
func TestInpaintKeepsKnownPixels(t *testing.T) {
	dir := t.TempDir()
	dig := bundles.Digits(t)
	in := readPNG(t, filepath.Join(inferFixtures, "digit.png")).(*image.Gray)
	for _, c := range []struct {
		name   string
		args   []string
		keepLo bool // the left half is kept (the mask's black side)
	}{
		{"plain", nil, true},
		{"inverted", []string{"--invert-mask"}, false},
		{"class guided", []string{"--class", "3", "--guidance", "1.5"}, true},
		{"alpha mask", []string{"--mask", filepath.Join(inferFixtures, "mask-alpha.png")}, true},
		{"resampled", []string{"--resample", "2", "--steps", "2"}, true},
		{"class inferred", []string{"--class", "auto", "--guidance", "1"}, true},
		{"null class", []string{"--class", "none"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".png")
			args := []string{"inpaint", "--model", dig, "--image", filepath.Join(inferFixtures, "digit.png"), "--out", out}
			if !slices.Contains(c.args, "--mask") {
				args = append(args, "--mask", filepath.Join(inferFixtures, "mask-gray.png"))
			}
			stdout := run(t, append(args, c.args...)...)
			if !strings.Contains(stdout, "392 of 784 pixels kept") {
				t.Errorf("stdout %q does not count the kept pixels", stdout)
			}
			want := "resample 0;"
			if slices.Contains(c.args, "--resample") {
				want = "resample 2;"
			}
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout %q lacks %q", stdout, want)
			}
			// Without --class (or with auto) the digits bundle's class, 3 or 7, is inferred and
			// the summary names it; --class none is the null class.
			switch {
			case !slices.Contains(c.args, "--class") || slices.Contains(c.args, "auto"):
				inferred := regexp.MustCompile(`class inferred from the kept pixels: ([37]) \(most probable: [37] [01]\.\d{3}, [37] [01]\.\d{3}\)`).FindStringSubmatch(stdout)
				if inferred == nil {
					t.Fatalf("stdout %q does not say which class was inferred", stdout)
				}
				if want := "class " + inferred[1] + ", guidance "; !strings.Contains(stdout, want) {
					t.Errorf("stdout %q lacks %q", stdout, want)
				}
			case slices.Contains(c.args, "none"):
				if !strings.Contains(stdout, "unconditional") || strings.Contains(stdout, "inferred") {
					t.Errorf("stdout %q: --class none is not the null class", stdout)
				}
			}
			got, ok := readPNG(t, out).(*image.Gray)
			if !ok {
				t.Fatalf("output is %T, want a grayscale PNG like the input", readPNG(t, out))
			}
			if got.Bounds() != in.Bounds() {
				t.Fatalf("output is %v, want the input's %v", got.Bounds(), in.Bounds())
			}
			generated := 0
			for y := range 28 {
				for x := range 28 {
					kept := (x < 14) == c.keepLo
					if kept && got.GrayAt(x, y) != in.GrayAt(x, y) {
						t.Fatalf("kept pixel (%d, %d) = %d, the input's is %d", x, y, got.GrayAt(x, y).Y, in.GrayAt(x, y).Y)
					}
					if !kept && got.GrayAt(x, y) != in.GrayAt(x, y) {
						generated++
					}
				}
			}
			if generated == 0 {
				t.Errorf("no generated pixel differs from the input")
			}
		})
	}
}

// TestInpaintGuidanceDefault checks that inpaint's default weight is the manifest's
// inpaint_guidance where it is set, guidance_default where not, and that sample keeps
// guidance_default either way.
func TestInpaintGuidanceDefault(t *testing.T) {
	dir := t.TempDir()
	dig := bundles.Digits(t)
	b, err := bundle.ReadDir(dig)
	if err != nil {
		t.Fatal(err)
	}
	if b.InpaintGuidance != nil {
		t.Fatalf("the test bundle sets inpaint_guidance %v; want it unset", *b.InpaintGuidance)
	}
	const inpaintW = 2.5
	if b.GuidanceDefault == inpaintW {
		t.Fatalf("the test bundle's guidance_default is %g, the weight this test sets for inpainting", inpaintW)
	}
	withW := filepath.Join(dir, "with-inpaint-guidance")
	if err := os.CopyFS(withW, os.DirFS(dig)); err != nil {
		t.Fatal(err)
	}
	setManifestField(t, withW, "inpaint_guidance", inpaintW)
	inpaint := func(model, name string, extra ...string) ([]byte, string) {
		out := filepath.Join(dir, name+".npy")
		stdout := run(t, append([]string{"inpaint", "--model", model, "--image", filepath.Join(inferFixtures, "digit.png"),
			"--mask", filepath.Join(inferFixtures, "mask-gray.png"), "--class", "3", "--steps", "2", "--out", out}, extra...)...)
		return readFile(t, out), stdout
	}
	unset, _ := inpaint(dig, "unset")
	if explicit, _ := inpaint(dig, "explicit", "--guidance", strconv.FormatFloat(b.GuidanceDefault, 'g', -1, 64)); !bytes.Equal(unset, explicit) {
		t.Errorf("without inpaint_guidance: no --guidance differs from --guidance %g (guidance_default)", b.GuidanceDefault)
	}
	set, stdout := inpaint(withW, "set")
	if !strings.Contains(stdout, fmt.Sprintf("guidance %g", inpaintW)) {
		t.Errorf("inpaint_guidance %g: stdout %q does not name that weight", inpaintW, stdout)
	}
	if explicit, _ := inpaint(dig, "explicit-w", "--guidance", strconv.FormatFloat(inpaintW, 'g', -1, 64)); !bytes.Equal(set, explicit) {
		t.Errorf("inpaint_guidance %g: no --guidance differs from --guidance %g", inpaintW, inpaintW)
	}
	if bytes.Equal(set, unset) {
		t.Errorf("inpaint_guidance %g gives the same completion as guidance_default %g", inpaintW, b.GuidanceDefault)
	}
	sample := func(model, name string) []byte {
		out := filepath.Join(dir, name+".npy")
		run(t, "sample", "--model", model, "--n", "2", "--class", "3", "--steps", "2", "--out", out)
		return readFile(t, out)
	}
	if !bytes.Equal(sample(dig, "s-unset"), sample(withW, "s-set")) {
		t.Errorf("inpaint_guidance changed what sample draws; sample uses guidance_default")
	}
}

// TestInpaintCandidates checks --n > 1 (a grid), NPY output and reproducibility.
func TestInpaintCandidates(t *testing.T) {
	dir := t.TempDir()
	dig := bundles.Digits(t)
	args := []string{"inpaint", "--model", dig, "--image", filepath.Join(inferFixtures, "digit.png"), "--mask", filepath.Join(inferFixtures, "mask.jpg"), "--n", "4", "--seed", "3"}
	run(t, append(args, "--out", filepath.Join(dir, "grid.png"))...)
	if b := readPNG(t, filepath.Join(dir, "grid.png")).Bounds(); b.Dx() != 2+2*58 || b.Dy() != 2+2*58 {
		t.Errorf("grid of 4 is %v, want 2x2 tiles (%d pixels square)", b, 2+2*58)
	}
	run(t, append(args, "--out", filepath.Join(dir, "a.npy"))...)
	run(t, append(args, "--out", filepath.Join(dir, "b.npy"), "--batch", "4")...)
	a := readNpyT(t, filepath.Join(dir, "a.npy"))
	if !a.Shape.Equal(tensor.Shape{4, 1, 28, 28}) {
		t.Fatalf("npy shape %v, want (4,1,28,28)", a.Shape)
	}
	if !slices.Equal(a.Float32, readNpyT(t, filepath.Join(dir, "b.npy")).Float32) {
		t.Errorf("the same seed and batch gave different candidates")
	}
	img, err := infer.ReadImage(filepath.Join(inferFixtures, "digit.png"), 1, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		for p := range 784 {
			if p%28 < 14 && a.Float32[i*784+p] != img[p] {
				t.Fatalf("candidate %d, kept pixel %d = %v, want %v", i, p, a.Float32[i*784+p], img[p])
			}
		}
	}
}

func TestInpaintErrors(t *testing.T) {
	dir := t.TempDir()
	dig, toy := bundles.Digits(t), bundles.Toy(t)
	digit, mask := filepath.Join(inferFixtures, "digit.png"), filepath.Join(inferFixtures, "mask-gray.png")
	out := filepath.Join(dir, "o.png")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"mask size", []string{"--model", dig, "--image", digit, "--mask", filepath.Join(inferFixtures, "mask-small.png")}, []string{"--mask", "mask-small.png", "27x28"}},
		{"mask not an image", []string{"--model", dig, "--image", digit, "--mask", filepath.Join(inferFixtures, "not-an-image.png")}, []string{"--mask", "not-an-image.png", "not a PNG or JPEG"}},
		{"missing mask", []string{"--model", dig, "--image", digit, "--mask", filepath.Join(dir, "none.png")}, []string{"--mask", "none.png"}},
		{"image size", []string{"--model", dig, "--image", filepath.Join(inferFixtures, "mask-small.png"), "--mask", mask}, []string{"--image", "mask-small.png", "27x28"}},
		{"points model", []string{"--model", toy, "--image", digit, "--mask", mask}, []string{"inpaint", "image model"}},
		{"unknown class", []string{"--model", dig, "--image", digit, "--mask", mask, "--class", "x"}, []string{"--class x", `"3", "7"`}},
		{"negative resample", []string{"--model", dig, "--image", digit, "--mask", mask, "--resample", "-1"}, []string{"--resample -1", "0 (plain replacement) or more"}},
		{"guidance, null class", []string{"--model", dig, "--image", digit, "--mask", mask, "--class", "none", "--guidance", "2"}, []string{"--guidance", "needs a class"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fails(t, append(append([]string{"inpaint"}, c.args...), "--out", out), c.want...)
		})
	}
	fails(t, []string{"inpaint", "--model", dig, "--image", digit, "--mask", mask, "--out", filepath.Join(dir, "o.csv")}, "--out", ".png, .npy")
}

// TestCompose composes the two classes of the image model.
func TestCompose(t *testing.T) {
	dir := t.TempDir()
	dig, toy := bundles.Digits(t), bundles.Toy(t)
	stdout := run(t, "compose", "--model", dig, "--classes", "3,7", "--guidance", "1", "--n", "4", "--out", filepath.Join(dir, "c.png"))
	if !strings.Contains(stdout, "classes 3+7 composed with guidance 1") {
		t.Errorf("stdout %q", stdout)
	}
	if b := readPNG(t, filepath.Join(dir, "c.png")).Bounds(); b.Dx() != 2+2*58 {
		t.Errorf("grid of 4 is %v", b)
	}
	run(t, "compose", "--model", dig, "--classes", "3, 7", "--n", "2", "--out", filepath.Join(dir, "c.npy"))
	if x := readNpyT(t, filepath.Join(dir, "c.npy")); !x.Shape.Equal(tensor.Shape{2, 1, 28, 28}) {
		t.Errorf("npy shape %v", x.Shape)
	}
	out := filepath.Join(dir, "x.png")
	fails(t, []string{"compose", "--model", dig, "--classes", "3,9", "--n", "2", "--out", out}, "--classes", `"9"`, `"3", "7"`)
	fails(t, []string{"compose", "--model", dig, "--classes", ",", "--n", "2", "--out", out}, "--classes", "no class labels")
	fails(t, []string{"compose", "--model", toy, "--classes", "1", "--n", "2", "--out", out}, "--classes", "unconditional")
	fails(t, []string{"compose", "--model", dig, "--classes", "3", "--n", "2", "--guidance", "-2", "--out", out}, "weight -2")
}

// TestOOD scores a folder of PNGs, one PNG, an NPY array and a CSV of points.
func TestOOD(t *testing.T) {
	dir := t.TempDir()
	dig, toy := bundles.Digits(t), bundles.Toy(t)
	imgs := filepath.Join(dir, "imgs")
	if err := os.MkdirAll(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	names := []string{"a.png", "b.png", "c,d.png"}
	for i, n := range names {
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		for p := range img.Pix {
			img.Pix[p] = uint8(p * (i + 1))
		}
		if err := writePNG(filepath.Join(imgs, n), img); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(imgs, "notes.txt"), []byte("skipped"), 0o644); err != nil {
		t.Fatal(err)
	}
	scores := filepath.Join(dir, "dir.csv")
	run(t, "ood", "--model", dig, "--input", imgs, "--out", scores, "--batch", "2")
	lines := strings.Split(strings.TrimSpace(string(readFile(t, scores))), "\n")
	if len(lines) != 4 || lines[0] != "input,score" || !strings.HasPrefix(lines[1], "a.png,") || !strings.HasPrefix(lines[3], `"c,d.png",`) {
		t.Errorf("scores of a folder:\n%s", strings.Join(lines, "\n"))
	}
	// The folder's scores are Sampler.OOD's.
	s := librarySampler(t, dig)
	x, err := infer.ReadImage(filepath.Join(imgs, "b.png"), 1, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.OOD(context.Background(), x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(lines[2], "b.png,"); got != scoreText(want[0]) {
		t.Errorf("b.png scored %s, Sampler.OOD says %v", got, want[0])
	}

	// --level scores with another level's energy; a bundle whose manifest names an ood_level
	// scores with that level unless --level says otherwise.
	levels := s.Schedule().Levels
	atTop, err := s.OODAt(context.Background(), x, 1, levels-1)
	if err != nil {
		t.Fatal(err)
	}
	top := strconv.Itoa(levels - 1)
	out := run(t, "ood", "--model", dig, "--input", filepath.Join(imgs, "b.png"), "--level", top, "--out", filepath.Join(dir, "top.csv"))
	if got, want := string(readFile(t, filepath.Join(dir, "top.csv"))), "input,score\nb.png,"+scoreText(atTop[0])+"\n"; got != want {
		t.Errorf("--level %s: %q, want %q", top, got, want)
	}
	if atTop[0] == want[0] {
		t.Errorf("levels 0 and %s give b.png the same score %v", top, want[0])
	}
	if !strings.Contains(out, "at level "+top) {
		t.Errorf("--level %s: output does not name the level:\n%s", top, out)
	}
	withLevel := filepath.Join(dir, "with-level")
	if err := os.CopyFS(withLevel, os.DirFS(dig)); err != nil {
		t.Fatal(err)
	}
	setManifestField(t, withLevel, "ood_level", levels-1)
	run(t, "ood", "--model", withLevel, "--input", filepath.Join(imgs, "b.png"), "--out", filepath.Join(dir, "manifest-level.csv"))
	if got, want := string(readFile(t, filepath.Join(dir, "manifest-level.csv"))), string(readFile(t, filepath.Join(dir, "top.csv"))); got != want {
		t.Errorf("ood_level %d in the manifest: %q, want --level %s's %q", levels-1, got, top, want)
	}
	run(t, "ood", "--model", withLevel, "--input", filepath.Join(imgs, "b.png"), "--level", "0", "--out", filepath.Join(dir, "zero.csv"))
	if got, want := string(readFile(t, filepath.Join(dir, "zero.csv"))), "input,score\n"+lines[2]+"\n"; got != want {
		t.Errorf("--level 0 over the manifest's ood_level: %q, want %q", got, want)
	}
	fails(t, []string{"ood", "--model", dig, "--input", imgs, "--level", strconv.Itoa(levels), "--out", scores}, "--level "+strconv.Itoa(levels), "0.."+top)
	fails(t, []string{"ood", "--model", dig, "--input", imgs, "--level", "-1", "--out", scores}, "--level -1")

	run(t, "ood", "--model", dig, "--input", filepath.Join(imgs, "b.png"), "--out", filepath.Join(dir, "one.csv"))
	if got := string(readFile(t, filepath.Join(dir, "one.csv"))); got != "input,score\n"+lines[2]+"\n" {
		t.Errorf("one PNG: %q, want the folder's row %q", got, lines[2])
	}

	npy := filepath.Join(dir, "x.npy")
	if err := tensor.WriteNpyFile(npy, tensor.FromFloat32(make([]float32, 5*784), 5, 1, 28, 28)); err != nil {
		t.Fatal(err)
	}
	run(t, "ood", "--model", dig, "--input", npy, "--out", filepath.Join(dir, "npy.csv"))
	lines = strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(dir, "npy.csv")))), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[1], "0,") || !strings.HasPrefix(lines[5], "4,") {
		t.Errorf("scores of an array:\n%s", strings.Join(lines, "\n"))
	}

	pts := filepath.Join(dir, "p.csv")
	if err := os.WriteFile(pts, []byte("x,y\n1,2\n-3,0.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "ood", "--model", toy, "--input", pts, "--out", filepath.Join(dir, "pts.csv"))
	if n := len(strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(dir, "pts.csv")))), "\n")); n != 3 {
		t.Errorf("scores of 2 points: %d lines, want 3", n)
	}

	wrong := filepath.Join(dir, "wrong.npy")
	if err := tensor.WriteNpyFile(wrong, tensor.New(tensor.Float32, 2, 3)); err != nil {
		t.Fatal(err)
	}
	fails(t, []string{"ood", "--model", dig, "--input", wrong, "--out", scores}, "--input", "wrong.npy", "(N,1,28,28)")
	fails(t, []string{"ood", "--model", dig, "--input", filepath.Join(inferFixtures, "mask-small.png"), "--out", scores}, "mask-small.png", "27x28")
	fails(t, []string{"ood", "--model", dig, "--input", pts, "--out", scores}, "--input", "p.csv")
	fails(t, []string{"ood", "--model", dig, "--input", npy, "--out", filepath.Join(dir, "s.txt")}, "--out", ".csv")
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	fails(t, []string{"ood", "--model", dig, "--input", empty, "--out", scores}, "--input", "no PNG or JPEG")
}

// setManifestField sets one top-level field of the manifest of the bundle folder dir.
func setManifestField(t *testing.T, dir, field string, value any) {
	t.Helper()
	file := filepath.Join(dir, bundle.ManifestFile)
	var m map[string]any
	if err := json.Unmarshal(readFile(t, file), &m); err != nil {
		t.Fatal(err)
	}
	m[field] = value
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// scoreText formats a score as the ood command does.
func scoreText(v float64) string { return strconv.FormatFloat(v, 'g', -1, 32) }

// TestEnergyModel checks `energy --model`: energies at a level and gradients with respect to
// the inputs, against Sampler.Energy and a finite difference.
func TestEnergyModel(t *testing.T) {
	dir := t.TempDir()
	toy, dig := bundles.Toy(t), bundles.Digits(t)
	pts := filepath.Join(dir, "p.csv")
	if err := os.WriteFile(pts, []byte("x,y\n1,2\n-3,0.5\n4,-4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout := run(t, "energy", "--model", toy, "--input", pts, "--level", "1", "--out", filepath.Join(dir, "toy"))
	if !strings.Contains(stdout, "energy.npy") || !strings.Contains(stdout, "grad.npy") || !strings.Contains(stdout, "log-density") {
		t.Errorf("stdout %q", stdout)
	}
	e, g := readNpyT(t, filepath.Join(dir, "toy", "energy.npy")), readNpyT(t, filepath.Join(dir, "toy", "grad.npy"))
	if !e.Shape.Equal(tensor.Shape{3}) || !g.Shape.Equal(tensor.Shape{3, 2}) {
		t.Fatalf("shapes %v and %v, want (3) and (3,2)", e.Shape, g.Shape)
	}
	s := librarySampler(t, toy)
	x := []float32{1, 2, -3, 0.5, 4, -4}
	f, _, err := s.Energy(context.Background(), x, 3, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.Float32, f) {
		t.Errorf("energies %v, Sampler.Energy %v", e.Float32, f)
	}
	// d energy / d x_0 by central differences in float32 (coarse: a 1e-2 step).
	const h = 1e-2
	xp, xm := slices.Clone(x), slices.Clone(x)
	xp[0] += h
	xm[0] -= h
	fp, _, _ := s.Energy(context.Background(), xp, 3, 1, nil)
	fm, _, _ := s.Energy(context.Background(), xm, 3, 1, nil)
	fd := (float64(fp[0]) - float64(fm[0])) / (2 * h)
	if got := float64(g.Float32[0]); abs(got-fd) > 0.05*max(abs(fd), 1e-3)+1e-4 {
		t.Errorf("grad[0][0] = %g, finite difference %g", got, fd)
	}

	run(t, "energy", "--model", dig, "--input", filepath.Join(inferFixtures, "digit.png"), "--level", "2", "--class", "7", "--out", filepath.Join(dir, "dig"))
	if g := readNpyT(t, filepath.Join(dir, "dig", "grad.npy")); !g.Shape.Equal(tensor.Shape{1, 1, 28, 28}) {
		t.Errorf("grad of one PNG has shape %v, want (1,1,28,28)", g.Shape)
	}
	npy := filepath.Join(dir, "x.npy")
	if err := tensor.WriteNpyFile(npy, tensor.FromFloat32(make([]float32, 3*784), 3, 1, 28, 28)); err != nil {
		t.Fatal(err)
	}
	run(t, "energy", "--model", dig, "--input", npy, "--level", "0", "--batch", "2", "--out", filepath.Join(dir, "npy"))
	if e := readNpyT(t, filepath.Join(dir, "npy", "energy.npy")); !e.Shape.Equal(tensor.Shape{3}) || e.Float32[0] != e.Float32[2] {
		t.Errorf("energies of 3 equal inputs: %v%v", e.Shape, e.Float32)
	}

	out := filepath.Join(dir, "bad")
	graph := fixture("mlp_opset13", "onnx")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"both", []string{"--graph", graph, "--model", toy, "--input", pts}, []string{"exactly one of --graph", "--model"}},
		{"neither", []string{"--input", pts}, []string{"exactly one of --graph", "--model"}},
		{"level range", []string{"--model", toy, "--input", pts, "--level", "6"}, []string{"--level 6", "0..5"}},
		{"logsnr with model", []string{"--model", toy, "--input", pts, "--logsnr", "l.npy"}, []string{"--logsnr", "--graph"}},
		{"level with graph", []string{"--graph", graph, "--input", fixture("mlp_opset13", "x.npy"), "--level", "1"}, []string{"--level", "--model"}},
		{"graph without logsnr", []string{"--graph", graph, "--input", fixture("mlp_opset13", "x.npy")}, []string{"--logsnr"}},
		{"class on unconditional", []string{"--model", toy, "--input", pts, "--class", "1"}, []string{"--class 1", "unconditional"}},
		{"png for points", []string{"--model", toy, "--input", filepath.Join(inferFixtures, "digit.png")}, []string{"--input", "digit.png", "points"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fails(t, append(append([]string{"energy"}, c.args...), "--out", out), c.want...) })
	}
}

func abs(v float64) float64 { return max(v, -v) }

// TestHelp checks that every command's --help shows examples and the defaults.
func TestHelp(t *testing.T) {
	for _, c := range []struct {
		cmd  string
		want []string
	}{
		{"sample", []string{"Examples:", "cdrl-infer sample", `(default: "mnist")`, "(default: 256 for images, 4096 for points)", "(default: 1)", "guidance_default", "--steps"}},
		{"inpaint", []string{"Examples:", "--invert-mask", "white = generate", "(default: 1)", "--class auto", "--class none", "(default: auto for a conditional model)"}},
		{"vary", []string{"Examples:", "cdrl-infer vary", "--level L", "(default: 3)"}},
		{"compose", []string{"Examples:", "--classes", "guidance_default"}},
		{"ood", []string{"Examples:", "input,score", `(default: "mnist")`}},
		{"energy", []string{"Examples:", "--graph", "--model", "--level", "(default: 0)"}},
	} {
		code, stdout, stderr := runCLI(t, c.cmd, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d: %s", c.cmd, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s --help does not mention %q", c.cmd, w)
			}
		}
	}
}

// TestSampleAllClasses draws N samples of every class as one grid row per class.
func TestSampleAllClasses(t *testing.T) {
	dir := t.TempDir()
	dig := bundles.Digits(t)
	b, err := bundle.ReadDir(dig)
	if err != nil {
		t.Fatal(err)
	}
	k := len(b.Manifest.Classes)
	out := run(t, "sample", "--model", dig, "--n", "3", "--class", "all", "--out", filepath.Join(dir, "all.png"))
	if want := fmt.Sprintf("3 samples of each of %d classes", k); !strings.Contains(out, want) {
		t.Errorf("stdout %q does not say %q", out, want)
	}
	if bd := readPNG(t, filepath.Join(dir, "all.png")).Bounds(); bd.Dx() != 2+3*58 || bd.Dy() != 2+k*58 {
		t.Errorf("grid is %dx%d, want %dx%d (3 columns, one row per class)", bd.Dx(), bd.Dy(), 2+3*58, 2+k*58)
	}
	code, _, stderr := runCLI(t, "sample", "--model", bundles.Toy(t), "--n", "3", "--class", "all", "--out", filepath.Join(dir, "t.png"))
	if code == 0 || !strings.Contains(stderr, "unconditional") {
		t.Errorf("--class all on an unconditional model: exit %d, %q", code, stderr)
	}
}

// writePNG writes img as a PNG file at path.
func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// TestDefaultModelIsEmbedded samples the default model (the embedded mnist) with no files.
func TestDefaultModelIsEmbedded(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d.png")
	stdout := run(t, "sample", "--n", "2", "--class", "7", "--steps", "1", "--threads", "1", "--out", out)
	if !strings.Contains(stdout, "model mnist") {
		t.Errorf("stdout %q does not name the embedded mnist model", stdout)
	}
	readPNG(t, out)
}

// TestVary draws variations of the fixture digit: from level 1 they stay close to it, from the
// top level they do not; the same seed repeats; bad levels and points models are errors.
func TestVary(t *testing.T) {
	dir := t.TempDir()
	dig, toy := bundles.Digits(t), bundles.Toy(t)
	digit := filepath.Join(inferFixtures, "digit.png")
	img, err := infer.ReadImage(digit, 1, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	dist := func(level string) float64 {
		out := filepath.Join(dir, "v"+level+".npy")
		stdout := run(t, "vary", "--model", dig, "--image", digit, "--level", level, "--n", "3", "--seed", "2", "--out", out)
		if !strings.Contains(stdout, "3 variations") || !strings.Contains(stdout, "started at level "+level+" of 6") {
			t.Errorf("stdout %q does not say what it drew", stdout)
		}
		x := readNpyT(t, out)
		if !x.Shape.Equal(tensor.Shape{3, 1, 28, 28}) {
			t.Fatalf("npy shape %v, want (3,1,28,28)", x.Shape)
		}
		var s float64
		for i, v := range x.Float32 {
			d := float64(v - img[i%784])
			s += d * d
		}
		return math.Sqrt(s / float64(len(x.Float32)))
	}
	near, far := dist("1"), dist("6")
	if !(near < 0.5*far) {
		t.Errorf("rms distance to the image: %.3f from level 1, %.3f from level 6; want the first well below the second", near, far)
	}
	if again := dist("1"); again != near {
		t.Errorf("the same seed gave a different result (%g vs %g)", again, near)
	}
	run(t, "vary", "--model", dig, "--image", digit, "--n", "4", "--out", filepath.Join(dir, "grid.png"))
	if b := readPNG(t, filepath.Join(dir, "grid.png")).Bounds(); b.Dx() != 2+2*58 || b.Dy() != 2+2*58 {
		t.Errorf("grid of 4 is %v, want 2x2 tiles", b)
	}
	out := filepath.Join(dir, "o.png")
	fails(t, []string{"vary", "--model", dig, "--image", digit, "--level", "0", "--out", out}, "--level 0", "1..6")
	fails(t, []string{"vary", "--model", dig, "--image", digit, "--level", "7", "--out", out}, "--level 7")
	fails(t, []string{"vary", "--model", toy, "--image", digit, "--out", out}, "vary", "image model")
	fails(t, []string{"vary", "--model", dig, "--image", digit, "--class", "auto", "--out", out}, "--class auto", "only inpaint")
	fails(t, []string{"vary", "--model", dig, "--image", filepath.Join(dir, "none.png"), "--out", out}, "--image", "none.png")
}

// TestCSVInputs checks how point CSV files are read: an optional header of names on the first
// line, and an error naming the file and line for a number out of float32's range (which used to
// be taken for a header, losing the point) or a line of words after the first.
func TestCSVInputs(t *testing.T) {
	dir := t.TempDir()
	toy := bundles.Toy(t)
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, c := range []struct {
		name, text string
		points     int
	}{
		{"header.csv", "x,y\n0.1,0.2\n0.3,0.4\n", 2},
		{"plain.csv", "0.1,0.2\n0.3,0.4\n0.5,0.6\n", 3},
		{"blank-first.csv", "\n x , y \n0.1,0.2\n", 1},
	} {
		run(t, "energy", "--model", toy, "--input", write(c.name, c.text), "--out", filepath.Join(dir, c.name+".out"))
		if e := readNpyT(t, filepath.Join(dir, c.name+".out", "energy.npy")); !e.Shape.Equal(tensor.Shape{c.points}) {
			t.Errorf("%s: energies of shape %v, want (%d)", c.name, e.Shape, c.points)
		}
	}
	for _, c := range []struct {
		name, text string
		want       []string
	}{
		{"range.csv", "1e39,0\n0.1,0.2\n", []string{"range.csv", "line 1", "1e39", "float32's range"}},
		{"range-later.csv", "x,y\n0.1,-1e40\n", []string{"range-later.csv", "line 2", "-1e40"}},
		{"two-headers.csv", "x,y\nu,v\n0.1,0.2\n", []string{"two-headers.csv", "line 2", `"u,v"`}},
		{"half-word.csv", "0.1,y\n0.1,0.2\n", []string{"half-word.csv", "line 1"}},
	} {
		fails(t, []string{"energy", "--model", toy, "--input", write(c.name, c.text), "--out", filepath.Join(dir, "bad")}, c.want...)
	}
}

// TestSampleClassNone checks that --class none samples unconditionally, as without --class,
// on a conditional model (as inpaint's --class none does).
func TestSampleClassNone(t *testing.T) {
	dir := t.TempDir()
	dig := bundles.Digits(t)
	stdout := run(t, "sample", "--model", dig, "--n", "3", "--class", "none", "--out", filepath.Join(dir, "none.npy"))
	run(t, "sample", "--model", dig, "--n", "3", "--out", filepath.Join(dir, "unset.npy"))
	if !bytes.Equal(readFile(t, filepath.Join(dir, "none.npy")), readFile(t, filepath.Join(dir, "unset.npy"))) {
		t.Error("--class none and no --class gave different samples")
	}
	if !strings.Contains(stdout, "unconditional") {
		t.Errorf("stdout %q does not say unconditional", stdout)
	}
}

// TestColorImageNote checks that a color --image given to a grayscale model is read as its
// luma with a note saying so, and that a grey one gets no note.
func TestColorImageNote(t *testing.T) {
	dir := t.TempDir()
	dig := bundles.Digits(t)
	colored := image.NewNRGBA(image.Rect(0, 0, 28, 28))
	for i := range colored.Pix {
		colored.Pix[i] = 255
	}
	colored.Set(3, 4, color.NRGBA{R: 200, G: 10, B: 10, A: 255})
	path := filepath.Join(dir, "red.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, colored); err != nil {
		t.Fatal(err)
	}
	f.Close()
	mask := filepath.Join(inferFixtures, "mask-gray.png")
	stdout := run(t, "inpaint", "--model", dig, "--image", path, "--mask", mask, "--class", "none", "--out", filepath.Join(dir, "a.png"))
	if !strings.Contains(stdout, "note: --image "+path+" is in color") {
		t.Errorf("stdout %q has no note on the color image", stdout)
	}
	grey := filepath.Join(inferFixtures, "digit.png")
	if stdout := run(t, "inpaint", "--model", dig, "--image", grey, "--mask", mask, "--class", "none", "--out", filepath.Join(dir, "b.png")); strings.Contains(stdout, "note:") {
		t.Errorf("a grey image got a note: %q", stdout)
	}
}

// TestSampleStreamed samples 20,000 points of the embedded toy2d model in chunks of 500 to
// .npy and .csv: both files are written chunk by chunk as the sampler finishes them, and hold
// exactly what infer.Sampler.Sample returns with all samples in memory (same seed and chunks).
func TestSampleStreamed(t *testing.T) {
	dir := t.TempDir()
	const n = 20000
	args := []string{"sample", "--model", "toy2d", "--n", strconv.Itoa(n), "--batch", "500", "--steps", "1", "--seed", "8"}
	run(t, append(args, "--out", filepath.Join(dir, "p.npy"))...)
	run(t, append(args, "--out", filepath.Join(dir, "p.csv"))...)
	b, err := cli.ReadModel("--model", "toy2d")
	if err != nil {
		t.Fatal(err)
	}
	s, err := infer.NewSampler(b, ort.SessionConfig{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want, err := s.Sample(context.Background(), n, infer.SampleOptions{Seed: 8, Steps: 1, Batch: 500})
	if err != nil {
		t.Fatal(err)
	}
	x := readNpyT(t, filepath.Join(dir, "p.npy"))
	if !x.Shape.Equal(tensor.Shape{n, 2}) || !slices.Equal(x.Float32, want) {
		t.Errorf("streamed .npy: shape %v; equal to Sampler.Sample's samples: %v", x.Shape, slices.Equal(x.Float32, want))
	}
	if got, w := readFile(t, filepath.Join(dir, "p.csv")), appendCSVRows([]byte("x,y\n"), want, 2); !bytes.Equal(got, w) {
		t.Errorf("streamed .csv (%d bytes) differs from Sampler.Sample's points as CSV (%d bytes)", len(got), len(w))
	}
}

// TestSampleStreamFailsWhole checks that a streamed output whose sampling fails after a chunk
// was written, or that gets fewer samples than it declared, leaves no file behind, not even a
// partial or temporary one, and that the sampler's error comes back as it is. (A CSV declares
// no count, so only an .npy can miss samples.)
func TestSampleStreamFailsWhole(t *testing.T) {
	m := &bundle.Manifest{Kind: bundle.KindPoints, Shape: []int{2}}
	boom := errors.New("infer: sample: 1 of 4 samples are not finite numbers")
	for _, c := range []struct {
		name   string
		exts   []string
		sample sampleFunc
		want   string
	}{
		{"error after a chunk", []string{extNPY, extCSV}, func(o infer.SampleOptions) ([]float32, error) {
			if err := o.Stream(0, []float32{1, 2, 3, 4}); err != nil {
				return nil, err
			}
			return nil, boom
		}, boom.Error()},
		{"fewer samples", []string{extNPY}, func(o infer.SampleOptions) ([]float32, error) {
			return nil, o.Stream(0, []float32{1, 2, 3, 4})
		}, "4 values missing"},
	} {
		for _, ext := range c.exts {
			t.Run(c.name+ext, func(t *testing.T) {
				dir := t.TempDir()
				out := samplesOut{path: filepath.Join(dir, "x"+ext), ext: ext, m: m, flagN: 4, n: 4}
				err := out.write(infer.SampleOptions{}, c.sample)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("error %v, want one saying %q", err, c.want)
				}
				if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
					t.Errorf("a failed streamed write left %v (%v) in the output folder", entries, err)
				}
			})
		}
	}
}

// TestSampleGridTooLarge checks that a PNG grid too large to make is refused before any
// sampling (100,000 digits would take hours to sample), with an error that names --n and
// suggests .npy, for sample, sample --class all, compose and inpaint.
func TestSampleGridTooLarge(t *testing.T) {
	dir := t.TempDir()
	dig := bundles.Digits(t)
	out := filepath.Join(dir, "x.png")
	for _, args := range [][]string{
		{"sample", "--model", dig, "--n", "100000", "--out", out},
		{"sample", "--model", dig, "--n", "20000", "--class", "all", "--out", out},
		{"compose", "--model", dig, "--classes", "3,7", "--n", "100000", "--out", out},
		{"inpaint", "--model", dig, "--image", filepath.Join(inferFixtures, "digit.png"), "--mask", filepath.Join(inferFixtures, "mask-gray.png"), "--class", "7", "--n", "100000", "--out", out},
	} {
		n := args[slices.Index(args, "--n")+1]
		fails(t, args, "--out "+out, "--n "+n, "do not fit in one PNG grid", "write .npy")
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused run wrote %s", out)
	}
}
