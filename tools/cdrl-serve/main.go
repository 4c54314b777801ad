// Command cdrl-serve serves trained CDRL models over HTTP, and a page to try them in a browser:
// one shared sampler per model answers sampling and inpainting requests, each under a
// deadline, with a bounded number of samplings at once.
//
// Endpoints (every error is a JSON body {"error": "...", "field": "..."} with the status that
// fits: 400 for a bad request, naming the field, 404, 405, 413 for a body over --max-body, 415
// for an inpainting body that is not multipart/form-data, 503 when saturated or shutting down,
// 504 past the deadline, 500 for a failure of the server; a request whose client hung up is
// logged as 499):
//
//	GET  /            a page to try the models in a browser (sampling, drawing, inpainting); it
//	                  uses only the endpoints below
//	GET  /healthz     200 {"status":"ok","model":NAME}; 503 {"status":"shutting down",...} while draining
//	GET  /v1/models   {"default":NAME,"models":[NAME,...]}: the models served, --model first
//	GET  /v1/model    a model's manifest (manifest.json of the bundle); ?model=NAME, else --model's
//	POST /v1/sample   JSON {"model":NAME,"n":16,"seed":1,"class":"7","guidance":1,"steps":0,"format":"json"|"png"}
//	                  -> JSON {"model","seed","shape":[n,...],"samples":[[...],...]} (one flat array
//	                  of values per sample, null for a non-finite value), or a PNG (an image grid,
//	                  or a scatter picture of 2-D points) with Content-Type image/png
//	POST /v1/inpaint  multipart/form-data: files image and mask (PNG or JPEG of the model's size;
//	                  mask white = generate, black = keep) and fields model, seed, class, guidance,
//	                  steps, resample, invert_mask -> PNG of the input's size, known pixels exact;
//	                  a conditional model infers the class from the known pixels (infer's
//	                  ClassPosterior) unless class is given (a label, or none: the null class),
//	                  header X-Cdrl-Class names the class that guided the completion and, for an
//	                  inferred class, X-Cdrl-Class-Probability its probability
//
// Models: the server serves --model and every model embedded in the binary (an embedded model
// that --model names is served once); a request's model field picks one by name (GET
// /v1/models), and without it the request goes to --model. An embedded model other than
// --model opens on its first request. All models share the limits below.
//
// Request fields: n is required (1..--max-n); seed defaults to 1, steps to 0 (the model's
// Langevin steps) and resample (inpainting) to 0, plain replacement; class is a label of a
// conditional model's manifest (absent: unconditional sampling, inferred class for
// inpainting); guidance applies with a class, inferred or given, is at most --max-guidance and
// defaults to the manifest's guidance_default (inpainting: its inpaint_guidance, when set). The same request gives the same bytes: sampling runs in chunks of 256, as
// cdrl-infer does by default.
//
// Concurrency: at most --max-concurrent samplings run at once; up to --max-queue more requests
// wait for a slot (the wait counts against their deadline), and a request finding the queue
// full gets 503 with Retry-After at once. --threads sets ONNX Runtime's threads per call; with
// several samplings at once, --threads 1 (or cores / --max-concurrent) keeps the calls from
// competing for the same cores.
//
// Deadlines and shutdown: every request runs under --timeout and its connection's context, so
// a client that hangs up stops its sampling between Langevin steps. On SIGINT or SIGTERM the
// server stops accepting, lets requests in progress (queued ones included) finish for up to
// --grace, then cancels those left (they get 503) and closes the model.
//
// Every request is logged to stderr as one line of key=value pairs: method, path, status,
// duration, bytes, remote address, and the error of a failed request.
//
// Examples:
//
//	cdrl-serve --model toy2d --addr 127.0.0.1:8080   # the page: http://127.0.0.1:8080/
//	curl -s localhost:8080/v1/sample -d '{"n":4,"seed":3}'
//	curl -s localhost:8080/v1/sample -d '{"n":1000,"format":"png"}' -o points.png
//	curl -s localhost:8080/v1/inpaint -F image=@digit.png -F mask=@mask.png -F class=3 -o filled.png
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/zoo"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

