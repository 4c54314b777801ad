package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
)

// binDir holds the cdrl-serve binary the tests build; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "cdrl-load-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// serveBinary builds cdrl-serve once and returns its path.
var serveBinary = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "cdrl-serve")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/cdrl-go/cdrl/tools/cdrl-serve").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build cdrl-serve: %v\n%s", err, out)
	}
	return bin, nil
})

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a cdrl-serve process started by a test.
type server struct {
	url string
	pid int
	log *syncBuffer // its stderr: the access log
}

// startServe runs the real cdrl-serve binary on model, listening on addr (127.0.0.1:0 for a
// free loopback port), with more flags when given, until the test ends; it skips the test when
// ONNX Runtime is missing.
func startServe(t *testing.T, model, addr string, flags ...string) *server {
	t.Helper()
	if _, err := ort.FindLibrary(""); err != nil {
		t.Skipf("skipping: cdrl-serve needs ONNX Runtime %s (run make setup): %v", ort.LibraryVersion, err)
	}
	bin, err := serveBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--model", model, "--addr", addr, "--threads", "1"}, flags...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{pid: cmd.Process.Pid, log: &syncBuffer{}}
	serving := make(chan string, 1)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.log, line)
			for _, f := range strings.Fields(line) {
				if a, ok := strings.CutPrefix(f, "addr="); ok && strings.Contains(line, "msg=serving") {
					select {
					case serving <- a:
					default:
					}
				}
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-closed:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-closed
		}
		_ = cmd.Wait()
	})
	select {
	case a := <-serving:
		s.url = "http://" + a
	case <-closed:
		t.Fatalf("cdrl-serve --model %s ended before serving:\n%s", model, s.log)
	case <-time.After(60 * time.Second):
		t.Fatalf("cdrl-serve --model %s: not serving after 60 s:\n%s", model, s.log)
	}
	return s
}

// answered waits up to 5 s for the access log to hold want 200 answers on path, and returns
// the count (the log line of an answer may follow its last byte).
func (s *server) answered(path string, want int) int {
	line := "path=" + path + " status=200"
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := strings.Count(s.log.String(), line)
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// loadRun runs cdrl-load with args under ctx and returns its exit code, stdout and stderr.
func loadRun(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, log bytes.Buffer
	app := newApp()
	app.Writer = &out
	code = cli.Run(ctx, app, append([]string{"cdrl-load"}, args...), &log)
	return code, out.String(), log.String()
}

// row is one row of the table, by column.
type row map[string]string

// num returns the number in column col, without the mark of a peak since the server started.
func (r row) num(t *testing.T, col string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(r[col], "*"), 64)
	if err != nil {
		t.Fatalf("column %q: %q is not a number (row %v)", col, r[col], r)
	}
	return v
}

// parseTable parses the Markdown table of out and checks its header.
func parseTable(t *testing.T, out string, withRSS bool) []row {
	t.Helper()
	want := []string{"clients", "requests", "errors", "requests/s", "p50 ms", "p99 ms"}
	if withRSS {
		want = append(want, "server peak RSS MiB")
	}
	return parseColumns(t, out, want)
}

