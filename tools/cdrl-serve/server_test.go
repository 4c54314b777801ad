package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger and reads of a test.
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

// testLimits are the limits of the tests' servers, with room for 16 concurrent requests and for
// the very long samplings some tests cancel.
func testLimits() limits {
	return limits{Timeout: 30 * time.Second, MaxN: 1024, MaxSteps: 1 << 20, MaxResample: 16, MaxGuidance: 100, MaxBody: 1 << 20, MaxConcurrent: runtime.GOMAXPROCS(0), MaxQueue: 64}
}

// startServer serves model (an embedded name or a bundle folder) under lim on a loopback
// httptest server, and returns the handler, the server's URL and the access log.
func startServer(tb testing.TB, model string, lim limits) (*server, string, *syncBuffer) {
	tb.Helper()
	logs := &syncBuffer{}
	s := newServer(serving(tb, model), lim, slog.New(slog.NewTextHandler(logs, nil)))
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return s, ts.URL, logs
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

func do(tb testing.TB, req *http.Request) response {
	tb.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}

func get(tb testing.TB, url string) response {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return do(tb, req)
}

func postJSON(tb testing.TB, url, body string) response {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/sample", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(tb, req)
}

// errorOf checks that r is a JSON error answer of the given status and returns its body.
func errorOf(tb testing.TB, r response, status int) errorBody {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("Content-Type %q, want application/json; body %s", ct, r.body)
	}
	var e errorBody
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" {
		tb.Fatalf("body %s is not a JSON error (%v)", r.body, err)
	}
	return e
}

// samplesAnswer is the JSON answer of /v1/sample, numbers kept as written.
type samplesAnswer struct {
	Model   string          `json:"model"`
	Seed    uint64          `json:"seed"`
	Shape   []int           `json:"shape"`
	Samples [][]json.Number `json:"samples"`
}

// values returns the samples as float32, flattened, parsing every number at float32 precision.
func (a samplesAnswer) values(tb testing.TB) []float32 {
	tb.Helper()
	var out []float32
	for _, s := range a.Samples {
		for _, v := range s {
			f, err := strconv.ParseFloat(string(v), 32)
			if err != nil {
				tb.Fatalf("sample value %q: %v", v, err)
			}
			out = append(out, float32(f))
		}
	}
	return out
}

