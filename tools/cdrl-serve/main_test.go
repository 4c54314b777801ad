package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/tools/internal/cli"
)

// runOptions are the options of the tests' run calls: toy2d on a fresh loopback listener.
func runOptions(t *testing.T, logs io.Writer) Options {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Model: "toy2d", Listener: ln, Timeout: 30 * time.Second, Grace: 30 * time.Second,
		MaxN: 1024, MaxSteps: 1 << 20, MaxResample: 16, MaxGuidance: 100, MaxBody: 1 << 20, MaxConcurrent: 2, MaxQueue: 8, MaxConnections: 64,
		Runtime: cli.Runtime{Device: "cpu", Threads: 1}, Log: logs,
	}
}

// startRun runs run(ctx, o) in the background; the channel gets its result. The returned
// channel is closed when the first request starts sampling.
func startRun(ctx context.Context, o *Options) (result <-chan error, sampling <-chan struct{}) {
	started := make(chan struct{})
	var once sync.Once
	o.onSampling = func() { once.Do(func() { close(started) }) }
	done := make(chan error, 1)
	go func() { done <- run(ctx, *o) }()
	return done, started
}

// postAsync posts a /v1/sample body in the background and delivers the answer.
func postAsync(url, body string) <-chan response {
	got := make(chan response, 1)
	go func() {
		res, err := http.Post(url+"/v1/sample", "application/json", strings.NewReader(body))
		if err != nil {
			got <- response{status: -1, body: []byte(err.Error())}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			b = []byte("reading the answer: " + err.Error())
		}
		got <- response{status: res.StatusCode, header: res.Header, body: b}
	}()
	return got
}

// within waits for a value of ch for up to d.
func within[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing after %s", what, d)
	}
	panic("unreachable")
}

// Shutdown lets the request in progress finish, stops accepting at once and returns nil.
func TestRunGracefulShutdown(t *testing.T) {
	logs := &syncBuffer{}
	o := runOptions(t, logs)
	url := "http://" + o.Listener.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result, sampling := startRun(ctx, &o)

	answer := postAsync(url, `{"n": 256, "seed": 2, "steps": 80}`)
	within(t, sampling, 30*time.Second, "the request starting to sample")
	cancel()
	// The listener closes at once, while the request is still sampling.
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", o.Listener.Addr().String(), time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 10 s after shutdown began")
		}
		time.Sleep(time.Millisecond)
	}
	r := within(t, answer, 60*time.Second, "the in-flight request")
	a := decodeSamples(t, r)
	if len(a.Samples) != 256 {
		t.Errorf("the in-flight request got %d samples, want 256", len(a.Samples))
	}
	if err := within(t, result, 30*time.Second, "run returning"); err != nil {
		t.Errorf("run: %v", err)
	}
	l := logs.String()
	for _, want := range []string{"msg=serving", `msg="shutting down"`, "in_flight=1", "path=/v1/sample status=200", "msg=stopped"} {
		if !strings.Contains(l, want) {
			t.Errorf("the log lacks %q:\n%s", want, l)
		}
	}
	if strings.Index(l, `msg="shutting down"`) > strings.Index(l, "path=/v1/sample status=200") {
		t.Errorf("the request was not in flight when shutdown began:\n%s", l)
	}
}

// A request still sampling when the grace period ends is cancelled with 503, and run returns.
func TestRunGraceExpires(t *testing.T) {
	logs := &syncBuffer{}
	o := runOptions(t, logs)
	o.Grace = 100 * time.Millisecond
	url := "http://" + o.Listener.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result, sampling := startRun(ctx, &o)

	answer := postAsync(url, `{"n": 1024, "steps": 100000}`)
	within(t, sampling, 30*time.Second, "the request starting to sample")
	start := time.Now()
	cancel()
	r := within(t, answer, 20*time.Second, "the cancelled request")
	e := errorOf(t, r, http.StatusServiceUnavailable)
	if !strings.Contains(e.Error, "shutting down") {
		t.Errorf("error %q, want one saying the server is shutting down", e.Error)
	}
	if err := within(t, result, 20*time.Second, "run returning"); err != nil {
		t.Errorf("run: %v", err)
	}
	t.Logf("run returned %s after shutdown began (grace %s)", time.Since(start).Round(time.Millisecond), o.Grace)
	if !strings.Contains(logs.String(), "grace period over") {
		t.Errorf("the log does not say the grace period ended:\n%s", logs)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(file, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"timeout", func(o *Options) { o.Timeout = 0 }, "--timeout"},
		{"grace", func(o *Options) { o.Grace = -time.Second }, "--grace"},
		{"max-n", func(o *Options) { o.MaxN = 0 }, "--max-n"},
		{"max-body", func(o *Options) { o.MaxBody = 0 }, "--max-body"},
		{"max-concurrent", func(o *Options) { o.MaxConcurrent = 0 }, "--max-concurrent"},
		{"max-queue", func(o *Options) { o.MaxQueue = -1 }, "--max-queue"},
		{"no model", func(o *Options) { o.Model = "" }, "--model: no model given"},
		{"unknown name", func(o *Options) { o.Model = "cifar" }, "toy2d"},
		{"missing folder", func(o *Options) { o.Model = "./runs/none" }, "no such folder"},
		{"a file", func(o *Options) { o.Model = file }, "not a folder"},
		{"threads", func(o *Options) { o.Runtime.Threads = -1 }, "--threads"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := runOptions(t, io.Discard)
			c.edit(&o)
			err := run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			// run closed the listener it was given.
			if conn, err := net.Dial("tcp", o.Listener.Addr().String()); err == nil {
				conn.Close()
				t.Error("the listener is still open")
			}
		})
	}
}