// parseColumns parses the Markdown table of out and checks that its header is want.
func parseColumns(t *testing.T, out string, want []string) []row {
	t.Helper()
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != len(want) {
			t.Fatalf("row %q has %d cells, want %d:\n%s", line, len(cells), len(want), out)
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 || strings.Join(rows[0], "|") != strings.Join(want, "|") || strings.Trim(rows[1][0], "-:") != "" {
		t.Fatalf("no table with the columns %q:\n%s", want, out)
	}
	var table []row
	for _, cells := range rows[2:] {
		r := row{}
		for i, c := range cells {
			r[want[i]] = c
		}
		table = append(table, r)
	}
	return table
}

// checkRows checks that the table has one row per level of clients, none with errors, and
// returns the requests it counts in all.
func checkRows(t *testing.T, table []row, clients ...int) int {
	t.Helper()
	if len(table) != len(clients) {
		t.Fatalf("%d rows, want %d: %v", len(table), len(clients), table)
	}
	total := 0
	for i, r := range table {
		if r.num(t, "clients") != float64(clients[i]) {
			t.Errorf("row %d: clients %s, want %d", i, r["clients"], clients[i])
		}
		n := r.num(t, "requests")
		if n < 1 || r.num(t, "errors") != 0 || r.num(t, "requests/s") <= 0 {
			t.Errorf("row %d: want requests, no errors and a rate > 0: %v", i, r)
		}
		if p50, p99 := r.num(t, "p50 ms"), r.num(t, "p99 ms"); !(p50 > 0 && p50 <= p99) {
			t.Errorf("row %d: want 0 < p50 <= p99: %v", i, r)
		}
		total += int(n)
	}
	return total
}

// procMiB reads field (VmRSS, VmHWM) of /proc/PID/status in MiB.
func procMiB(t *testing.T, pid int, field string) float64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == field+":" && f[2] == "kB" {
			kb, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// Sample requests for a --duration per level: every request the server answered in a level
// (in flight at its end included) is counted, the warmup ones are not, and --pid gives the
// server's peak RSS.
func TestSampleLoad(t *testing.T) {
	s := startServe(t, "toy2d", "127.0.0.1:0")
	start := time.Now()
	code, out, log := loadRun(context.Background(), "--url", s.url, "--request", "sample", "--body", `{"n":4,"seed":2}`,
		"--clients", "1,2", "--duration", "1s", "--warmup", "3", "--pid", strconv.Itoa(s.pid))
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, out, log)
	}
	if took < 2*time.Second || took > 10*time.Second {
		t.Errorf("2 levels of --duration 1s took %s", took)
	}
	t.Logf("\n%s", out)
	table := parseTable(t, out, true)
	total := checkRows(t, table, 1, 2)
	if got, want := s.answered("/v1/sample", total+2*3), total+2*3; got != want {
		t.Errorf("the server answered %d sample requests, want %d (the table's %d and 2 warmups of 3)", got, want, total)
	}
	// The last level's peak is at least the server's memory now and at most its peak since
	// that level's reset (or since it started).
	rss, rssNow, hwmNow := table[1].num(t, "server peak RSS MiB"), procMiB(t, s.pid, "VmRSS"), procMiB(t, s.pid, "VmHWM")
	if rss < 10 || rss < 0.9*rssNow || rss > hwmNow+0.1 {
		t.Errorf("peak RSS %.1f MiB; the server's RSS is now %.1f MiB, its VmHWM %.1f MiB", rss, rssNow, hwmNow)
	}
	for _, want := range []string{`POST ` + s.url + `/v1/sample {"n":4,"seed":2}`, "model toy2d", "per level: 1s, after 3 warmup requests"} {
		if !strings.Contains(out, want) {
			t.Errorf("the notes lack %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"clients 1: " + table[0]["requests"] + " requests, 0 errors", "clients 2: " + table[1]["requests"] + " requests"} {
		if !strings.Contains(log, want) {
			t.Errorf("the progress lacks %q:\n%s", want, log)
		}
	}
}

// Inpainting with the built-in digit and mask and the class inferred, capped by --requests.
func TestInpaintLoad(t *testing.T) {
	s := startServe(t, "mnist", "127.0.0.1:0")
	code, out, log := loadRun(context.Background(), "--url", s.url, "--request", "inpaint",
		"--clients", "1,2", "--requests", "2", "--duration", "0", "--warmup", "1")
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, out, log)
	}
	t.Logf("\n%s", out)
	table := parseTable(t, out, false)
	if total := checkRows(t, table, 1, 2); total != 4 {
		t.Errorf("%d requests in all, want 2 a level", total)
	}
	if got := s.answered("/v1/inpaint", 6); got != 6 {
		t.Errorf("the server answered %d inpainting requests, want 6 (2 and a warmup a level)", got)
	}
	if !strings.Contains(out, "class inferred") {
		t.Errorf("the notes do not say the class is inferred:\n%s", out)
	}
}

// A request the server refuses stops the run at the warmup; without warmup, a run whose every
// request failed reports the errors and exits 1.
func TestRefusedRequests(t *testing.T) {
	s := startServe(t, "toy2d", "127.0.0.1:0")
	body := `{"n":1,"class":"3"}` // toy2d is unconditional
	code, out, log := loadRun(context.Background(), "--url", s.url, "--body", body, "--clients", "1")
	if code != 1 || out != "" || !strings.Contains(log, "refused the request: 400 Bad Request") || !strings.Contains(log, "check --body") {
		t.Errorf("warmup: exit code %d, stdout %q, stderr:\n%s\nwant 1, no table and the refusal naming --body", code, out, log)
	}
	code, out, log = loadRun(context.Background(), "--url", s.url, "--body", body, "--clients", "2", "--duration", "300ms", "--warmup", "0")
	if code != 1 || !strings.Contains(log, "every request failed") || !strings.Contains(log, "clients 2: first error: 400 Bad Request") {
		t.Errorf("no warmup: exit code %d, stderr:\n%s\nwant 1, the first error and every request failed", code, log)
	}
	table := parseTable(t, out, false)
	if len(table) != 1 || table[0].num(t, "requests") < 1 || table[0]["errors"] != table[0]["requests"] || table[0]["p50 ms"] != "-" {
		t.Errorf("want one row whose every request failed: %v", table)
	}
}

// Ctrl-C and the end of --budget stop the run at once; the table holds the levels measured.
func TestStopsEarly(t *testing.T) {
	s := startServe(t, "toy2d", "127.0.0.1:0")
	for _, c := range []struct {
		name, budget, code, why string
	}{
		{"interrupt", "10m", "130", "interrupted"},
		{"budget", "1500ms", "0", "--budget 1.5s spent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.name == "interrupt" {
				time.AfterFunc(1500*time.Millisecond, cancel)
			}
			start := time.Now()
			code, out, log := loadRun(ctx, "--url", s.url, "--clients", "1,2", "--duration", "20s", "--budget", c.budget)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("stopping took %s", took)
			}
			if strconv.Itoa(code) != c.code {
				t.Errorf("exit code %d, want %s\n%s", code, c.code, log)
			}
			checkRows(t, parseTable(t, out, false), 1)
			for _, want := range []string{"clients 1: cut short after", "(" + c.why + ")", "clients 2: not run (" + c.why + ")"} {
				if !strings.Contains(out, want) {
					t.Errorf("the notes lack %q:\n%s", want, out)
				}
			}
		})
	}
}

