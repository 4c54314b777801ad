package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Timing of the run.
const (
	// readyWait is how long run waits for GET /healthz to answer 200 before the first level.
	readyWait = 30 * time.Second
	// readyPoll is the pause between two tries of GET /healthz.
	readyPoll = 100 * time.Millisecond
	// progressEvery is the time between two progress lines of a level.
	progressEvery = 5 * time.Second
)

// level is the measurement of one concurrency level: one row of the table.
type level struct {
	clients int
	// requests counts the requests finished, errors included; errors those without a 200
	// answer read in full.
	requests, errors int
	// elapsed runs from the level's first request to the end of its last.
	elapsed time.Duration
	// latencies are those of the 200 answers, sorted.
	latencies []time.Duration
	// firstError describes the level's first error; empty without errors.
	firstError string
	// peakMiB is the server's peak RSS during the level; NaN without --pid or when it could not
	// be read.
	peakMiB float64
	// resetErr is why the peak could not be reset before the level; peakMiB is then the peak
	// since the server started.
	resetErr error
	// cut is true when the run ended (--budget or Ctrl-C) before the level did.
	cut bool
	// slowOpen counts the --slow-clients connections open at the level's end, slow what they
	// saw; before and after are the server's state (--pid) before they connected and at the
	// level's end.
	slowOpen      int
	slow          slowResult
	before, after serverState
	// stop is --stop-server's measure of the server's exit, when this level was the last.
	stop *stopResult
}

// serverState is a server's resident memory and open file count at one moment; NaN and -1
// where they could not be read.
type serverState struct {
	rssMiB float64
	files  int
}

// readServerState reads the state of process pid; it says on log what it could not read.
func readServerState(pid int, log io.Writer) serverState {
	st := serverState{rssMiB: math.NaN(), files: -1}
	var err error
	if st.rssMiB, err = readRSSMiB(pid); err != nil {
		st.rssMiB = math.NaN()
		fmt.Fprintf(log, "  --pid %d: %v\n", pid, err)
	}
	if st.files, err = openFiles(pid); err != nil {
		st.files = -1
		fmt.Fprintf(log, "  --pid %d: %v\n", pid, err)
	}
	return st
}

// stopResult is how the server's exit after --stop-server's SIGTERM went.
type stopResult struct {
	took   time.Duration
	exited bool // false: still running after took (stopWait)
	err    error
}

// rate returns the 200 answers per second.
func (l level) rate() float64 {
	return float64(l.requests-l.errors) / l.elapsed.Seconds()
}

// quantileMs returns the q-quantile of the latencies in milliseconds (the nearest rank), or
// NaN when there are none.
func (l level) quantileMs(q float64) float64 {
	n := len(l.latencies)
	if n == 0 {
		return math.NaN()
	}
	i := min(n-1, max(0, int(math.Ceil(q*float64(n)))-1))
	return float64(l.latencies[i]) / float64(time.Millisecond)
}

// run checks the options, waits for the server to be ready, measures each level of --clients
// (with --stop-server, stopping the server after the last one) and writes the table to out and
// the progress to log.
func run(ctx context.Context, o Options, out, log io.Writer) error {
	p, err := o.check()
	if err != nil {
		return err
	}
	client := p.newClient()
	defer client.CloseIdleConnections()
	runCtx, cancel := context.WithTimeout(ctx, o.Budget)
	defer cancel()
	model, err := waitReady(runCtx, client, p.base)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "%s serves model %s; sending %s %s\n", p.base, model, p.req.method, p.req.describe)

	var (
		levels []level
		notRun []int // the levels left when the run stopped early
	)
	for i, n := range p.clients {
		last := i == len(p.clients)-1
		l, measured, err := p.runLevel(runCtx, client, n, last && o.StopServer, log)
		if err != nil {
			p.writeReport(out, model, levels, nil, "")
			return err
		}
		if measured {
			levels = append(levels, l)
		}
		if runCtx.Err() != nil {
			next := i + 1
			if !measured {
				next = i
			}
			notRun = p.clients[next:]
			break
		}
	}
	why := "--budget " + o.Budget.String() + " spent"
	if ctx.Err() != nil {
		why = "interrupted"
	}
	p.writeReport(out, model, levels, notRun, why)

	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	var total, failed int
	first := ""
	for _, l := range levels {
		total += l.requests
		failed += l.errors
		if first == "" {
			first = l.firstError
		}
	}
	switch {
	case total == 0:
		return fmt.Errorf("--budget %s: spent before any request finished", o.Budget)
	case failed == total:
		return fmt.Errorf("every request failed (%d); the first error: %s", total, shorten(first))
	}
	return nil
}

