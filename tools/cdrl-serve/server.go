package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/infer/plot"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/ort"
)

// Rendering and chunking constants, the same as cdrl-infer's defaults, so that a request and
// the matching `cdrl-infer sample` (at the same --threads) give the same samples.
const (
	sampleChunk = 256 // samples per network call (infer.SampleOptions.Batch)
	gridScale   = 2   // image grids enlarge every pixel to a 2x2 block
	scatterSize = 512 // side in pixels of a points scatter picture
)

// Output formats of /v1/sample.
const (
	formatJSON = "json"
	formatPNG  = "png"
)

// statusClientClosed is the status logged for a request whose client hung up before the answer
// (nginx's 499); the client never sees it.
const statusClientClosed = 499

// retryAfter is the Retry-After value, in seconds, of a 503 answer.
const retryAfter = "1"

// limits are the per-request limits of a server.
type limits struct {
	Timeout       time.Duration // deadline of one request, queueing included
	MaxN          int           // most samples per request
	MaxSteps      int           // most Langevin steps per level a request may ask for
	MaxResample   int           // most resampling passes an inpainting request may ask for
	MaxGuidance   float64       // largest guidance weight a request may ask for
	MaxBody       int64         // largest request body in bytes
	MaxConcurrent int           // most samplings at once
	MaxQueue      int           // most requests waiting for a sampling slot
}

// server is the HTTP handler of cdrl-serve: the routes and their middleware around the shared
// samplers of the models it serves. It is safe for concurrent use.
type server struct {
	models []*servedModel // the default model (--model) first
	lim    limits
	log    *slog.Logger
	mux    *http.ServeMux

	slots    chan struct{} // one token per sampling in progress
	waiting  atomic.Int64  // requests waiting for a slot
	draining atomic.Bool   // set when shutdown begins; new requests get 503
	inflight inflight      // handlers running

	// onSampling, when not nil, is called when a request has a slot and starts sampling.
	onSampling func()
}

// newServer returns the handler serving models under lim, the first of them the default for
// requests that name none; it logs every request to log. models must not be empty.
func newServer(models []*servedModel, lim limits, log *slog.Logger) *server {
	s := &server{models: models, lim: lim, log: log,
		mux: http.NewServeMux(), slots: make(chan struct{}, lim.MaxConcurrent)}
	s.mux.Handle("/{$}", s.route(http.MethodGet, servePage))
	s.mux.Handle("/healthz", s.route(http.MethodGet, s.healthz))
	s.mux.Handle("/v1/models", s.route(http.MethodGet, s.listModels))
	s.mux.Handle("/v1/model", s.route(http.MethodGet, s.manifest))
	s.mux.Handle("/v1/sample", s.route(http.MethodPost, s.sample))
	s.mux.Handle("/v1/inpaint", s.route(http.MethodPost, s.inpaint))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("no endpoint %s; try GET / (the page), GET /healthz, GET /v1/models, GET /v1/model, POST /v1/sample or POST /v1/inpaint", r.URL.Path)})
	})
	return s
}

// startDraining makes the server answer new requests with 503; those already in progress go on.
func (s *server) startDraining() { s.draining.Store(true) }

// drain refuses new requests and waits for the handlers in progress to return.
func (s *server) drain() {
	s.startDraining()
	<-s.inflight.close()
}

// ServeHTTP runs the middleware (access log, panic recovery, in-flight tracking, refusal while
// draining) around the routes.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	start := time.Now()
	defer func() { s.logRequest(rec, r, start) }()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !rec.wrote {
				writeError(rec, &apiError{status: http.StatusInternalServerError, msg: "internal error"})
			}
		}
	}()
	if !s.inflight.add() {
		writeError(rec, shuttingDown())
		return
	}
	defer s.inflight.done()
	if s.draining.Load() {
		if r.URL.Path == "/healthz" {
			writeJSON(rec, http.StatusServiceUnavailable, map[string]string{"status": "shutting down", "model": s.models[0].name})
			return
		}
		writeError(rec, shuttingDown())
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// logRequest writes the access log line of a request.
func (s *server) logRequest(rec *recorder, r *http.Request, start time.Time) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status,
		"duration", time.Since(start).Round(10 * time.Microsecond), "bytes", rec.bytes, "remote", r.RemoteAddr}
	if rec.err != "" {
		attrs = append(attrs, "error", rec.err)
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, "request", attrs...)
}