// The command line reaches run: a flag error is reported with the flag's name and exit code 1.
func TestAppFlags(t *testing.T) {
	var stderr bytes.Buffer
	code := cli.Run(context.Background(), newApp(), []string{"cdrl-serve", "--max-n", "0"}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "--max-n 0") {
		t.Errorf("exit code %d, stderr %q; want 1 and the flag named", code, stderr.String())
	}
	code = cli.Run(context.Background(), newApp(), []string{"cdrl-serve", "--model", "nope", "--addr", "127.0.0.1:0"}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), `no embedded model "nope"`) {
		t.Errorf("exit code %d, stderr %q; want 1 and the model named", code, stderr.String())
	}
}

// The whole command serves over a real listener until its context ends.
func TestAppServes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the command listens on --addr itself
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, newApp(), []string{"cdrl-serve", "--model", "toy2d", "--addr", addr, "--threads", "1"}, logs)
	}()
	var r *http.Response
	for deadline := time.Now().Add(20 * time.Second); ; {
		if r, err = http.Get("http://" + addr + "/healthz"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer on %s: %v\n%s", addr, err, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var h map[string]string
	err = json.NewDecoder(r.Body).Decode(&h)
	r.Body.Close()
	if err != nil || h["status"] != "ok" || h["model"] != "toy2d" {
		t.Errorf("healthz: %v (%v)", h, err)
	}
	cancel()
	if code := within(t, done, 30*time.Second, "the command returning"); code != 0 {
		t.Errorf("exit code %d after shutdown, want 0\n%s", code, logs)
	}
}

// TestSlowBodyTimesOut sends a body one byte at a time, far slower than the request deadline
// allows: the server answers 408 naming --timeout once the deadline passes, instead of holding
// the connection while the client trickles, and a shutdown right after is not held up by it.
func TestSlowBodyTimesOut(t *testing.T) {
	logs := &syncBuffer{}
	o := runOptions(t, logs)
	o.Timeout, o.Grace = time.Second, time.Second
	addr := o.Listener.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result, _ := startRun(ctx, &o)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetReadDeadline(start.Add(10 * time.Second)) // the test's own bound
	fmt.Fprintf(conn, "POST /v1/sample HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", addr)
	stop := make(chan struct{})
	go func() { // one byte every 200 ms until the answer comes
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	close(stop)
	if err != nil {
		t.Fatalf("no answer to the slow body: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if took := time.Since(start); res.StatusCode != http.StatusRequestTimeout || took > 5*time.Second {
		t.Fatalf("status %d after %s, want 408 within a few seconds; body %s", res.StatusCode, took, body)
	}
	if !strings.Contains(string(body), "--timeout of 1s") {
		t.Errorf("body %s does not name --timeout", body)
	}
	cancel()
	if err := within(t, result, 5*time.Second, "run returning after the slow client"); err != nil {
		t.Errorf("run: %v", err)
	}
}

// TestMaxConnections holds --max-connections idle connections open: a further client waits to
// be accepted instead of being served, and is served once one of them closes.
func TestMaxConnections(t *testing.T) {
	logs := &syncBuffer{}
	o := runOptions(t, logs)
	o.MaxConnections = 2
	addr := o.Listener.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result, _ := startRun(ctx, &o)
	url := "http://" + addr + "/healthz"
	if r := get(t, url); r.status != http.StatusOK { // the server is up
		t.Fatalf("healthz: %d", r.status)
	}
	http.DefaultClient.CloseIdleConnections()
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	time.Sleep(100 * time.Millisecond) // let the server accept both
	client := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if res, err := client.Get(url); err == nil {
		res.Body.Close()
		t.Fatalf("a third connection was served (%d) while 2 of --max-connections 2 were open", res.StatusCode)
	}
	idle[0].Close()
	client.Timeout = 5 * time.Second
	res, err := client.Get(url)
	if err != nil {
		t.Fatalf("no answer after a connection closed: %v", err)
	}
	res.Body.Close()
	cancel()
	if err := within(t, result, 15*time.Second, "run returning"); err != nil {
		t.Errorf("run: %v", err)
	}
}