// runLevel warms up and measures the level of n clients, with --slow-clients alongside and the
// server's peak RSS for --pid, stops the server when stop (and the level ran to its end), and
// prints its closing lines. measured is false when ctx ended before the measurement began; the
// error is the warmup's.
func (p plan) runLevel(ctx context.Context, client *http.Client, n int, stop bool, log io.Writer) (l level, measured bool, err error) {
	if err := p.warmup(ctx, client, n); err != nil || ctx.Err() != nil {
		return l, false, err
	}
	var reset error
	if p.o.PID > 0 {
		reset = resetPeak(p.o.PID)
	}
	var (
		slow   *slowClients
		before serverState
	)
	if p.o.Slow > 0 {
		if p.o.PID > 0 {
			before = readServerState(p.o.PID, log)
		}
		slow = newSlowClients(p.base, p.req, p.o.SlowInterval)
		slow.start(ctx, p.o.Slow)
		slow.waitOpen(ctx, p.o.Slow, slowDialTimeout)
		fmt.Fprintf(log, "  clients %d: %d of %d slow clients connected\n", n, slow.open(), p.o.Slow)
	}
	l = p.measure(ctx, client, n, log)
	if p.o.PID > 0 {
		l.resetErr = reset
		if l.peakMiB, err = readPeakMiB(p.o.PID); err != nil {
			l.peakMiB = math.NaN()
			fmt.Fprintf(log, "  clients %d: --pid %d: %v\n", n, p.o.PID, err)
		}
	}
	if slow != nil {
		l.slowOpen = slow.open()
		if p.o.PID > 0 {
			l.before, l.after = before, readServerState(p.o.PID, log)
		}
	}
	if stop && !l.cut {
		l.stop = stopServer(p.o.PID, log)
	}
	if slow != nil {
		l.slow = slow.stop()
		if l.slow.dialErr != "" && l.stop == nil {
			fmt.Fprintf(log, "  clients %d: a slow client could not connect: %s\n", n, l.slow.dialErr)
		}
	}
	fmt.Fprintf(log, "  clients %d: %d requests, %d errors in %s, %s/s, p50 %s ms, p99 %s ms\n", n, l.requests, l.errors,
		l.elapsed.Round(time.Millisecond), formatRate(l.rate()), oneDecimal(l.quantileMs(0.5)), oneDecimal(l.quantileMs(0.99)))
	if l.firstError != "" {
		fmt.Fprintf(log, "  clients %d: first error: %s\n", n, shorten(l.firstError))
	}
	return l, true, nil
}

// stopServer sends SIGTERM to the server pid and waits up to stopWait for it to exit.
func stopServer(pid int, log io.Writer) *stopResult {
	fmt.Fprintf(log, "sending SIGTERM to %d\n", pid)
	took, exited, err := stopProcess(pid, stopWait)
	switch {
	case err != nil:
		fmt.Fprintf(log, "--stop-server: %v\n", err)
	case exited:
		fmt.Fprintf(log, "the server exited %s after SIGTERM\n", took.Round(time.Millisecond))
	default:
		fmt.Fprintf(log, "the server was still running %s after SIGTERM\n", took.Round(time.Second))
	}
	return &stopResult{took: took, exited: exited, err: err}
}

// newClient returns the one HTTP client of the run, with an idle connection kept for each client
// of the largest level, no proxy and --timeout per request.
func (p plan) newClient() *http.Client {
	most := slices.Max(p.clients)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // measure the server itself, never a proxy in between
	t.MaxIdleConns = most
	t.MaxIdleConnsPerHost = most
	return &http.Client{Transport: t, Timeout: p.o.Timeout}
}