// handlerFunc is a route's handler: it writes a successful answer, or returns the error to
// answer with (an *apiError, or any error for a 500).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route serves h for method only (GET routes also take HEAD), answering 405 with an Allow
// header otherwise, and writes the error h returns.
func (s *server) route(method string, h handlerFunc) http.Handler {
	allow := method
	if method == http.MethodGet {
		allow = "GET, HEAD"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", allow)
			writeError(w, &apiError{status: http.StatusMethodNotAllowed, msg: fmt.Sprintf("%s %s: method not allowed; use %s", r.Method, r.URL.Path, allow)})
			return
		}
		if err := h(w, r); err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = &apiError{status: http.StatusInternalServerError, msg: err.Error()}
			}
			writeError(w, ae)
		}
	})
}

// healthz answers 200 {"status":"ok","model":...}, naming the default model (ServeHTTP
// answers 503 while draining).
func (s *server) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "model": s.models[0].name})
	return nil
}

// modelList is the answer of GET /v1/models.
type modelList struct {
	Default string   `json:"default"` // the model of requests that name none (--model)
	Models  []string `json:"models"`  // every model served, the default first
}

// listModels answers the names of the models served.
func (s *server) listModels(w http.ResponseWriter, _ *http.Request) error {
	l := modelList{Default: s.models[0].name}
	for _, m := range s.models {
		l.Models = append(l.Models, m.name)
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// manifest answers the manifest of the model named by the query parameter model, by default
// the default model's.
func (s *server) manifest(w http.ResponseWriter, r *http.Request) error {
	m, err := s.lookup("model", r.URL.Query().Get("model"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m.m)
	return nil
}

// sample serves POST /v1/sample.
func (s *server) sample(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.lim.Timeout)
	defer cancel()
	req, err := s.readSampleRequest(w, r)
	if err != nil {
		return err
	}
	sampler, err := req.model.get()
	if err != nil {
		return err
	}
	x, err := s.withSlot(ctx, func() ([]float32, error) { return sampler.Sample(ctx, req.n, req.opts) })
	if err != nil {
		return err
	}
	if req.format == formatJSON {
		writeBody(w, "application/json", samplesJSON(req.model, x, req.n, req.opts.Seed))
		return nil
	}
	pic, err := picture(req.model.m, x, req.n)
	if err != nil {
		return err
	}
	return writePNG(w, pic)
}

// picture draws n samples of a model with manifest m: a grid of images, or a scatter picture
// of 2-D points.
func picture(m bundle.Manifest, x []float32, n int) (image.Image, error) {
	if m.Kind == bundle.KindImage {
		cols := int(math.Ceil(math.Sqrt(float64(n))))
		return plot.ImageGrid(x, n, m.Shape[0], m.Shape[1], m.Shape[2], cols, gridScale)
	}
	margin := (m.Range[1] - m.Range[0]) / 32
	return plot.Scatter([][]float32{x}, m.Range[0]-margin, m.Range[1]+margin, scatterSize)
}

// samplesJSON encodes n samples of sm as {"model","seed","shape":[n,...],"samples":[[...],...]},
// one flat array of values per sample in float32's shortest form, null for a non-finite value.
func samplesJSON(sm *servedModel, x []float32, n int, seed uint64) []byte {
	dim := len(x) / n
	b := make([]byte, 0, 64+len(x)*12)
	model, _ := json.Marshal(sm.name)
	b = append(b, `{"model":`...)
	b = append(b, model...)
	b = append(b, `,"seed":`...)
	b = strconv.AppendUint(b, seed, 10)
	b = append(b, `,"shape":[`...)
	b = strconv.AppendInt(b, int64(n), 10)
	for _, d := range sm.m.Shape {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(d), 10)
	}
	b = append(b, `],"samples":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range x[i*dim : (i+1)*dim] {
			if j > 0 {
				b = append(b, ',')
			}
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				b = append(b, "null"...)
			} else {
				b = strconv.AppendFloat(b, f, 'g', -1, 32)
			}
		}
		b = append(b, ']')
	}
	return append(b, "]}\n"...)
}

// The response headers of /v1/inpaint: classHeader says which class (a label of the manifest)
// guided the completion, given or inferred, and is absent for the null class; probHeader,
// only when the class was inferred, gives its probability under the class posterior.
const (
	classHeader = "X-Cdrl-Class"
	probHeader  = "X-Cdrl-Class-Probability"
)

// inpaint serves POST /v1/inpaint.
func (s *server) inpaint(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.lim.Timeout)
	defer cancel()
	req, err := s.readInpaintRequest(w, r)
	if err != nil {
		return err
	}
	sampler, err := req.model.get()
	if err != nil {
		return err
	}
	var inferred infer.InferredClass
	req.opts.Inferred = &inferred
	x, err := s.withSlot(ctx, func() ([]float32, error) {
		return sampler.Inpaint(ctx, req.image, req.known, 1, req.opts)
	})
	if err != nil {
		return err
	}
	m := req.model.m
	class := req.opts.Class
	if class == infer.AutoClass {
		class = inferred.Class
		w.Header().Set(probHeader, strconv.FormatFloat(inferred.Probability, 'g', 4, 64))
	}
	if class != bundle.NullClass {
		w.Header().Set(classHeader, m.Classes[class-1])
	}
	c, h, wd := m.Shape[0], m.Shape[1], m.Shape[2]
	pic, err := infer.ImageFromSample(x, c, h, wd)
	if err != nil {
		return err
	}
	return writePNG(w, pic)
}

// withSlot runs sample once a sampling slot is free: at once when one is, after waiting in the
// queue when it has room, or not at all (503) when the queue is full. Errors of a done ctx,
// while waiting or sampling, become the answer that fits the context's cause.
func (s *server) withSlot(ctx context.Context, sample func() ([]float32, error)) ([]float32, error) {
	select {
	case s.slots <- struct{}{}:
	default:
		if s.waiting.Add(1) > int64(s.lim.MaxQueue) {
			s.waiting.Add(-1)
			return nil, &apiError{status: http.StatusServiceUnavailable, retry: true,
				msg: fmt.Sprintf("busy: %d samplings running and %d requests waiting (--max-concurrent, --max-queue); retry later", s.lim.MaxConcurrent, s.lim.MaxQueue)}
		}
		select {
		case s.slots <- struct{}{}:
			s.waiting.Add(-1)
		case <-ctx.Done():
			s.waiting.Add(-1)
			return nil, s.contextError(ctx, "waiting for a sampling slot")
		}
	}
	defer func() { <-s.slots }()
	if s.onSampling != nil {
		s.onSampling()
	}
	x, err := sample()
	if err != nil {
		if ctx.Err() != nil {
			return nil, s.contextError(ctx, "sampling")
		}
		if errors.Is(err, ort.ErrClosed) {
			return nil, shuttingDown()
		}
		var nf *infer.NonFiniteError
		if errors.As(err, &nf) {
			e := &apiError{status: http.StatusUnprocessableEntity, msg: nf.Error()}
			if nf.Guidance != 0 {
				e.field = "guidance"
			}
			return nil, e
		}
		return nil, err
	}
	return x, nil
}

// contextError is the answer for a request whose context is done while it was doing what:
// 504 past its deadline, 503 when the server cancelled it at shutdown, 499 (logged only) when
// the client hung up.
func (s *server) contextError(ctx context.Context, what string) *apiError {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, context.DeadlineExceeded):
		return &apiError{status: http.StatusGatewayTimeout, msg: fmt.Sprintf("deadline exceeded while %s: the request took longer than the server's --timeout of %s", what, s.lim.Timeout)}
	case errors.Is(cause, errShutdown):
		return shuttingDown()
	}
	return &apiError{status: statusClientClosed, msg: fmt.Sprintf("the client closed the request while %s", what)}
}

// shuttingDown is the answer to a request refused or cancelled because the server is stopping.
func shuttingDown() *apiError {
	return &apiError{status: http.StatusServiceUnavailable, retry: true, msg: "the server is shutting down; retry on another instance or later"}
}

// apiError is an error answer: its status, its message and, for a bad request, the request
// field at fault.
type apiError struct {
	status int
	field  string // "" when no one field is at fault
	msg    string
	retry  bool // add Retry-After (503)
}

// Error returns the message.
func (e *apiError) Error() string { return e.msg }

// badField returns a 400 answer naming field; the message starts with the field's name.
func badField(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, field: field, msg: field + ": " + fmt.Sprintf(format, args...)}
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// writeError writes e as a JSON error answer and tells the access log its message.
func writeError(w http.ResponseWriter, e *apiError) {
	if rec, ok := w.(*recorder); ok {
		rec.err = e.msg
	}
	if e.retry {
		w.Header().Set("Retry-After", retryAfter)
	}
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, e.status, errorBody{Error: e.msg, Field: e.field})
}

// writeJSON writes v as a JSON answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: "encoding the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writePNG encodes img and writes it as an image/png answer.
func writePNG(w http.ResponseWriter, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encoding the PNG answer: %w", err)
	}
	writeBody(w, "image/png", buf.Bytes())
	return nil
}

// writeBody writes a 200 answer of the given content type.
func writeBody(w http.ResponseWriter, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