func main() { os.Exit(cli.Main(newApp(), os.Args)) }

// Flag categories of --help, beside cli.CategoryRuntime.
const (
	categoryModel  = "model"
	categoryServer = "server"
)

// Flag defaults.
const (
	defaultAddr        = "127.0.0.1:8080"
	defaultTimeout     = 30 * time.Second
	defaultGrace       = 30 * time.Second
	defaultMaxN        = 1024
	defaultMaxSteps    = 200
	defaultMaxResample = 16
	defaultMaxGuidance = 100
	defaultMaxBody     = 8 << 20
	defaultMaxQueue    = 64
	defaultMaxConns    = 256
)

// The flags of cdrl-serve, declared once.
var (
	modelFlag = &ucli.StringFlag{
		Name: "model", Value: defaultModel(), EnvVars: []string{"CDRL_MODEL"}, Category: categoryModel,
		Usage: "the model: a bundle `DIR` (e.g. runs/mnist/model) or the NAME of an embedded model (" + strings.Join(zoo.Names(), ", ") + ")",
	}
	addrFlag = &ucli.StringFlag{
		Name: "addr", Value: defaultAddr, EnvVars: []string{"CDRL_ADDR"}, Category: categoryServer,
		Usage: "`HOST:PORT` to listen on (port 0 picks a free one)",
	}
	timeoutFlag = &ucli.DurationFlag{
		Name: "timeout", Value: defaultTimeout, EnvVars: []string{"CDRL_TIMEOUT"}, Category: categoryServer,
		Usage: "deadline of one request, time queued for a slot included; past it the request gets 504",
	}
	maxNFlag = &ucli.IntFlag{
		Name: "max-n", Value: defaultMaxN, EnvVars: []string{"CDRL_MAX_N"}, Category: categoryServer,
		Usage: "most samples `N` one request may ask for",
	}
	maxStepsFlag = &ucli.IntFlag{
		Name: "max-steps", Value: defaultMaxSteps, EnvVars: []string{"CDRL_MAX_STEPS"}, Category: categoryServer,
		Usage: "most Langevin `STEPS` per level one request may ask for",
	}
	maxResampleFlag = &ucli.IntFlag{
		Name: "max-resample", Value: defaultMaxResample, EnvVars: []string{"CDRL_MAX_RESAMPLE"}, Category: categoryServer,
		Usage: "most resampling passes `R` one inpainting request may ask for",
	}
	maxGuidanceFlag = &ucli.Float64Flag{
		Name: "max-guidance", Value: defaultMaxGuidance, EnvVars: []string{"CDRL_MAX_GUIDANCE"}, Category: categoryServer,
		Usage: "largest classifier-free guidance weight `W` one request may ask for; a larger one gets 400 before any sampling (the shipped models are measured best at weights of a few units, and weights far beyond drive the networks past float32's range)",
	}
	maxBodyFlag = &ucli.Int64Flag{
		Name: "max-body", Value: defaultMaxBody, EnvVars: []string{"CDRL_MAX_BODY"}, Category: categoryServer,
		Usage: "largest request body in `BYTES`; a larger one gets 413",
	}
	maxConcurrentFlag = &ucli.IntFlag{
		Name: "max-concurrent", Value: runtime.GOMAXPROCS(0), EnvVars: []string{"CDRL_MAX_CONCURRENT"}, Category: categoryServer,
		DefaultText: "GOMAXPROCS, the number of usable cores",
		Usage:       "most samplings `N` running at once",
	}
	maxConnsFlag = &ucli.IntFlag{
		Name: "max-connections", Value: defaultMaxConns, EnvVars: []string{"CDRL_MAX_CONNECTIONS"}, Category: categoryServer,
		Usage: "most open client connections `N`; more wait to be accepted",
	}
	maxQueueFlag = &ucli.IntFlag{
		Name: "max-queue", Value: defaultMaxQueue, EnvVars: []string{"CDRL_MAX_QUEUE"}, Category: categoryServer,
		Usage: "most requests `N` waiting for a sampling slot; when it is full a request gets 503 with Retry-After (0: no waiting)",
	}
	graceFlag = &ucli.DurationFlag{
		Name: "grace", Value: defaultGrace, EnvVars: []string{"CDRL_GRACE"}, Category: categoryServer,
		Usage: "on SIGINT/SIGTERM, how long requests in progress may take to finish before they are cancelled",
	}
)