func decodeSamples(tb testing.TB, r response) samplesAnswer {
	tb.Helper()
	if r.status != http.StatusOK {
		tb.Fatalf("status %d, want 200; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("Content-Type %q, want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var a samplesAnswer
	if err := dec.Decode(&a); err != nil {
		tb.Fatalf("decoding %s: %v", r.body, err)
	}
	return a
}

func TestHealthzAndModel(t *testing.T) {
	s, url, _ := startServer(t, "toy2d", testLimits())
	r := get(t, url+"/healthz")
	var h map[string]string
	if err := json.Unmarshal(r.body, &h); r.status != http.StatusOK || err != nil {
		t.Fatalf("healthz: status %d, body %s (%v)", r.status, r.body, err)
	}
	if want := map[string]string{"status": "ok", "model": "toy2d"}; !reflect.DeepEqual(h, want) {
		t.Errorf("healthz: got %v, want %v", h, want)
	}
	r = get(t, url+"/v1/model")
	var m bundle.Manifest
	if err := json.Unmarshal(r.body, &m); r.status != http.StatusOK || err != nil {
		t.Fatalf("model: status %d, body %s (%v)", r.status, r.body, err)
	}
	if want := s.models[0].sampler.Manifest(); !reflect.DeepEqual(m, want) {
		t.Errorf("model: got %+v, want the sampler's manifest %+v", m, want)
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	_, url, _ := startServer(t, "toy2d", testLimits())
	if e := errorOf(t, get(t, url+"/v2/nothing"), http.StatusNotFound); !strings.Contains(e.Error, "/v2/nothing") {
		t.Errorf("404 error %q does not name the path", e.Error)
	}
	r := get(t, url+"/v1/sample")
	errorOf(t, r, http.StatusMethodNotAllowed)
	if got := r.header.Get("Allow"); got != "POST" {
		t.Errorf("Allow %q, want POST", got)
	}
	req, _ := http.NewRequest(http.MethodDelete, url+"/healthz", nil)
	r = do(t, req)
	errorOf(t, r, http.StatusMethodNotAllowed)
	if got := r.header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow %q, want GET, HEAD", got)
	}
}

// The JSON answer holds exactly what the Sampler draws with the same options.
func TestSampleJSONMatchesSampler(t *testing.T) {
	s, url, _ := startServer(t, "toy2d", testLimits())
	a := decodeSamples(t, postJSON(t, url, `{"n": 5, "seed": 3, "steps": 4}`))
	if a.Model != "toy2d" || a.Seed != 3 || !slices.Equal(a.Shape, []int{5, 2}) || len(a.Samples) != 5 {
		t.Fatalf("got model %q seed %d shape %v and %d samples, want toy2d, 3, [5 2], 5", a.Model, a.Seed, a.Shape, len(a.Samples))
	}
	want, err := s.models[0].sampler.Sample(context.Background(), 5, infer.SampleOptions{Seed: 3, Steps: 4, Batch: sampleChunk})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.values(t); !slices.Equal(got, want) {
		t.Errorf("samples %v, want the sampler's %v", got, want)
	}
	// No seed means seed 1.
	if a := decodeSamples(t, postJSON(t, url, `{"n": 1}`)); a.Seed != defaultSeed {
		t.Errorf("seed %d without a seed field, want %d", a.Seed, defaultSeed)
	}
}

func TestSamplePNG(t *testing.T) {
	_, url, _ := startServer(t, "toy2d", testLimits())
	r := postJSON(t, url, `{"n": 200, "seed": 2, "format": "png"}`)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("status %d, Content-Type %q, want 200 image/png; body %.200s", r.status, r.header.Get("Content-Type"), r.body)
	}
	img, err := png.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != scatterSize || b.Dy() != scatterSize {
		t.Errorf("scatter of %dx%d pixels, want %d square", b.Dx(), b.Dy(), scatterSize)
	}
}

func TestSameSeedSameBytes(t *testing.T) {
	_, url, _ := startServer(t, "toy2d", testLimits())
	for _, format := range []string{"json", "png"} {
		body := func(seed int) string { return fmt.Sprintf(`{"n": 50, "seed": %d, "format": %q}`, seed, format) }
		a, b, c := postJSON(t, url, body(9)), postJSON(t, url, body(9)), postJSON(t, url, body(10))
		for _, r := range []response{a, b, c} {
			if r.status != http.StatusOK {
				t.Fatalf("%s: status %d; body %.200s", format, r.status, r.body)
			}
		}
		if !bytes.Equal(a.body, b.body) {
			t.Errorf("%s: two answers for seed 9 differ", format)
		}
		if bytes.Equal(a.body, c.body) {
			t.Errorf("%s: seeds 9 and 10 give the same answer", format)
		}
	}
}

// 16 requests at once, over loopback, on one shared sampler: all succeed, and requests with
// the same seed get the same bytes whatever ran beside them.
func TestConcurrentRequests(t *testing.T) {
	_, url, logs := startServer(t, "toy2d", testLimits())
	const requests, seeds = 16, 4
	bodies := make([][]byte, requests)
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Post(url+"/v1/sample", "application/json", strings.NewReader(fmt.Sprintf(`{"n": 64, "seed": %d}`, i%seeds)))
			if err != nil {
				errs <- err
				return
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err == nil && res.StatusCode != http.StatusOK {
				err = fmt.Errorf("request %d: status %d: %s", i, res.StatusCode, body)
			}
			if err != nil {
				errs <- err
				return
			}
			bodies[i] = body
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	for i := seeds; i < requests; i++ {
		if !bytes.Equal(bodies[i], bodies[i%seeds]) {
			t.Errorf("requests %d and %d (seed %d) got different answers", i, i%seeds, i%seeds)
		}
	}
	if bytes.Equal(bodies[0], bodies[1]) {
		t.Error("seeds 0 and 1 got the same answer")
	}
	if got := strings.Count(logs.String(), "path=/v1/sample status=200"); got != requests {
		t.Errorf("%d access log lines of successful samplings, want %d:\n%s", got, requests, logs)
	}
}

// Every bad request gets 400 (415, 413) with a JSON error that names the field at fault.
func TestBadSampleRequests(t *testing.T) {
	_, toyURL, _ := startServer(t, "toy2d", testLimits())
	_, digitsURL, _ := startServer(t, bundles.Digits(t), testLimits())
	capped := testLimits()
	capped.MaxSteps = 200
	_, cappedURL, _ := startServer(t, "toy2d", capped)
	cases := []struct {
		name, url, body, field string
	}{
		{"n zero", toyURL, `{"n": 0}`, "n"},
		{"n missing", toyURL, `{"seed": 1}`, "n"},
		{"n too large", toyURL, `{"n": 1025}`, "n"},
		{"n negative", toyURL, `{"n": -3}`, "n"},
		{"n fraction", toyURL, `{"n": 1.5}`, "n"},
		{"n string", toyURL, `{"n": "4"}`, "n"},
		{"bad JSON", toyURL, `{"n": 4,`, "body"},
		{"not JSON", toyURL, `n=4`, "body"},
		{"empty body", toyURL, ``, "body"},
		{"not an object", toyURL, `[1, 2]`, "body"},
		{"trailing data", toyURL, `{"n": 4} {"n": 5}`, "body"},
		{"unknown field", toyURL, `{"n": 4, "temperature": 2}`, "temperature"},
		{"negative seed", toyURL, `{"n": 4, "seed": -1}`, "seed"},
		{"negative steps", toyURL, `{"n": 4, "steps": -1}`, "steps"},
		{"steps past --max-steps", cappedURL, `{"n": 1, "steps": 201}`, "steps"},
		{"unknown format", toyURL, `{"n": 4, "format": "gif"}`, "format"},
		{"class on an unconditional model", toyURL, `{"n": 4, "class": "7"}`, "class"},
		{"guidance without a class", toyURL, `{"n": 4, "guidance": 1}`, "guidance"},
		{"unknown class", digitsURL, `{"n": 4, "class": "9"}`, "class"},
		{"class as a number", digitsURL, `{"n": 4, "class": 3}`, "class"},
		{"negative guidance", digitsURL, `{"n": 4, "class": "3", "guidance": -1}`, "guidance"},
		{"guidance 1e30", digitsURL, `{"n": 4, "class": "3", "guidance": 1e30}`, "guidance"},
		{"guidance 1e308", digitsURL, `{"n": 4, "class": "3", "guidance": 1e308}`, "guidance"},
		{"guidance past float64", digitsURL, `{"n": 4, "class": "3", "guidance": 1e309}`, "guidance"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := errorOf(t, postJSON(t, c.url, c.body), http.StatusBadRequest)
			if e.Field != c.field || !strings.HasPrefix(e.Error, c.field+": ") {
				t.Errorf("error %q, field %q; want field %q named first", e.Error, e.Field, c.field)
			}
		})
	}
}

// A conditional image model samples a class with guidance, as JSON and as a PNG grid.
func TestSampleClassImages(t *testing.T) {
	_, url, _ := startServer(t, bundles.Digits(t), testLimits())
	a := decodeSamples(t, postJSON(t, url, `{"n": 3, "seed": 4, "class": "7", "guidance": 1}`))
	if !slices.Equal(a.Shape, []int{3, 1, 28, 28}) || len(a.Samples) != 3 || len(a.Samples[0]) != 28*28 {
		t.Fatalf("shape %v with %d samples, want [3 1 28 28]", a.Shape, len(a.Samples))
	}
	for _, v := range a.values(t) {
		if !(v >= -1 && v <= 1) {
			t.Fatalf("image value %g outside [-1, 1]", v)
		}
	}
	r := postJSON(t, url, `{"n": 4, "seed": 4, "class": "3", "format": "png"}`)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("status %d, Content-Type %q; body %.200s", r.status, r.header.Get("Content-Type"), r.body)
	}
	img, err := png.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	// 2 columns and 2 rows of 56-pixel tiles with 2-pixel borders.
	if b := img.Bounds(); b.Dx() != 2+2*(56+2) || b.Dy() != 2+2*(56+2) {
		t.Errorf("grid of %dx%d pixels, want 118x118", b.Dx(), b.Dy())
	}
}