// cdrl-load started before the server waits for it to answer GET /healthz.
func TestWaitsForServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // free for the server, which cdrl-load finds closed at first
	type result struct {
		code     int
		out, log string
	}
	done := make(chan result, 1)
	go func() {
		code, out, log := loadRun(context.Background(), "--url", "http://"+addr, "--clients", "1", "--requests", "2", "--duration", "0")
		done <- result{code, out, log}
	}()
	time.Sleep(500 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("cdrl-load ended before the server started: exit code %d\n%s", r.code, r.log)
	default:
	}
	startServe(t, "toy2d", addr)
	r := <-done
	if r.code != 0 {
		t.Fatalf("exit code %d\n%s", r.code, r.log)
	}
	if total := checkRows(t, parseTable(t, r.out, false), 1); total != 2 {
		t.Errorf("%d requests, want 2", total)
	}
}

// Flag errors name the flag, before any request is sent.
func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"zero clients", []string{"--clients", "0"}, `--clients "0": "0" is not a number of clients 1..1024`},
		{"not a number", []string{"--clients", "1,x"}, `--clients "1,x": "x"`},
		{"too many clients", []string{"--clients", "8,1025"}, `--clients "8,1025": "1025"`},
		{"empty level", []string{"--clients", "1,,2"}, `--clients "1,,2": ""`},
		{"not http", []string{"--url", "ftp://127.0.0.1:8080"}, `--url "ftp://127.0.0.1:8080": want the base URL`},
		{"no host", []string{"--url", "http:///v1"}, `--url "http:///v1"`},
		{"no scheme", []string{"--url", "localhost:8080"}, `--url "localhost:8080"`},
		{"unknown request", []string{"--request", "train"}, `--request "train": want sample or inpaint`},
		{"body not an object", []string{"--body", `[{"n":1}]`}, `--body [{"n":1}]: want a JSON object`},
		{"body with inpaint", []string{"--request", "inpaint", "--body", `{"n":1}`}, "--body applies to --request sample only"},
		{"class with sample", []string{"--class", "3"}, "--class applies to --request inpaint only"},
		{"missing image", []string{"--request", "inpaint", "--image", filepath.Join(dir, "none.png")}, "--image: open " + filepath.Join(dir, "none.png")},
		{"mask not a picture", []string{"--request", "inpaint", "--mask", text}, "--mask " + text + ": not a PNG or JPEG picture"},
		{"endless level", []string{"--duration", "0"}, "--duration 0 and --requests 0"},
		{"negative requests", []string{"--requests", "-1"}, "--requests -1"},
		{"negative warmup", []string{"--warmup", "-1"}, "--warmup -1"},
		{"zero budget", []string{"--budget", "0s"}, "--budget 0s"},
		{"no such process", []string{"--pid", "4194305"}, "--pid 4194305: no such process"}, // above Linux's largest pid_max
		{"negative slow clients", []string{"--slow-clients", "-1"}, "--slow-clients -1: want 0 (none) up to 1024"},
		{"too many slow clients", []string{"--slow-clients", "1025"}, "--slow-clients 1025"},
		{"zero slow interval", []string{"--slow-clients", "2", "--slow-interval", "0s"}, "--slow-interval 0s: want a positive duration"},
		{"slow clients over https", []string{"--url", "https://127.0.0.1:1", "--slow-clients", "2"}, "--slow-clients needs an http:// --url"},
		{"stop without pid", []string{"--stop-server"}, "--stop-server needs --pid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The URL has no server: a flag error must come before any request.
			args := append([]string{"--url", "http://127.0.0.1:1"}, c.args...)
			start := time.Now()
			code, out, log := loadRun(context.Background(), args...)
			if code != 1 || out != "" || !strings.Contains(log, "cdrl-load: "+c.want) {
				t.Errorf("exit code %d, stdout %q, stderr %q; want 1, no table and an error containing %q", code, out, log, c.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("the error took %s: the server was waited for", d)
			}
		})
	}
}

// The latency quantiles are nearest-rank ones of the 200 answers.
func TestQuantiles(t *testing.T) {
	l := level{}
	for i := range 100 {
		l.latencies = append(l.latencies, time.Duration(i+1)*time.Millisecond)
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := l.quantileMs(c.q); got != c.want {
			t.Errorf("quantile %g: %g ms, want %g", c.q, got, c.want)
		}
	}
	if got := (level{}).quantileMs(0.5); !math.IsNaN(got) {
		t.Errorf("no latencies: %g, want NaN", got)
	}
}