// threadsFlag is cdrl-serve's --threads: one ONNX Runtime thread per sampling by default, since
// --max-concurrent samplings (one per core) run side by side. With one thread per core each,
// the samplings competed for the cores: guided mnist n = 1 from 8 clients served 8.6 requests/s
// with 2 threads per sampling and 18.3 with 1 (2 cores); inpainting 2.1 and 3.7.
var threadsFlag = func() *ucli.IntFlag {
	f := *cli.ThreadsFlag
	f.Value = 1
	f.Usage = "threads per operator of one sampling (0 = one per core); --max-concurrent samplings run side by side"
	return &f
}()

// defaultModel is --model's default: the embedded mnist model when this build has it, else
// toy2d.
func defaultModel() string {
	if slices.Contains(zoo.Names(), "mnist") {
		return "mnist"
	}
	return "toy2d"
}

func newApp() *ucli.App {
	return &ucli.App{
		Name:            "cdrl-serve",
		Usage:           "serve a trained CDRL model over HTTP: sampling and inpainting",
		UsageText:       "cdrl-serve [--model DIR|NAME] [--addr HOST:PORT] [options]",
		HideHelpCommand: true,
		Description: `Endpoints: GET / (a page to try the models in a browser), GET /healthz, GET /v1/models
(the models served: --model and the embedded ones), GET /v1/model[?model=NAME] (a manifest),
POST /v1/sample (JSON request with an optional model; JSON or PNG answer), POST /v1/inpaint
(multipart: model, image, mask, seed, class, guidance, steps, resample, invert_mask; PNG answer;
without class a conditional model infers it from the kept pixels, class none is the null class,
and the X-Cdrl-Class header names the class used). Errors are JSON {"error": "..."}. At most --max-concurrent samplings
run at once and --max-queue requests wait; every request runs under --timeout. SIGINT or
SIGTERM drains the server for up to --grace.

Examples:
   cdrl-serve --model toy2d                 # then open http://127.0.0.1:8080/
   cdrl-serve --model runs/mnist/model --addr :8080 --threads 1 --max-concurrent 8
   curl -s localhost:8080/v1/sample -d '{"n":4,"seed":3}'
   curl -s localhost:8080/v1/sample -d '{"n":1000,"format":"png"}' -o points.png
   curl -s localhost:8080/v1/inpaint -F image=@digit.png -F mask=@mask.png -F class=3 -o filled.png
   curl -s -D - localhost:8080/v1/inpaint -F image=@digit.png -F mask=@lower.png -o filled.png`,
		Flags: append([]ucli.Flag{modelFlag, addrFlag, timeoutFlag, maxNFlag, maxStepsFlag, maxResampleFlag, maxGuidanceFlag, maxBodyFlag, maxConcurrentFlag, maxQueueFlag, maxConnsFlag, graceFlag},
			cli.DeviceFlag, threadsFlag, cli.ORTLibFlag),
		Action: func(c *ucli.Context) error {
			return run(c.Context, Options{
				Model: c.String(modelFlag.Name), Addr: c.String(addrFlag.Name),
				Timeout: c.Duration(timeoutFlag.Name), Grace: c.Duration(graceFlag.Name),
				MaxN: c.Int(maxNFlag.Name), MaxSteps: c.Int(maxStepsFlag.Name), MaxResample: c.Int(maxResampleFlag.Name),
				MaxGuidance:   c.Float64(maxGuidanceFlag.Name),
				MaxBody:       c.Int64(maxBodyFlag.Name),
				MaxConcurrent: c.Int(maxConcurrentFlag.Name), MaxQueue: c.Int(maxQueueFlag.Name),
				MaxConnections: c.Int(maxConnsFlag.Name),
				Runtime:        cli.RuntimeFrom(c), Log: c.App.ErrWriter,
			})
		},
		// Usage text is printed for flag errors only; run errors get one line and a hint.
		OnUsageError: func(c *ucli.Context, err error, _ bool) error {
			_ = ucli.ShowAppHelp(c)
			return err
		},
	}
}

