package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	"github.com/cdrl-go/cdrl/train/data"
)

// testOptions are quick settings on one thread, as the flags' defaults would give them.
func testOptions(t *testing.T, models ...string) options {
	t.Helper()
	w, err := parseWeights(defaultWeights)
	if err != nil {
		t.Fatal(err)
	}
	return options{
		Out: t.TempDir(), Models: models, Seed: 1, Weights: w, Quick: true, Digits: "mnist",
		Runtime: cli.Runtime{Device: "cpu", Threads: 1}, Command: "cdrl-eval --quick",
	}
}

// reportRows reads the main-table rows of report.md in dir: metric -> [value, target].
func reportRows(t *testing.T, dir string) (map[string][2]string, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, reportFile))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][2]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(strings.ReplaceAll(line, `\|`, "!"), "| "), " | ")
		if len(cells) == 3 {
			rows[cells[0]] = [2]string{cells[1], cells[2]}
		}
	}
	return rows, string(raw)
}

// fraction parses the leading number of a table value and checks that it lies in [0, 1].
func fraction(t *testing.T, rows map[string][2]string, metric string) float64 {
	t.Helper()
	r, ok := rows[metric]
	if !ok {
		t.Fatalf("report has no row %q; rows: %q", metric, rows)
	}
	v, err := strconv.ParseFloat(strings.Fields(r[0])[0], 64)
	if err != nil || v < 0 || v > 1 {
		t.Errorf("row %q: value %q, want a number in [0, 1]", metric, r[0])
	}
	return v
}

// checkPNG decodes dir/name and checks its size when w and h are positive.
func checkPNG(t *testing.T, dir, name string, w, h int) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if b := img.Bounds(); w > 0 && (b.Dx() != w || b.Dy() != h) {
		t.Errorf("%s is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), w, h)
	}
}