// waitReady asks GET /healthz until it answers 200, for up to readyWait, and returns the
// model the server names.
func waitReady(ctx context.Context, client *http.Client, base *url.URL) (string, error) {
	u := base.JoinPath("healthz").String()
	began := time.Now()
	wait, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	var last error // the last failure before the wait ended
	for {
		model, err := health(wait, client, u)
		if err == nil {
			return model, nil
		}
		if last == nil || wait.Err() == nil {
			last = err
		}
		select {
		case <-wait.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return "", fmt.Errorf("waiting for %s: %w", u, ctx.Err())
			}
			return "", fmt.Errorf("--url %s: GET %s gave no 200 answer in %s (%v); is cdrl-serve running there?",
				base, u, time.Since(began).Round(time.Second), last)
		case <-time.After(readyPoll):
		}
	}
}

// health sends GET u once and returns the model of a 200 answer.
func health(ctx context.Context, client *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var h struct {
		Model string `json:"model"`
	}
	if res.StatusCode != http.StatusOK {
		return "", errors.New(res.Status)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxErrorBody)).Decode(&h); err != nil {
		return "", fmt.Errorf("not a cdrl-serve answer: %w", err)
	}
	return h.Model, nil
}

// warmup sends --warmup requests on up to clients connections, uncounted. It returns an error
// when the server refuses the request (a 4xx answer), as it would every request of the level.
func (p plan) warmup(ctx context.Context, client *http.Client, clients int) error {
	var (
		next    atomic.Int64
		refused atomic.Pointer[string]
		wg      sync.WaitGroup
	)
	for range min(p.o.Warmup, clients) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && refused.Load() == nil && next.Add(1) <= int64(p.o.Warmup) {
				if r := p.req.send(ctx, client); r.clientError() {
					refused.CompareAndSwap(nil, &r.failure)
				}
			}
		}()
	}
	wg.Wait()
	if r := refused.Load(); r != nil {
		return fmt.Errorf("the server refused the request: %s; check %s", shorten(*r), p.requestFlags())
	}
	return nil
}

// requestFlags names the flags that make the request, for errors.
func (p plan) requestFlags() string {
	if p.o.Request == kindInpaint {
		return "--image, --mask and --class"
	}
	return "--body"
}

// measure runs one level: clients goroutines send the request back to back until --duration
// has passed or --requests have been sent, or ctx is done. Requests in flight at the end of
// --duration are waited for and counted; those cut by ctx are not.
func (p plan) measure(ctx context.Context, client *http.Client, clients int, log io.Writer) level {
	l := level{clients: clients, peakMiB: math.NaN()}
	var (
		claimed, done, failed atomic.Int64
		mu                    sync.Mutex // guards l.firstError
		wg                    sync.WaitGroup
		lat                   = make([][]time.Duration, clients) // per client
	)
	start := time.Now()
	next := func() bool {
		if ctx.Err() != nil || (p.o.Duration > 0 && time.Since(start) >= p.o.Duration) {
			return false
		}
		return p.o.Requests == 0 || claimed.Add(1) <= int64(p.o.Requests)
	}
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next() {
				r := p.req.send(ctx, client)
				if r.failure != "" && ctx.Err() != nil {
					return // cut by the end of the run
				}
				done.Add(1)
				if r.failure == "" {
					lat[i] = append(lat[i], r.latency)
					continue
				}
				failed.Add(1)
				mu.Lock()
				if l.firstError == "" {
					l.firstError = r.failure
				}
				mu.Unlock()
			}
		}()
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
wait:
	for {
		select {
		case <-finished:
			break wait
		case <-tick.C:
			d, f := done.Load(), failed.Load()
			elapsed := time.Since(start)
			fmt.Fprintf(log, "  clients %d: %d requests, %d errors, %s/s, %s\n", clients, d, f,
				formatRate(float64(d-f)/elapsed.Seconds()), elapsed.Round(time.Second))
		}
	}
	l.elapsed = time.Since(start)
	l.requests, l.errors = int(done.Load()), int(failed.Load())
	l.latencies = slices.Concat(lat...)
	slices.Sort(l.latencies)
	l.cut = ctx.Err() != nil
	return l
}

// shorten returns s on one line, cut to 200 characters.
func shorten(s string) string {
	const most = 200
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "..."
	}
	return s
}

// joinInts joins numbers with commas.
func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
