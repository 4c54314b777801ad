package main

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// reportFile is the name of the Markdown report in the output folder.
const reportFile = "report.md"

// report is what report.md shows: the run's settings and one section per model.
type report struct {
	command  string
	machine  machine
	seed     uint64
	date     time.Time
	elapsed  time.Duration
	sections []*section
}

// machine describes where the evaluation ran.
type machine struct {
	os, arch string
	cpu      string // "" when /proc/cpuinfo is not readable
	cores    int
	ort      string // the ONNX Runtime version
	device   string
	threads  string
}

// section is the part of the report about one model: notes (sizes, seeds), the main table,
// further tables and the figures.
type section struct {
	title   string
	notes   []string
	rows    []row
	tables  []table
	figures []figure
}

// row is one line of a model's main table.
type row struct {
	metric, value, target string
}

// table is a further table of a section, e.g. the guided accuracy per class.
type table struct {
	caption string
	header  []string
	rows    [][]string
}

// figure is a PNG in the output folder, linked from the report by its file name.
type figure struct {
	caption, file string
}

// add appends a row to the main table.
func (s *section) add(metric, value, target string) {
	s.rows = append(s.rows, row{metric, value, target})
}

// markdown renders the report.
func (r *report) markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# cdrl-go evaluation\n\n")
	fmt.Fprintf(&b, "- command: `%s`\n", r.command)
	cpu := r.machine.cpu
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	fmt.Fprintf(&b, "- machine: %s/%s, %s, %d cores\n", r.machine.os, r.machine.arch, cpu, r.machine.cores)
	fmt.Fprintf(&b, "- ONNX Runtime %s, device %s, threads %s\n", r.machine.ort, r.machine.device, r.machine.threads)
	fmt.Fprintf(&b, "- seed %d, date %s, total time %s\n", r.seed, r.date.UTC().Format(time.RFC3339), r.elapsed.Round(time.Second))
	for _, s := range r.sections {
		fmt.Fprintf(&b, "\n## %s\n\n", s.title)
		for _, n := range s.notes {
			fmt.Fprintf(&b, "%s\n\n", n)
		}
		writeTable(&b, []string{"metric", "value", "target"}, func(yield func([]string)) {
			for _, r := range s.rows {
				yield([]string{r.metric, r.value, r.target})
			}
		})
		for _, t := range s.tables {
			fmt.Fprintf(&b, "\n%s\n\n", t.caption)
			writeTable(&b, t.header, func(yield func([]string)) {
				for _, r := range t.rows {
					yield(r)
				}
			})
		}
		for _, f := range s.figures {
			fmt.Fprintf(&b, "\n*%s*\n\n![%s](%s)\n", f.caption, strings.TrimSuffix(f.file, ".png"), f.file)
		}
	}
	return b.Bytes()
}

// writeTable writes a Markdown table with the given header and the rows rows yields.
func writeTable(b *bytes.Buffer, header []string, rows func(yield func([]string))) {
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + cell(c) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	b.WriteString("|" + strings.Join(sep, "|") + "|\n")
	rows(line)
}

// cell escapes what would break a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