func TestPointsModel(t *testing.T) {
	o := testOptions(t, bundles.Toy(t))
	var out bytes.Buffer
	if err := run(context.Background(), o, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("output:\n%s", out.String())
	rows, md := reportRows(t, o.Out)
	fraction(t, rows, "fraction inside the 8 squares")
	fraction(t, rows, "max !share - 1/8!")
	if got := strings.Fields(rows["share of all samples in each square (squares 1-8)"][0]); len(got) != 8 {
		t.Errorf("square shares %q, want 8 values", got)
	}
	found := 0
	for metric, r := range rows {
		if strings.HasPrefix(metric, "energy distance") || strings.HasPrefix(metric, "MMD^2") {
			found++
			if _, err := strconv.ParseFloat(r[0], 64); err != nil {
				t.Errorf("row %q: value %q is not a number", metric, r[0])
			}
		}
	}
	if found != 2 {
		t.Errorf("%d energy distance and MMD rows, want 2:\n%s", found, md)
	}
	if !strings.Contains(rows["sampling rate"][0], "samples/s") {
		t.Errorf("sampling rate row %q", rows["sampling rate"])
	}
	for _, want := range []string{"`cdrl-eval --quick`", "N = 400 samples", "](toy-density.png)"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	// Two panels side by side: the enlarged heatmap and the scatter, both scatterSize square.
	checkPNG(t, o.Out, "toy-density.png", 0, 0)
	for _, f := range []string{filepath.Join(o.Out, "toy-density.png"), filepath.Join(o.Out, reportFile)} {
		if !strings.Contains(out.String(), "wrote "+f+"\n") {
			t.Errorf("output does not name %s:\n%s", f, out.String())
		}
	}
	if !strings.Contains(out.String(), "toy: sample: 400 samples in") || !strings.Contains(out.String(), "done in ") {
		t.Errorf("output lacks the stage or closing lines:\n%s", out.String())
	}
}

// mnistAvailable skips the test when the MNIST test files of `make setup` are missing.
func mnistAvailable(t *testing.T) {
	t.Helper()
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skipf("no MNIST: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("no MNIST test digits in %s (run make setup): %v", dir, err)
	}
}

func TestImageModel(t *testing.T) {
	mnistAvailable(t)
	o := testOptions(t, bundles.Digits(t))
	o.Weights = []float64{0, 1.5}
	o.Resample = 1
	var out bytes.Buffer
	if err := run(context.Background(), o, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("output:\n%s", out.String())
	rows, md := reportRows(t, o.Out)
	for _, w := range []string{"0", "1.5"} {
		fraction(t, rows, "guided accuracy, w = "+w)
		fraction(t, rows, "mean max-softmax, guided w = "+w)
	}
	rec := rows["recommended guidance_default (best guided accuracy)"][0]
	if !strings.HasPrefix(rec, "0 (") && !strings.HasPrefix(rec, "1.5 (") {
		t.Errorf("recommended guidance_default %q, want one of the weights", rec)
	}
	for _, metric := range []string{
		"smallest digit share, unguided", "mean max-softmax, unguided", "classifier confident (max-softmax > 0.9), unguided",
		"inpainting agreement, lower half unknown (4 test digits)",
		"inpainting agreement, random 50% of pixels unknown (4 test digits)",
		"inpainting agreement, lower half unknown (4 test digits, resample 1)",
		"inpainting agreement, random 50% of pixels unknown (4 test digits, resample 1)",
		"inferred class is the true digit, lower half unknown (4 test digits)",
		"inferred class is the true digit, random 50% of pixels unknown (4 test digits)",
		"OOD AUROC, 20 test digits vs 20 averages of two test digits (ood_level 0)",
		"OOD AUROC, 20 test digits vs 20 uniform noise in [-1, 1] (ood_level 0)",
		"OOD AUROC, 20 test digits vs 20 test digits rotated by 90 degrees (ood_level 0)",
	} {
		fraction(t, rows, metric)
	}
	b, err := bundle.ReadDir(bundles.Digits(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, mask := range []string{"lower half unknown", "random 50% of pixels unknown"} {
		fraction(t, rows, fmt.Sprintf("inpainting agreement, %s (4 test digits, class inferred, guidance %g, the manifest's inpainting weight)", mask, b.Manifest.InpaintGuidanceWeight()))
	}
	// The weights table has one row per weight: the two given and the manifest's, when not one of them.
	weights := []string{"0", "1.5"}
	if w := b.Manifest.InpaintGuidanceWeight(); w != 0 && w != 1.5 {
		weights = append(weights, strconv.FormatFloat(w, 'g', -1, 64))
	}
	const weightsHeader = "| w | lower half unknown | random 50% unknown | completions/s |"
	i := strings.Index(md, weightsHeader)
	if i < 0 {
		t.Fatalf("report lacks the inpainting weights table %q:\n%s", weightsHeader, md)
	}
	weightsTable, _, _ := strings.Cut(md[i:], "\n\n")
	for _, w := range weights {
		if !strings.Contains(weightsTable, "\n| "+w+" | ") {
			t.Errorf("the inpainting weights table lacks the row for w = %s:\n%s", w, weightsTable)
		}
	}
	rec = rows["recommended inpaint_guidance (best mean agreement of the two masks on 4 training digits, class inferred)"][0]
	if w := strings.Fields(rec)[0]; !slices.Contains(weights, w) {
		t.Errorf("recommended inpaint_guidance %q, want one of the weights %v first", rec, weights)
	}
	if r, ok := rows["class inference rate (ClassPosterior per digit and mask)"]; !ok || !strings.HasSuffix(r[0], " digits/s") {
		t.Errorf("class inference rate row %q, want a rate in digits/s", r)
	}
	rec = rows["recommended ood_level (highest smallest AUROC on training digits)"][0]
	if l, err := strconv.Atoi(strings.Fields(rec)[0]); err != nil || l < 0 || l >= 6 {
		t.Errorf("recommended ood_level %q, want a level 0..5 first", rec)
	}
	fid := rows["Frechet distance on classifier features (20 unguided samples vs 20 test digits)"]
	if v, err := strconv.ParseFloat(fid[0], 64); err != nil || v < 0 {
		t.Errorf("Frechet row %q, want a number >= 0", fid)
	}
	if h := strings.Fields(rows["unguided class histogram (shares of digits 0-9; the null class)"][0]); len(h) != 10 {
		t.Errorf("unguided histogram %q, want 10 shares", h)
	}
	for _, want := range []string{"| w | digit 3 | digit 7 | all |", "](digits-guided-w1.5.png)", "](digits-ood.png)",
		"| from level t | alpha_t | digit kept | samples/s |",
		"| level t | vs averages | vs noise | vs rotated 90 | smallest, training digits |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	// One row per level of the digits kept when sampling back from it, alpha_t from the schedule.
	for lv, alpha := range []string{"0.968", "0.876", "0.732", "0.542", "0.320", "0.078"} {
		prefix := fmt.Sprintf("| %d | %s | ", lv+1, alpha)
		i := strings.Index(md, prefix)
		if i < 0 {
			t.Errorf("report lacks the level-%d row %q", lv+1, prefix)
			continue
		}
		kept := strings.Fields(md[i+len(prefix):])[0]
		if v, err := strconv.ParseFloat(kept, 64); err != nil || v < 0 || v > 1 {
			t.Errorf("level %d: digits kept %q, want a fraction", lv+1, kept)
		}
	}
	// One row per level of OOD AUROCs; level 0's (the manifest's ood_level) are the main table's.
	oodTable := md[strings.Index(md, "| level t | vs averages |"):]
	for lv := range 6 {
		i := strings.Index(oodTable, fmt.Sprintf("\n| %d | ", lv))
		if i < 0 {
			t.Errorf("OOD table lacks the level-%d row:\n%s", lv, oodTable)
			continue
		}
		cells := strings.Split(strings.SplitN(oodTable[i+1:], "\n", 2)[0], "|")
		if len(cells) != 7 {
			t.Errorf("OOD table, level %d: cells %q, want 5", lv, cells)
			continue
		}
		for _, c := range cells[2:6] {
			if v, err := strconv.ParseFloat(strings.TrimSpace(c), 64); err != nil || v < 0 || v > 1 {
				t.Errorf("OOD table, level %d: %q is not an AUROC", lv, c)
			}
		}
		if lv == 0 {
			if got, want := strings.TrimSpace(cells[3]), rows["OOD AUROC, 20 test digits vs 20 uniform noise in [-1, 1] (ood_level 0)"][0]; got != want {
				t.Errorf("OOD table, level 0 vs noise %s; the main table says %s", got, want)
			}
		}
	}
	// 20 samples over 2 classes: 10 per class, one row per class of 10 digits at scale 2.
	side := 2 + 10*(28*gridScale+2)
	checkPNG(t, o.Out, "digits-guided-w0.png", side, 2+2*(28*gridScale+2))
	checkPNG(t, o.Out, "digits-guided-w1.5.png", side, 2+2*(28*gridScale+2))
	checkPNG(t, o.Out, "digits-unguided.png", side, 2+2*(28*gridScale+2))
	checkPNG(t, o.Out, "digits-inpaint.png", 0, 0)
	checkPNG(t, o.Out, "digits-inpaint-resample1.png", 0, 0)
	checkPNG(t, o.Out, "digits-inpaint-class.png", 0, 0)
	checkPNG(t, o.Out, "digits-ood.png", 0, 0)
}

func TestCommandLine(t *testing.T) {
	out := t.TempDir()
	args := []string{"cdrl-eval", "--models", "toy2d", "--quick", "--n", "64", "--out", out, "--threads", "1", "--seed", "3"}
	var stdout, stderr bytes.Buffer
	app := newApp(commandLine(args))
	app.Writer = &stdout
	if code := cli.Run(context.Background(), app, args, &stderr); code != 0 {
		t.Fatalf("exit code %d\n%s%s", code, stdout.String(), stderr.String())
	}
	rows, md := reportRows(t, out)
	fraction(t, rows, "fraction inside the 8 squares")
	for _, want := range []string{"`cdrl-eval --models toy2d --quick --n 64 --out " + out, "N = 64 samples (seed 3", "](toy2d-density.png)", "threads 1"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--guidance-weights", "0,x"}, `--guidance-weights "0,x": "x" is not a finite weight >= 0`},
		{[]string{"--guidance-weights", "1,-2"}, `"-2" is not a finite weight`},
		{[]string{"--guidance-weights", "1,1"}, "weight 1 is listed twice"},
		{[]string{"--models", " , "}, "--models"},
		{[]string{"--models", "no-such-model"}, `--models no-such-model: zoo: no embedded model "no-such-model"`},
		{[]string{"--models", "./no/such/dir"}, "--models ./no/such/dir: no such folder"},
		{[]string{"--models", "toy2d", "--n", "-1"}, "--n -1"},
		{[]string{"--models", "toy2d", "--inpaint", "-3"}, "--inpaint -3"},
		{[]string{"--models", "toy2d", "--resample", "-1"}, "--resample -1"},
		{[]string{"--models", "toy2d", "--steps", "-1"}, "--steps -1"},
		{[]string{"--models", "toy2d", "--steps-table", "3,-1"}, `--steps-table "3,-1": "-1" is not a step count K >= 0`},
		{[]string{"--models", "toy2d", "--steps-table", "3,3"}, `--steps-table "3,3": K = 3 is listed twice`},
		{[]string{"--models", "toy2d", "--steps-table", "x"}, `--steps-table "x": "x" is not a step count K >= 0`},
		{[]string{"--models", "toy2d", "--batch", "-1"}, "--batch -1"},
		{[]string{"--models", "toy2d", "--threads", "-1"}, "--threads must be >= 0"},
	} {
		args := append([]string{"cdrl-eval", "--out", t.TempDir()}, tc.args...)
		var stdout, stderr bytes.Buffer
		app := newApp(commandLine(args))
		app.Writer = &stdout
		if code := cli.Run(context.Background(), app, args, &stderr); code != 1 {
			t.Errorf("%q: exit code %d, want 1", tc.args, code)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: stderr %q, want it to contain %q", tc.args, stderr.String(), tc.want)
		}
	}
}

func TestImageModelErrors(t *testing.T) {
	o := testOptions(t, bundles.Digits(t))
	o.N = 1
	err := run(context.Background(), o, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--n 1") {
		t.Errorf("--n 1 on an image model: got %v, want an error naming --n 1", err)
	}
	o = testOptions(t, bundles.Digits(t))
	o.Digits = "mnist:" + t.TempDir()
	err = run(context.Background(), o, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--digits mnist:") {
		t.Errorf("--digits on an empty folder: got %v, want an error naming --digits", err)
	}
}

func TestSlug(t *testing.T) {
	taken := map[string]bool{}
	for _, tc := range []struct{ spec, want string }{
		{"toy2d", "toy2d"},
		{"runs/mnist-s/model", "mnist-s"},
		{"runs/mnist-s/model/", "mnist-s-2"},
		{"/tmp/My Model", "my-model"},
		{"model", "model"},
		{"..", "model-2"},
	} {
		if got := uniqueName(slug(tc.spec), taken); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.spec, got, tc.want)
		}
	}
}

func TestCommandLineQuoting(t *testing.T) {
	got := commandLine([]string{"/tmp/go-build1/exe/cdrl-eval", "--models", "toy2d,runs/a b/model", "--out", "it's"})
	want := `cdrl-eval --models 'toy2d,runs/a b/model' --out 'it'\''s'`
	if got != want {
		t.Errorf("commandLine = %s, want %s", got, want)
	}
}

func TestRotate90(t *testing.T) {
	// 3x3: rows 1 2 3 / 4 5 6 / 7 8 9 turned counter-clockwise is 3 6 9 / 2 5 8 / 1 4 7.
	src := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	dst := make([]float32, 9)
	rotate90(dst, src, 3)
	want := []float32{3, 6, 9, 2, 5, 8, 1, 4, 7}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("rotate90 = %v, want %v", dst, want)
		}
	}
}

func TestStageOnProgress(t *testing.T) {
	// Two chunks, 6 levels, 5 steps: the last step of level 3 in chunk 1 is step
	// 30 + 2*5 + 5 = 45 of 60, its third step 43 of 60, and the end of level 3 with no
	// Langevin steps 9 of 12 levels.
	for _, c := range []struct {
		info infer.StepInfo
		want float64
	}{
		{infer.StepInfo{Chunk: 1, Chunks: 2, Level: 3, Step: 5, Steps: 5}, 90},
		{infer.StepInfo{Chunk: 1, Chunks: 2, Level: 3, Step: 3, Steps: 5}, 86},
		{infer.StepInfo{Chunk: 1, Chunks: 2, Level: 3, LevelDone: true}, 90},
	} {
		var out bytes.Buffer
		e := &evaluator{w: &out}
		st := e.stage("s", 120, "samples")
		st.onProgress(6)(c.info)
		if math.Abs(st.done-c.want) > 1e-9 {
			t.Errorf("%+v: done = %v, want %v of 120", c.info, st.done, c.want)
		}
	}
}