// Options configure run: the flags, and for tests a listener and a logging destination.
type Options struct {
	// Model is --model: a bundle folder or an embedded model's name.
	Model string
	// Addr is --addr, the address to listen on when Listener is nil.
	Addr string
	// Listener, when not nil, is used instead of listening on Addr; run closes it.
	Listener net.Listener
	// Timeout is --timeout, the deadline of one request.
	Timeout time.Duration
	// Grace is --grace, how long requests in progress may run on after shutdown begins.
	Grace time.Duration
	// MaxN, MaxSteps, MaxResample, MaxGuidance, MaxBody, MaxConcurrent and MaxQueue are the
	// limits of the flags of those names.
	MaxN          int
	MaxSteps      int
	MaxResample   int
	MaxGuidance   float64
	MaxBody       int64
	MaxConcurrent int
	MaxQueue      int
	// MaxConnections is --max-connections, the most open client connections.
	MaxConnections int
	// Runtime holds the ONNX Runtime flags.
	Runtime cli.Runtime
	// Log receives the access log and the server's own lines; nil means os.Stderr.
	Log io.Writer

	// onSampling, when not nil, is called when a request starts sampling (tests).
	onSampling func()
}

// check validates the options.
func (o Options) check() error {
	switch {
	case o.Timeout <= 0:
		return fmt.Errorf("--timeout %s: want a positive duration", o.Timeout)
	case o.Grace < 0:
		return fmt.Errorf("--grace %s: want a duration >= 0", o.Grace)
	case o.MaxN < 1:
		return fmt.Errorf("--max-n %d: want at least 1", o.MaxN)
	case o.MaxSteps < 1:
		return fmt.Errorf("--max-steps %d: want at least 1", o.MaxSteps)
	case o.MaxResample < 0:
		return fmt.Errorf("--max-resample %d: want 0 or more", o.MaxResample)
	case !(o.MaxGuidance >= 0) || math.IsInf(o.MaxGuidance, 0):
		return fmt.Errorf("--max-guidance %g: want a finite weight >= 0", o.MaxGuidance)
	case o.MaxBody < 1:
		return fmt.Errorf("--max-body %d: want at least 1 byte", o.MaxBody)
	case o.MaxConcurrent < 1:
		return fmt.Errorf("--max-concurrent %d: want at least 1", o.MaxConcurrent)
	case o.MaxQueue < 0:
		return fmt.Errorf("--max-queue %d: want 0 (no waiting) or more", o.MaxQueue)
	case o.MaxConnections < 1:
		return fmt.Errorf("--max-connections %d: want at least 1", o.MaxConnections)
	}
	return nil
}

// cancelDelay is how long the requests cancelled at the end of the grace period have to answer
// before their connections are closed.
const cancelDelay = 5 * time.Second

// writeMargin is the time an answer may take to write after the request's --timeout: the
// server's write deadline is --timeout plus this, so a client that does not read cannot hold
// a connection for ever.
const writeMargin = 10 * time.Second