func TestBodyTooLarge(t *testing.T) {
	lim := testLimits()
	lim.MaxBody = 64
	_, url, _ := startServer(t, "toy2d", lim)
	big := `{"n": 4` + strings.Repeat(" ", 200) + `}`
	e := errorOf(t, postJSON(t, url, big), http.StatusRequestEntityTooLarge)
	if e.Field != "body" || !strings.Contains(e.Error, "64 bytes") {
		t.Errorf("error %q, field %q; want the body and the limit named", e.Error, e.Field)
	}
	// A body of unknown length (chunked) is cut off at the limit.
	req, err := http.NewRequest(http.MethodPost, url+"/v1/sample", io.MultiReader(strings.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	if req.ContentLength != 0 {
		t.Fatalf("the request has a declared length %d; the test needs a chunked body", req.ContentLength)
	}
	errorOf(t, do(t, req), http.StatusRequestEntityTooLarge)
}

func TestDeadline(t *testing.T) {
	lim := testLimits()
	lim.Timeout = time.Millisecond
	_, url, logs := startServer(t, "toy2d", lim)
	e := errorOf(t, postJSON(t, url, `{"n": 1024, "steps": 200}`), http.StatusGatewayTimeout)
	if !strings.Contains(e.Error, "deadline") || !strings.Contains(e.Error, "--timeout") {
		t.Errorf("error %q does not say the deadline passed", e.Error)
	}
	if !strings.Contains(logs.String(), "status=504") {
		t.Errorf("the access log lacks the 504:\n%s", logs)
	}
}

// A client that hangs up stops its sampling: the log shows 499 long before the sampling could
// have finished, and the slot is free again.
func TestClientDisconnectCancelsSampling(t *testing.T) {
	s, url, logs := startServer(t, "toy2d", testLimits())
	started := make(chan struct{})
	var once sync.Once
	s.onSampling = func() { once.Do(func() { close(started) }) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/sample", strings.NewReader(`{"n": 1024, "steps": 100000}`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	<-started
	cancel()
	if err := <-done; err == nil {
		t.Error("the cancelled request got an answer")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "status=499") {
		if time.Now().After(deadline) {
			t.Fatalf("no 499 in the access log 10 s after the client hung up:\n%s", logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(s.slots); n != 0 {
		t.Errorf("%d slots still taken", n)
	}
}

// With every slot taken and no room in the queue a request gets 503 and Retry-After at once;
// with room it waits for the slot.
func TestSaturation(t *testing.T) {
	lim := testLimits()
	lim.MaxConcurrent, lim.MaxQueue = 1, 0
	s, url, _ := startServer(t, "toy2d", lim)
	s.slots <- struct{}{} // a sampling in progress
	r := postJSON(t, url, `{"n": 2}`)
	errorOf(t, r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	<-s.slots
	decodeSamples(t, postJSON(t, url, `{"n": 2}`))

	lim.MaxQueue = 1
	s, url, _ = startServer(t, "toy2d", lim)
	s.slots <- struct{}{}
	got := make(chan response, 1)
	go func() {
		res, err := http.Post(url+"/v1/sample", "application/json", strings.NewReader(`{"n": 2}`))
		if err != nil {
			got <- response{status: -1, body: []byte(err.Error())}
			return
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		got <- response{status: res.StatusCode, header: res.Header, body: body}
	}()
	for deadline := time.Now().Add(10 * time.Second); s.waiting.Load() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second request is not waiting for the slot after 10 s")
		}
	}
	// The queue is full now: a third request is turned away.
	errorOf(t, postJSON(t, url, `{"n": 2}`), http.StatusServiceUnavailable)
	<-s.slots
	if r := <-got; r.status != http.StatusOK {
		t.Errorf("the queued request: status %d, want 200; body %s", r.status, r.body)
	}
}

func TestDrainingRefusesNewRequests(t *testing.T) {
	lim := testLimits()
	logs := &syncBuffer{}
	s := newServer(serving(t, "toy2d"), lim, slog.New(slog.NewTextHandler(logs, nil)))
	ts := httptest.NewServer(s)
	defer ts.Close()
	s.startDraining()
	r := get(t, ts.URL+"/healthz")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "shutting down") {
		t.Errorf("healthz while draining: status %d, body %s; want 503 shutting down", r.status, r.body)
	}
	r = postJSON(t, ts.URL, `{"n": 2}`)
	errorOf(t, r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func TestPanicAnswers500AndServingGoesOn(t *testing.T) {
	s, url, logs := startServer(t, "toy2d", testLimits())
	s.mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	e := errorOf(t, get(t, url+"/panic"), http.StatusInternalServerError)
	if e.Error != "internal error" {
		t.Errorf("error %q, want internal error", e.Error)
	}
	if l := logs.String(); !strings.Contains(l, "msg=panic") || !strings.Contains(l, "boom") || !strings.Contains(l, "path=/panic status=500") {
		t.Errorf("the log lacks the panic and its 500:\n%s", l)
	}
	if r := get(t, url+"/healthz"); r.status != http.StatusOK {
		t.Errorf("healthz after a panic: status %d", r.status)
	}
}

func TestAccessLog(t *testing.T) {
	_, url, logs := startServer(t, "toy2d", testLimits())
	decodeSamples(t, postJSON(t, url, `{"n": 2}`))
	errorOf(t, postJSON(t, url, `{"n": 0}`), http.StatusBadRequest)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), logs)
	}
	for i, want := range []string{"method=POST path=/v1/sample status=200 duration=", "status=400"} {
		if !strings.Contains(lines[i], "msg=request") || !strings.Contains(lines[i], want) {
			t.Errorf("log line %q lacks %q", lines[i], want)
		}
	}
	if !strings.Contains(lines[1], `error="n: 0 is outside`) {
		t.Errorf("log line %q lacks the error", lines[1])
	}
}

// TestNonFiniteSamplesAnswer422 checks that samples driven to NaN by an enormous guidance weight
// get 422 naming the guidance field, not 200 with nulls.
func TestNonFiniteSamplesAnswer422(t *testing.T) {
	lim := testLimits()
	lim.MaxGuidance = math.MaxFloat64 // let the weight through to the sampler
	_, url, _ := startServer(t, bundles.Digits(t), lim)
	e := errorOf(t, postJSON(t, url, `{"n": 1, "seed": 1, "class": "3", "guidance": 1e308}`), http.StatusUnprocessableEntity)
	if e.Field != "guidance" || !strings.Contains(e.Error, "guidance weight 1e+308") {
		t.Errorf("got %+v, want the guidance field named", e)
	}
}

// A guidance weight past --max-guidance gets 400 before any sampling, naming the field and the
// accepted range; the cap itself is accepted.
func TestGuidanceCapped(t *testing.T) {
	lim := testLimits()
	lim.MaxGuidance = 4
	s, url, _ := startServer(t, bundles.Digits(t), lim)
	var sampled atomic.Int32
	s.onSampling = func() { sampled.Add(1) }
	for _, w := range []string{"4.5", "1e30", "1e308"} {
		e := errorOf(t, postJSON(t, url, `{"n": 1, "class": "3", "guidance": `+w+`}`), http.StatusBadRequest)
		if e.Field != "guidance" || !strings.Contains(e.Error, "outside 0..4") || !strings.Contains(e.Error, "--max-guidance") {
			t.Errorf("guidance %s: got %+v, want the field, the range 0..4 and --max-guidance named", w, e)
		}
	}
	if n := sampled.Load(); n != 0 {
		t.Errorf("%d requests started sampling; a weight past the cap must be refused first", n)
	}
	if r := postJSON(t, url, `{"n": 1, "class": "3", "guidance": 4, "steps": 1}`); r.status != http.StatusOK {
		t.Errorf("guidance 4 under --max-guidance 4: status %d, body %.200s", r.status, r.body)
	}
}
