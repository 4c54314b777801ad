package bundle

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNewerVersion is the cause (see errors.Is) of the error for a bundle whose manifest version
// is newer than Version.
var ErrNewerVersion = errors.New("bundle: written by a newer cdrl-go")

// Error reports a problem with one file of a bundle and, for manifest problems, the field at
// fault. Reading and validating return every problem found, joined with errors.Join; errors.As
// finds the first.
type Error struct {
	// File is the file at fault: "manifest.json", or its path when the bundle was read from a
	// folder, or a graph file's.
	File string
	// Field is the manifest field's path, like "langevin.c_mode" or "classes[2]"; "" when the
	// problem concerns the whole file.
	Field string
	// Problem says what is wrong and what was expected.
	Problem string
	// Err is the underlying cause, if any: ErrNewerVersion, or the file system's error.
	Err error
}

// Error returns "bundle: FILE: FIELD: PROBLEM", without the field part when Field is empty.
func (e *Error) Error() string {
	if e.Field == "" {
		return "bundle: " + e.File + ": " + e.Problem
	}
	return "bundle: " + e.File + ": " + e.Field + ": " + e.Problem
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// maxSampleElements bounds the number of values of one sample (1 GiB of float32), so that a
// corrupt shape cannot overflow the size computations of the packages that allocate samples.
const maxSampleElements = 1 << 28

// problems collects the errors about one file.
type problems struct {
	file string
	errs []error
}

// add records a problem with field.
func (p *problems) add(field, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// err joins the problems found, nil when there are none.
func (p *problems) err() error { return errors.Join(p.errs...) }

// Validate checks the manifest's values: format and version, kind and shape, range, classes,
// schedule, Langevin parameters, guidance weight, graph file names with their input and output
// names, and provenance. It does not look at any file. Every problem found is reported; errors
// name manifest.json and the field.
func (m *Manifest) Validate() error { return m.validate(ManifestFile) }

// validate is Validate with errors naming file.
func (m *Manifest) validate(file string) error {
	p := &problems{file: file}
	if !m.checkHeader(p) {
		return p.err()
	}
	m.checkData(p)
	m.checkSampler(p)
	m.checkGraphs(p)
	m.checkProvenance(p)
	return p.err()
}

// checkHeader checks format and version and reports whether the rest of the manifest can be
// read: false for a foreign format or a newer version, whose other fields mean nothing here.
func (m *Manifest) checkHeader(p *problems) bool {
	switch {
	case m.Format == "":
		p.add("format", "missing; want %q", Format)
		return false
	case m.Format != Format:
		p.add("format", "%q is not %q (not a cdrl-go bundle)", m.Format, Format)
		return false
	}
	switch {
	case m.Version > Version:
		p.errs = append(p.errs, &Error{File: p.file, Field: "version", Err: ErrNewerVersion,
			Problem: fmt.Sprintf("bundle was written by a newer cdrl-go (version %d); this build reads version %d", m.Version, Version)})
		return false
	case m.Version < 1:
		p.add("version", "%d is not a bundle version; this build reads version %d", m.Version, Version)
	}
	return true
}

// checkData checks kind, shape, range and classes.
func (m *Manifest) checkData(p *problems) {
	switch m.Kind {
	case KindImage:
		if len(m.Shape) != 3 {
			p.add("shape", "%v has %d dimensions; image bundles want [C, H, W]", m.Shape, len(m.Shape))
			break
		}
		if c := m.Shape[0]; c != 1 && c != 3 {
			p.add("shape[0]", "%d channels; want 1 or 3", c)
		}
		checkExtent(p, "shape[1]", "height", m.Shape[1])
		checkExtent(p, "shape[2]", "width", m.Shape[2])
	case KindPoints:
		if len(m.Shape) != 1 {
			p.add("shape", "%v has %d dimensions; points bundles want [D]", m.Shape, len(m.Shape))
			break
		}
		checkExtent(p, "shape[0]", "dimension", m.Shape[0])
	case "":
		p.add("kind", "missing; want one of %s, %s", KindImage, KindPoints)
	default:
		p.add("kind", "%q is not one of %s, %s", m.Kind, KindImage, KindPoints)
	}
	if n, ok := elements(m.Shape); ok && n > maxSampleElements {
		p.add("shape", "%v is %d values per sample; at most %d are allowed", m.Shape, n, maxSampleElements)
	}

	lo, hi := m.Range[0], m.Range[1]
	switch {
	case !finite(lo) || !finite(hi):
		p.add("range", "[%v, %v] is not finite", lo, hi)
	case lo >= hi:
		p.add("range", "[%v, %v]: want lo < hi", lo, hi)
	}

	seen := make(map[string]int, len(m.Classes))
	for i, c := range m.Classes {
		field := "classes[" + strconv.Itoa(i) + "]"
		switch {
		case c == "":
			p.add(field, "empty label; want a non-empty string")
		case strings.TrimSpace(c) != c:
			p.add(field, "%q has leading or trailing white space", c)
		case strings.Contains(c, ","):
			p.add(field, "%q contains a comma, which separates labels on the command line", c)
		case strings.ContainsFunc(c, isControl):
			p.add(field, "%q contains a control character", c)
		}
		if j, ok := seen[c]; ok {
			p.add(field, "%q repeats classes[%d]; labels must be unique", c, j)
		} else {
			seen[c] = i
		}
	}
}

// checkExtent checks that one extent of the shape is positive.
func checkExtent(p *problems, field, what string, n int) {
	if n < 1 {
		p.add(field, "%s %d; want at least 1", what, n)
	}
}

// elements returns the product of the positive dimensions of shape, stopping once it exceeds
// maxSampleElements; ok is false if a dimension is not positive.
func elements(shape []int) (n int, ok bool) {
	n = 1
	for _, d := range shape {
		if d < 1 {
			return 0, false
		}
		if n > maxSampleElements/d {
			return maxSampleElements + 1, true
		}
		n *= d
	}
	return n, true
}

// checkSampler checks the schedule, the Langevin parameters and the guidance weight.
func (m *Manifest) checkSampler(p *problems) {
	s := m.Schedule
	if s.Levels < 1 {
		p.add("schedule.levels", "%d; want at least 1", s.Levels)
	}
	switch {
	case !finite(s.LogSNRMin):
		p.add("schedule.logsnr_min", "%v is not finite", s.LogSNRMin)
	case !finite(s.LogSNRMax):
		p.add("schedule.logsnr_max", "%v is not finite", s.LogSNRMax)
	case s.LogSNRMin >= s.LogSNRMax:
		p.add("schedule.logsnr_min", "%v is not below logsnr_max %v", s.LogSNRMin, s.LogSNRMax)
	}

	l := m.Langevin
	if l.Steps < 1 {
		p.add("langevin.steps", "%d; want at least 1", l.Steps)
	}
	if !finite(l.B) || l.B <= 0 {
		p.add("langevin.b", "%v; want a finite number above 0", l.B)
	}
	switch l.CMode {
	case CModeImage, CModeToy:
	case "":
		p.add("langevin.c_mode", "missing; want one of %s, %s", CModeImage, CModeToy)
	default:
		p.add("langevin.c_mode", "%q is not one of %s, %s", l.CMode, CModeImage, CModeToy)
	}

	w := m.GuidanceDefault
	switch {
	case !finite(w) || w < 0:
		p.add("guidance_default", "%v; want a finite number, 0 or above", w)
	case w != 0 && len(m.Classes) == 0:
		p.add("guidance_default", "%v, but the model has no classes to guide with; want 0", w)
	}

	if w := m.InpaintGuidance; w != nil {
		switch {
		case m.Version < 3:
			p.add("inpaint_guidance", "present in a version %d manifest; it was added in version 3", m.Version)
		case !finite(*w) || *w < 0:
			p.add("inpaint_guidance", "%v; want a finite number, 0 or above", *w)
		case *w != 0 && len(m.Classes) == 0:
			p.add("inpaint_guidance", "%v, but the model has no classes to guide with; leave it out", *w)
		}
	}

	switch l := m.OODLevel; {
	case l != 0 && m.Version < 2:
		p.add("ood_level", "present in a version %d manifest; it was added in version 2", m.Version)
	case l < 0 || l >= max(m.Schedule.Levels, 1):
		p.add("ood_level", "%d; want a level 0..levels-1 (levels is %d)", l, m.Schedule.Levels)
	}
}

// checkGraphs checks every graph's file name and its input and output names.
func (m *Manifest) checkGraphs(p *problems) {
	conditional := len(m.Classes) > 0
	files := make(map[string]string)
	for _, gr := range m.graphList() {
		field := "graphs." + gr.role
		if msg := fileNameProblem(gr.g.File); msg != "" {
			p.add(field+".file", "%s", msg)
		} else if other, ok := files[gr.g.File]; ok {
			p.add(field+".file", "%q is also the file of graphs.%s; each graph needs its own file", gr.g.File, other)
		} else {
			files[gr.g.File] = gr.role
		}
		inputs, outputs := wantNames(gr.role, conditional)
		classInputs, _ := wantNames(gr.role, true)
		checkNames(p, field+".inputs", "input", gr.g.Inputs, inputs, classInputs)
		checkNames(p, field+".outputs", "output", gr.g.Outputs, outputs, outputs)
	}
}

// wantNames returns the input and output names of a graph role.
func wantNames(role string, conditional bool) (inputs, outputs []string) {
	switch role {
	case GraphEnergy:
		inputs, outputs = []string{InputX, InputLogSNR}, []string{OutputEnergy, OutputGrad}
	case GraphInitializer:
		inputs, outputs = []string{InputX, InputLogSNR}, []string{OutputY}
	}
	if conditional {
		inputs = append(inputs, InputClass)
	}
	return inputs, outputs
}

// checkNames checks that got holds each name of want exactly once and nothing else; names in
// withClasses but not in want belong to conditional models only.
func checkNames(p *problems, field, what string, got, want, withClasses []string) {
	seen := make(map[string]bool, len(got))
	for _, name := range got {
		switch {
		case seen[name]:
			p.add(field, "%q is listed twice", name)
		case !slices.Contains(want, name):
			if slices.Contains(withClasses, name) {
				p.add(field, "has %q, but the model has no classes", name)
			} else {
				p.add(field, "%q is not an %s of this graph; want %s", name, what, strings.Join(want, ", "))
			}
		}
		seen[name] = true
	}
	for _, name := range want {
		if !seen[name] {
			p.add(field, "%q is missing; want %s", name, strings.Join(want, ", "))
		}
	}
}

// fileNameProblem says what is wrong with a graph file name, "" when it is a plain name that
// go:embed keeps and every file system accepts.
func fileNameProblem(name string) string {
	switch {
	case name == "":
		return "missing; want a file name like \"energy.onnx\""
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		return fmt.Sprintf("%q is not a plain file name in the bundle folder (no folders, no \"..\")", name)
	case strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"):
		return fmt.Sprintf("%q starts with %q, which go:embed leaves out", name, name[:1])
	case strings.ContainsFunc(name, func(r rune) bool { return !portable(r) }):
		return fmt.Sprintf("%q has characters other than letters, digits, '.', '-' and '_'", name)
	case !strings.HasSuffix(name, ".onnx") || name == ".onnx":
		return fmt.Sprintf("%q does not end in \".onnx\"", name)
	case len(name) > 200:
		return fmt.Sprintf("%q is longer than 200 bytes", name)
	}
	return ""
}

// portable reports whether r may appear in a graph file name.
func portable(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
}

// checkProvenance checks the provenance's iterations, date and figures.
func (m *Manifest) checkProvenance(p *problems) {
	pr := m.Provenance
	if pr.Iterations < 0 {
		p.add("provenance.iterations", "%d; want 0 or more", pr.Iterations)
	}
	if pr.Date != "" {
		if _, err := time.Parse(time.RFC3339, pr.Date); err != nil {
			p.add("provenance.date", "%q is not an RFC 3339 time like \"2006-01-02T15:04:05Z\"", pr.Date)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(pr.Figures)) {
		v := pr.Figures[name]
		switch {
		case name == "":
			p.add("provenance.figures", "a figure has an empty name")
		case !finite(v):
			p.add("provenance.figures."+name, "%v is not finite", v)
		}
	}
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// isControl reports whether r is an ASCII or Latin-1 control character.
func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }
