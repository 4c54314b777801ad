package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// slowColumns are the table's columns with --slow-clients and --pid.
var slowColumns = []string{"clients", "requests", "errors", "requests/s", "p50 ms", "p99 ms", "server peak RSS MiB",
	"slow open at end", "slow ended by server", "RSS before MiB", "RSS after MiB", "open files before", "open files after"}

// testServer is an in-process HTTP server with cdrl-serve's /healthz and /v1/sample: a sample
// request reads its whole body, then answers 200, or 408 when the body does not arrive within
// the server's read timeout.
type testServer struct {
	url     string
	open    atomic.Int64 // connections open now
	sampled atomic.Int64 // 200 answers of /v1/sample
}

// startTestServer starts a testServer whose connections have readTimeout to send a request (0:
// no limit) until the test ends.
func startTestServer(t *testing.T, readTimeout time.Duration) *testServer {
	t.Helper()
	s := &testServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"status":"ok","model":"test"}`)
	})
	mux.HandleFunc("POST /v1/sample", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, `{"error":"body: not received in full"}`, http.StatusRequestTimeout)
			return
		}
		s.sampled.Add(1)
		fmt.Fprint(w, `{"samples":[[0.5,-0.5]]}`)
	})
	ts := httptest.NewUnstartedServer(mux)
	ts.Config.ReadTimeout = readTimeout
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.open.Add(-1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

// waitClosed waits up to 5 s for the server's connections to close and returns those left.
func (s *testServer) waitClosed() int64 {
	deadline := time.Now().Add(5 * time.Second)
	for s.open.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return s.open.Load()
}

// Slow clients stay connected through the level, alongside the normal clients, whose requests
// are all answered; the server's open files grow by their sockets; every connection is closed
// when the run ends. The test process itself is the server of --pid.
func TestSlowClients(t *testing.T) {
	s := startTestServer(t, 0)
	code, out, log := loadRun(context.Background(), "--url", s.url, "--clients", "2", "--duration", "1s", "--warmup", "1",
		"--slow-clients", "3", "--slow-interval", "50ms", "--pid", strconv.Itoa(os.Getpid()))
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, out, log)
	}
	t.Logf("\n%s", out)
	table := parseColumns(t, out, slowColumns)
	total := checkRows(t, table, 2)
	r := table[0]
	if got := s.sampled.Load(); got != int64(total+1) {
		t.Errorf("the server answered %d sample requests, want %d (the table's %d and a warmup): no slow body may complete", got, total+1, total)
	}
	if r["slow open at end"] != "3" || r["slow ended by server"] != "0" {
		t.Errorf("slow open at end %s, ended by server %s; want 3 and 0", r["slow open at end"], r["slow ended by server"])
	}
	// Client and server sockets of the 3 slow connections are all in this process.
	if before, after := r.num(t, "open files before"), r.num(t, "open files after"); after < before+6 {
		t.Errorf("open files %g before and %g after the slow clients connected; want 6 more at least", before, after)
	}
	if r.num(t, "RSS before MiB") <= 0 || r.num(t, "RSS after MiB") <= 0 {
		t.Errorf("RSS before %s, after %s; want positive sizes", r["RSS before MiB"], r["RSS after MiB"])
	}
	for _, want := range []string{"Slow clients: 3 connections", fmt.Sprintf("(Content-Length %d)", slowPad+len(defaultBody)), "one byte of its body every 50ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("the notes lack %q:\n%s", want, out)
		}
	}
	if !strings.Contains(log, "3 of 3 slow clients connected") {
		t.Errorf("the progress does not say the slow clients connected:\n%s", log)
	}
	if left := s.waitClosed(); left != 0 {
		t.Errorf("%d connections still open after the run", left)
	}
}

// A server with a read timeout ends the slow connections with 408; they connect again, and the
// table counts the ends with the answers' status.
func TestSlowClientsCut(t *testing.T) {
	s := startTestServer(t, 300*time.Millisecond)
	code, out, log := loadRun(context.Background(), "--url", s.url, "--clients", "1", "--duration", "1500ms", "--warmup", "0",
		"--slow-clients", "2", "--slow-interval", "100ms", "--pid", strconv.Itoa(os.Getpid()))
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, out, log)
	}
	t.Logf("\n%s", out)
	r := parseColumns(t, out, slowColumns)[0]
	m := regexp.MustCompile(`^(\d+) \(408 Request Timeout\)$`).FindStringSubmatch(r["slow ended by server"])
	if m == nil {
		t.Fatalf("slow ended by server %q, want a count and 408 Request Timeout", r["slow ended by server"])
	}
	// Each of the 2 is cut after 0.3 s and connects again 0.1 s later: about 3 ends each in 1.5 s.
	if n, _ := strconv.Atoi(m[1]); n < 4 {
		t.Errorf("the server ended %d slow connections, want at least 4", n)
	}
	if left := s.waitClosed(); left != 0 {
		t.Errorf("%d connections still open after the run", left)
	}
}

// --stop-server sends SIGTERM to the real cdrl-serve after the last level, slow clients still
// connected, and notes how long it took to exit: the drain waits for the slow bodies until the
// server's --timeout (3 s) ends them with 408, 2 s or so after the 1 s level.
func TestStopServer(t *testing.T) {
	s := startServe(t, "toy2d", "127.0.0.1:0", "--timeout", "3s")
	code, out, log := loadRun(context.Background(), "--url", s.url, "--body", `{"n":1}`, "--clients", "1", "--duration", "1s",
		"--warmup", "1", "--slow-clients", "2", "--slow-interval", "100ms", "--pid", strconv.Itoa(s.pid), "--stop-server")
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, out, log)
	}
	t.Logf("\n%s", out)
	r := parseColumns(t, out, slowColumns)
	checkRows(t, r, 1)
	if r[0]["slow open at end"] != "2" || !strings.Contains(r[0]["slow ended by server"], "408 Request Timeout") {
		t.Errorf("slow open at end %s, ended by server %s; want 2, then ended with 408 during the drain", r[0]["slow open at end"], r[0]["slow ended by server"])
	}
	m := regexp.MustCompile(`SIGTERM to the server \(pid \d+\) after the last level, the slow clients still connected[^:]*: the server exited after ([0-9.]+) s\.`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the notes do not say when the server exited:\n%s", out)
	}
	if took, _ := strconv.ParseFloat(m[1], 64); took < 0.5 || took > 10 {
		t.Errorf("the server took %g s to exit; want about 2 s (its --timeout 3s less the level's 1 s)", took)
	}
	if !exited(s.pid) {
		t.Errorf("the server (pid %d) is still running", s.pid)
	}
	if !strings.Contains(s.log.String(), "shutting down") {
		t.Errorf("the server's log does not show a shutdown:\n%s", s.log)
	}
}