// errShutdown is the cause of the contexts of requests cancelled when the grace period ends.
var errShutdown = errors.New("the server is shutting down")

// run serves the model until ctx is done, then shuts down gracefully: it stops accepting,
// lets requests in progress finish for up to o.Grace, cancels the rest, waits for their
// handlers and closes the sampler. It returns nil after a shutdown that ctx asked for.
func run(ctx context.Context, o Options) (err error) {
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if o.Listener != nil {
		defer o.Listener.Close() // Serve closes it too; this covers the early returns
	}
	if err := o.check(); err != nil {
		return err
	}
	b, err := cli.ReadModel("--model", o.Model)
	if err != nil {
		return err
	}
	cfg, err := o.Runtime.Init()
	if err != nil {
		return err
	}
	sampler, err := infer.NewSampler(b, cfg)
	if err != nil {
		return fmt.Errorf("--model %s: %w", o.Model, err)
	}
	// The --model first, then the embedded models it does not replace, opened on first use.
	models := []*servedModel{openedModel(o.Model, sampler)}
	defer func() {
		if cerr := closeModels(models); err == nil && cerr != nil {
			err = cerr
		}
	}()
	for _, name := range zoo.Names() {
		if name == o.Model {
			continue
		}
		zb, err := zoo.Open(name)
		if err != nil {
			return err
		}
		models = append(models, lazyModel(name, zb, cfg))
	}
	ln := o.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", o.Addr); err != nil {
			return fmt.Errorf("--addr: %w", err)
		}
	}
	ln = limitConnections(ln, o.MaxConnections)
	logger := slog.New(slog.NewTextHandler(o.Log, nil))
	srv := newServer(models, limits{
		Timeout: o.Timeout, MaxN: o.MaxN, MaxSteps: o.MaxSteps, MaxResample: o.MaxResample, MaxGuidance: o.MaxGuidance, MaxBody: o.MaxBody, MaxConcurrent: o.MaxConcurrent, MaxQueue: o.MaxQueue,
	}, logger)
	srv.onSampling = o.onSampling

	// Requests derive their contexts from base, which the end of the grace period cancels.
	base, cancelBase := context.WithCancelCause(context.Background())
	defer cancelBase(nil)
	hs := &http.Server{
		Handler:           srv,
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: 10 * time.Second,
		// The request deadline covers reading the body too: a client that sends it slowly
		// gets 408 at --timeout instead of holding a connection (and shutdown) open.
		ReadTimeout:  o.Timeout,
		WriteTimeout: o.Timeout + writeMargin,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	m := sampler.Manifest()
	logger.Info("serving", "addr", ln.Addr().String(), "model", o.Model, "kind", m.Kind, "shape", fmt.Sprint(m.Shape),
		"models", len(models), "max_concurrent", o.MaxConcurrent, "max_queue", o.MaxQueue, "timeout", o.Timeout)

	select {
	case err := <-served:
		cancelBase(err)
		hs.Close()
		srv.drain()
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", o.Grace, "in_flight", srv.inflight.count())
	srv.startDraining()
	graceCtx, cancelGrace := context.WithTimeout(context.Background(), o.Grace)
	defer cancelGrace()
	if err := hs.Shutdown(graceCtx); errors.Is(err, context.DeadlineExceeded) {
		// The samplings left stop at their next Langevin step and answer 503; connections
		// still busy after cancelDelay (a client that does not read) are closed.
		logger.Warn("grace period over; cancelling the requests left", "in_flight", srv.inflight.count())
		cancelBase(errShutdown)
		answerCtx, cancelAnswer := context.WithTimeout(context.Background(), cancelDelay)
		defer cancelAnswer()
		if err := hs.Shutdown(answerCtx); errors.Is(err, context.DeadlineExceeded) {
			logger.Warn("closing the connections left", "in_flight", srv.inflight.count())
			hs.Close()
		}
	}
	srv.drain()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	logger.Info("stopped")
	return nil
}
