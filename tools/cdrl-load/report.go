package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// writeReport writes the table of the levels measured and the notes under it: what the run
// sent, and with why the run stopped early, the level cut short and the levels notRun.
func (p plan) writeReport(w io.Writer, model string, levels []level, notRun []int, why string) {
	if len(levels) == 0 {
		return
	}
	notes := []string{p.describe(model), "requests/s, p50 and p99 count the 200 answers only."}
	if last := levels[len(levels)-1]; last.cut {
		notes = append(notes, fmt.Sprintf("clients %d: cut short after %s (%s).", last.clients, last.elapsed.Round(time.Millisecond), why))
	}
	if len(notRun) > 0 {
		notes = append(notes, fmt.Sprintf("clients %s: not run (%s).", joinInts(notRun), why))
	}
	for _, l := range levels {
		if l.resetErr != nil {
			notes = append(notes, fmt.Sprintf("* the peak since the server started: resetting it failed: %v.", l.resetErr))
			break
		}
	}
	if p.o.Slow > 0 {
		notes = append(notes, fmt.Sprintf("Slow clients: %d connections alongside each level, each sending the request's headers (Content-Length %d) "+
			"and then one byte of its body every %s, connecting again when the server ends the connection; closed at the level's end.",
			p.o.Slow, slowPad+len(p.req.body), p.o.SlowInterval))
		if p.o.PID > 0 {
			notes = append(notes, "Server RSS and open files: before the slow clients connected, and at the level's end with them still connected.")
		}
	}
	if last := levels[len(levels)-1]; last.stop != nil {
		notes = append(notes, last.stop.describe(p.o.PID, p.o.Slow > 0))
	}
	writeTable(w, levels, p.o.PID > 0, p.o.Slow > 0, notes)
}

// describe says how the server's exit after SIGTERM went, for the notes.
func (s *stopResult) describe(pid int, slow bool) string {
	what := fmt.Sprintf("SIGTERM to the server (pid %d) after the last level", pid)
	if slow {
		what += ", the slow clients still connected (slow ended by server counts until the exit)"
	}
	switch {
	case s.err != nil:
		return fmt.Sprintf("%s: %v.", what, s.err)
	case !s.exited:
		return fmt.Sprintf("%s: still running after %s.", what, s.took.Round(time.Second))
	}
	return fmt.Sprintf("%s: the server exited after %.3f s.", what, s.took.Seconds())
}

// describe says in one line what the run sends, for the notes under the table.
func (p plan) describe(model string) string {
	var limit []string
	if p.o.Duration > 0 {
		limit = append(limit, p.o.Duration.String())
	}
	if p.o.Requests > 0 {
		limit = append(limit, fmt.Sprintf("%d requests", p.o.Requests))
	}
	return fmt.Sprintf("Request: %s %s; model %s; per level: %s, after %d warmup requests.", p.req.method, p.req.describe,
		model, strings.Join(limit, " or "), p.o.Warmup)
}

// writeTable writes the levels as a Markdown table, with the server's peak RSS column when
// withRSS and the slow clients' columns when withSlow (and the server's state before and after
// them when both), then the notes, one a line, after a blank line.
func writeTable(w io.Writer, levels []level, withRSS, withSlow bool, notes []string) {
	head := []string{"clients", "requests", "errors", "requests/s", "p50 ms", "p99 ms"}
	if withRSS {
		head = append(head, "server peak RSS MiB")
	}
	if withSlow {
		head = append(head, "slow open at end", "slow ended by server")
		if withRSS {
			head = append(head, "RSS before MiB", "RSS after MiB", "open files before", "open files after")
		}
	}
	writeRow(w, head)
	rule := make([]string, len(head))
	for i, h := range head {
		rule[i] = strings.Repeat("-", len(h)-1) + ":"
	}
	writeRow(w, rule)
	for _, l := range levels {
		row := []string{fmt.Sprint(l.clients), fmt.Sprint(l.requests), fmt.Sprint(l.errors),
			formatRate(l.rate()), oneDecimal(l.quantileMs(0.5)), oneDecimal(l.quantileMs(0.99))}
		if withRSS {
			rss := oneDecimal(l.peakMiB)
			if l.resetErr != nil && !math.IsNaN(l.peakMiB) {
				rss += "*"
			}
			row = append(row, rss)
		}
		if withSlow {
			row = append(row, fmt.Sprint(l.slowOpen), l.slow.endedText())
			if withRSS {
				row = append(row, oneDecimal(l.before.rssMiB), oneDecimal(l.after.rssMiB), count(l.before.files), count(l.after.files))
			}
		}
		writeRow(w, row)
	}
	fmt.Fprintln(w)
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

// writeRow writes one row of a Markdown table.
func writeRow(w io.Writer, cells []string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

// formatRate writes a rate with three significant digits, without an exponent below 10^6.
func formatRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.3g", r)
}

// count writes n, or - for a negative n (no value).
func count(n int) string {
	if n < 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

// oneDecimal writes v with one decimal, or - for NaN (no value).
func oneDecimal(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}
