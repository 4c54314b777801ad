package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
)

func TestParseStepsTable(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
	}{
		{"", nil},
		{"15, 8,5,3,1,0", []int{15, 8, 5, 3, 1, 0}},
		{"0,2,", []int{0, 2}},
	} {
		got, err := parseStepsTable(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parseStepsTable(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if langevinSteps(0) != infer.NoLangevin || langevinSteps(3) != 3 {
		t.Errorf("langevinSteps(0), (3) = %d, %d; want infer.NoLangevin, 3", langevinSteps(0), langevinSteps(3))
	}
}

// stepsTableRows returns the rows of the --steps-table table of report md, cells trimmed.
func stepsTableRows(t *testing.T, md string) [][]string {
	t.Helper()
	const header = "| K | guided accuracy | smallest digit share, unguided | Frechet distance, unguided | lower-half inpainting agreement | samples/s |"
	i := strings.Index(md, header)
	if i < 0 {
		t.Fatalf("report lacks the steps table %q:\n%s", header, md)
	}
	tbl, _, _ := strings.Cut(md[i:], "\n\n")
	var rows [][]string
	for _, line := range strings.Split(tbl, "\n")[2:] {
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestStepsTable runs the quick evaluation of the digits test bundle (K = 2) with
// --steps-table 2,1,0 and checks the table: a row per K in order with numbers in range, the
// K = 2 row equal to the main figures at the bundle's K, and the main figures equal to those
// of a run without the table (rates aside).
func TestStepsTable(t *testing.T) {
	mnistAvailable(t)
	b, err := bundle.ReadDir(bundles.Digits(t))
	if err != nil {
		t.Fatal(err)
	}
	if b.Langevin.Steps != 2 {
		t.Fatalf("the digits test bundle has K = %d; the test expects 2", b.Langevin.Steps)
	}
	w := b.GuidanceDefault
	runWith := func(table []int) (map[string][2]string, string, string) {
		o := testOptions(t, bundles.Digits(t))
		o.Weights = []float64{w} // one guided run, at the weight the table uses
		o.StepsTable = table
		var out bytes.Buffer
		if err := run(context.Background(), o, &out); err != nil {
			t.Fatalf("run: %v\n%s", err, out.String())
		}
		rows, md := reportRows(t, o.Out)
		return rows, md, out.String()
	}
	rows, md, out := runWith([]int{2, 1, 0})
	t.Logf("output:\n%s", out)
	base, _, _ := runWith(nil)

	for metric, r := range base {
		if got, ok := rows[metric]; !ok || (got != r && !strings.HasSuffix(r[0], "/s")) {
			t.Errorf("row %q: %q with --steps-table, %q without", metric, got, r)
		}
	}
	if len(rows) != len(base) {
		t.Errorf("%d main-table rows with --steps-table, %d without", len(rows), len(base))
	}

	tbl := stepsTableRows(t, md)
	if len(tbl) != 3 {
		t.Fatalf("steps table has %d rows, want 3: %q", len(tbl), tbl)
	}
	num := func(k, cell string) float64 {
		v, err := strconv.ParseFloat(strings.Fields(cell)[0], 64)
		if err != nil {
			t.Errorf("K = %s: %q is not a number", k, cell)
		}
		return v
	}
	for i, k := range []string{"2", "1", "0"} {
		r := tbl[i]
		if len(r) != 6 || r[0] != k {
			t.Errorf("row %d: %q, want 6 cells for K = %s", i, r, k)
			continue
		}
		for _, c := range []int{1, 2, 4} {
			if v := num(k, r[c]); v < 0 || v > 1 {
				t.Errorf("K = %s: %q outside [0, 1]", k, r[c])
			}
		}
		if v := num(k, r[3]); v < 0 {
			t.Errorf("K = %s: Frechet distance %q < 0", k, r[3])
		}
		if v := num(k, r[5]); !(v > 0) {
			t.Errorf("K = %s: rate %q, want > 0", k, r[5])
		}
	}
	// K = 2 is the bundle's own: the same samples and completions as the main figures.
	main := []string{
		rows[fmt.Sprintf("guided accuracy, w = %g", w)][0],
		rows["smallest digit share, unguided"][0],
		rows["Frechet distance on classifier features (20 unguided samples vs 20 test digits)"][0],
		rows[fmt.Sprintf("inpainting agreement, lower half unknown (4 test digits, class inferred, guidance %g, the manifest's inpainting weight)", b.InpaintGuidanceWeight())][0],
	}
	if !slices.Equal(tbl[0][1:5], main) {
		t.Errorf("K = 2 row %q, want the main figures %q", tbl[0][1:5], main)
	}
	if slices.Equal(tbl[2][1:5], tbl[0][1:5]) {
		t.Errorf("K = 0 and K = 2 rows are the same: %q", tbl[0])
	}
	for _, want := range []string{"digits: K=0 guided w=", "digits: K=0 unguided: 20 samples in", "digits: inpaint test digits (K=0), class inferred"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks the progress line %q", want)
		}
	}
}
