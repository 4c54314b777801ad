// Command cdrl-load measures a running cdrl-serve under load and prints a Markdown table.
//
// For each concurrency level of --clients it keeps that many clients sending the same request
// back to back (each sends the next as soon as it has read the whole answer to the last): POST
// /v1/sample with the JSON --body, or POST /v1/inpaint with --image and --mask (by default a
// built-in 28x28 digit and a mask that regenerates its lower half). A level lasts --duration or
// --requests, whichever ends first, after --warmup requests that are not counted; the requests
// still in flight when it ends are waited for and counted. Each level is one row of the table:
//
//   - requests: the requests sent and finished, errors included;
//   - errors: those without a 200 answer (another status, or no answer at all); the first
//     error's body is printed to stderr once per level;
//   - requests/s: the 200 answers per second of the level's wall time;
//   - p50 ms, p99 ms: the median and 99th percentile of the latency of the 200 answers, from
//     sending the request to reading the whole answer, time queued in the server included;
//   - server peak RSS MiB (with --pid only): the server's peak resident memory (VmHWM of
//     /proc/PID/status) during the level, which cdrl-load resets after the level's warmup by
//     writing 5 to /proc/PID/clear_refs (Linux; a process of the same user). Where the reset
//     fails the value is marked with * and is the peak since the server started.
//
// With --slow-clients N, N more connections stay open alongside each level's clients: each sends
// the headers of the same request with a Content-Length, then its body one byte every
// --slow-interval (2 s), and connects again when the server answers or closes it (a slow-body
// attack, bounded by the level). The table then says how many were open at the level's end and
// how many the server ended, and with --pid the server's RSS and open file count (/proc/PID/fd)
// before the slow clients connected and at the level's end. --stop-server sends SIGTERM to --pid
// after the last level, the slow clients still connected, and notes how long the server took to
// exit (at most stopWait is waited for).
//
// cdrl-load is meant for a server of your own, typically on the loopback interface: it sends as
// many requests as the server answers. It waits up to 30 s for GET /healthz to answer 200, so
// it can start right after the server. The whole run stops when --budget is spent; Ctrl-C
// stops it at once. Either way the table holds what was measured, and the level cut short is
// noted under it. The exit code is 1 when every request failed (130 after Ctrl-C).
//
// Example:
//
//	cdrl-serve --model mnist &
//	cdrl-load --request sample --clients 1,8,64 --pid $!
//	cdrl-load --clients 8 --slow-clients 32 --duration 30s --pid $! --stop-server
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

func main() { os.Exit(cli.Main(newApp(), os.Args)) }

// Flag categories of --help.
const (
	categoryServer  = "server"
	categoryRequest = "request"
	categoryLoad    = "load"
)

// Flag defaults and bounds.
const (
	defaultURL      = "http://127.0.0.1:8080"
	defaultBody     = `{"n":1}`
	defaultClients  = "1,8,64"
	defaultDuration = 20 * time.Second
	defaultWarmup   = 4
	defaultTimeout  = 2 * time.Minute
	defaultBudget   = 10 * time.Minute
	// defaultSlowInterval is the pause between two bytes of a slow client's body.
	defaultSlowInterval = 2 * time.Second
	// maxClients bounds every level of --clients, and --slow-clients.
	maxClients = 1024
	// stopWait bounds the wait for the server to exit after --stop-server's SIGTERM: more than
	// cdrl-serve's default --grace of 30 s and its request --timeout of 30 s together.
	stopWait = 2 * time.Minute
)

// The flags of cdrl-load, declared once.
var (
	urlFlag = &ucli.StringFlag{
		Name: "url", Value: defaultURL, Category: categoryServer,
		Usage: "base `URL` of the cdrl-serve to load (http or https; meant for a server of your own)",
	}
	pidFlag = &ucli.IntFlag{
		Name: "pid", Category: categoryServer, DefaultText: "none",
		Usage: "process id `PID` of the server on this machine: adds its peak RSS per level to the table (Linux)",
	}
	stopServerFlag = &ucli.BoolFlag{
		Name: "stop-server", Category: categoryServer,
		Usage: "after the last level, send SIGTERM to --pid (the slow clients still connected) and note how long the server takes to exit",
	}
	requestFlag = &ucli.StringFlag{
		Name: "request", Value: kindSample, Category: categoryRequest,
		Usage: "the request `KIND`: sample (POST /v1/sample with --body) or inpaint (POST /v1/inpaint with --image, --mask, --class)",
	}
	bodyFlag = &ucli.StringFlag{
		Name: "body", Category: categoryRequest, DefaultText: defaultBody,
		Usage: "`JSON` body of the sample request, e.g. '{\"n\":1,\"class\":\"3\"}' (fields n, seed, class, guidance, steps, format)",
	}
	imageFlag = &ucli.StringFlag{
		Name: "image", Category: categoryRequest, DefaultText: "a built-in 28x28 digit",
		Usage: "PNG or JPEG `FILE` to inpaint, of the model's size",
	}
	maskFlag = &ucli.StringFlag{
		Name: "mask", Category: categoryRequest, DefaultText: "a built-in 28x28 mask of the lower half",
		Usage: "PNG or JPEG mask `FILE` of the inpainting (white = generate, black = keep)",
	}
	classFlag = &ucli.StringFlag{
		Name: "class", Category: categoryRequest, DefaultText: "the server's: inferred from the kept pixels",
		Usage: "class `LABEL` of the inpainting (none: the null class)",
	}
	clientsFlag = &ucli.StringFlag{
		Name: "clients", Value: defaultClients, Category: categoryLoad,
		Usage: fmt.Sprintf("comma-separated `LIST` of concurrency levels, 1..%d clients each; one row per level", maxClients),
	}
	durationFlag = &ucli.DurationFlag{
		Name: "duration", Value: defaultDuration, Category: categoryLoad,
		Usage: "how long `D` each level sends requests (0: until --requests)",
	}
	requestsFlag = &ucli.IntFlag{
		Name: "requests", Category: categoryLoad,
		Usage: "most requests `N` of each level, warmup excluded (0: no cap, until --duration)",
	}
	warmupFlag = &ucli.IntFlag{
		Name: "warmup", Value: defaultWarmup, Category: categoryLoad,
		Usage: "requests `N` sent before each level and not counted",
	}
	timeoutFlag = &ucli.DurationFlag{
		Name: "timeout", Value: defaultTimeout, Category: categoryLoad,
		Usage: "deadline `D` of one request; past it the request counts as an error",
	}
	slowClientsFlag = &ucli.IntFlag{
		Name: "slow-clients", Category: categoryLoad,
		Usage: fmt.Sprintf("connections `N` (0..%d) that stay open alongside each level, each sending the request's headers and then its body one byte every --slow-interval (http:// only)", maxClients),
	}
	slowIntervalFlag = &ucli.DurationFlag{
		Name: "slow-interval", Value: defaultSlowInterval, Category: categoryLoad,
		Usage: "pause `D` between two bytes of a slow client's body",
	}
	budgetFlag = &ucli.DurationFlag{
		Name: "budget", Value: defaultBudget, Category: categoryLoad,
		Usage: "most time `D` the whole run may take, warmups included; when it is spent the run stops and prints what it measured",
	}
)

func newApp() *ucli.App {
	return &ucli.App{
		Name:            "cdrl-load",
		Usage:           "measure a running cdrl-serve under load and print a Markdown table",
		UsageText:       "cdrl-load [--url URL] [--request sample|inpaint] [--clients 1,8,64] [options]",
		HideHelpCommand: true,
		Description: `For each level of --clients, that many clients send the same request back to back for
--duration (or --requests), after --warmup requests; one table row per level: requests,
errors (any answer but 200), 200 answers per second, p50 and p99 latency, and with --pid
the server's peak RSS during the level. --slow-clients adds connections that send their body
one byte every --slow-interval, and columns for them and (with --pid) the server's RSS and open
files before and after; --stop-server times the server's exit after SIGTERM. Progress goes to
stderr, the table to stdout.

Examples:
   cdrl-serve --model mnist &
   cdrl-load --request sample --clients 1,8,64 --pid $!
   cdrl-load --request sample --body '{"n":1,"class":"3"}' --clients 1,8 --duration 10s
   cdrl-load --request inpaint --image digit.png --mask lower.png --clients 4 --requests 100
   cdrl-load --clients 8 --slow-clients 32 --duration 30s --pid $! --stop-server`,
		Flags: []ucli.Flag{urlFlag, pidFlag, stopServerFlag, requestFlag, bodyFlag, imageFlag, maskFlag, classFlag,
			clientsFlag, durationFlag, requestsFlag, warmupFlag, timeoutFlag, slowClientsFlag, slowIntervalFlag, budgetFlag},
		Action: func(c *ucli.Context) error {
			return run(c.Context, Options{
				URL: c.String(urlFlag.Name), PID: c.Int(pidFlag.Name),
				Request: c.String(requestFlag.Name), Body: c.String(bodyFlag.Name),
				Image: c.String(imageFlag.Name), Mask: c.String(maskFlag.Name), Class: c.String(classFlag.Name),
				Clients: c.String(clientsFlag.Name), Duration: c.Duration(durationFlag.Name),
				Requests: c.Int(requestsFlag.Name), Warmup: c.Int(warmupFlag.Name),
				Timeout: c.Duration(timeoutFlag.Name), Budget: c.Duration(budgetFlag.Name),
				Slow: c.Int(slowClientsFlag.Name), SlowInterval: c.Duration(slowIntervalFlag.Name),
				StopServer: c.Bool(stopServerFlag.Name),
			}, c.App.Writer, c.App.ErrWriter)
		},
		// Usage text is printed for flag errors only; run errors get one line.
		OnUsageError: func(c *ucli.Context, err error, _ bool) error {
			_ = ucli.ShowAppHelp(c)
			return err
		},
	}
}

// Options are the flags of cdrl-load.
type Options struct {
	// URL is --url, the server's base URL.
	URL string
	// PID is --pid, the server's process id; 0 for none.
	PID int
	// Request is --request, sample or inpaint.
	Request string
	// Body is --body, the JSON of a sample request; empty for defaultBody.
	Body string
	// Image and Mask are --image and --mask, the files of an inpainting request; empty for
	// the built-in ones.
	Image, Mask string
	// Class is --class, the class of an inpainting request; empty to leave it to the server.
	Class string
	// Clients is --clients, the comma-separated concurrency levels.
	Clients string
	// Duration and Requests are --duration and --requests, the limits of a level; 0 for none.
	Duration time.Duration
	Requests int
	// Warmup is --warmup, the uncounted requests before each level.
	Warmup int
	// Timeout is --timeout, the deadline of one request.
	Timeout time.Duration
	// Budget is --budget, the most time of the whole run.
	Budget time.Duration
	// Slow and SlowInterval are --slow-clients and --slow-interval: the slow connections kept
	// open alongside each level, and the pause between two bytes of their bodies.
	Slow         int
	SlowInterval time.Duration
	// StopServer is --stop-server: send SIGTERM to PID after the last level and time its exit.
	StopServer bool
}

// plan is what run does: the checked options and the request they make.
type plan struct {
	o       Options
	base    *url.URL // the server's base URL, without a trailing slash
	clients []int    // the concurrency levels
	req     request
}

// check validates the options, reads the inpainting files and prepares the request.
func (o Options) check() (plan, error) {
	p := plan{o: o}
	var err error
	if p.base, err = parseURL(o.URL); err != nil {
		return p, err
	}
	if p.clients, err = parseClients(o.Clients); err != nil {
		return p, err
	}
	switch {
	case o.Duration < 0:
		return p, fmt.Errorf("--duration %s: want 0 (no time limit, with --requests) or more", o.Duration)
	case o.Requests < 0:
		return p, fmt.Errorf("--requests %d: want 0 (no cap, with --duration) or more", o.Requests)
	case o.Duration == 0 && o.Requests == 0:
		return p, fmt.Errorf("--duration 0 and --requests 0: a level would never end; give either")
	case o.Warmup < 0:
		return p, fmt.Errorf("--warmup %d: want 0 or more", o.Warmup)
	case o.Timeout <= 0:
		return p, fmt.Errorf("--timeout %s: want a positive duration", o.Timeout)
	case o.Budget <= 0:
		return p, fmt.Errorf("--budget %s: want a positive duration", o.Budget)
	case o.PID < 0:
		return p, fmt.Errorf("--pid %d: want a process id > 0", o.PID)
	case o.Slow < 0 || o.Slow > maxClients:
		return p, fmt.Errorf("--slow-clients %d: want 0 (none) up to %d", o.Slow, maxClients)
	case o.Slow > 0 && o.SlowInterval <= 0:
		return p, fmt.Errorf("--slow-interval %s: want a positive duration", o.SlowInterval)
	case o.Slow > 0 && p.base.Scheme != "http":
		return p, fmt.Errorf("--slow-clients needs an http:// --url; %s is %s", p.base, p.base.Scheme)
	case o.StopServer && o.PID == 0:
		return p, fmt.Errorf("--stop-server needs --pid, the process to send SIGTERM to")
	}
	if o.PID > 0 {
		if _, err := readPeakMiB(o.PID); errors.Is(err, fs.ErrNotExist) {
			return p, fmt.Errorf("--pid %d: no such process on this machine", o.PID)
		} else if err != nil {
			return p, fmt.Errorf("--pid %d: %w", o.PID, err)
		}
	}
	switch o.Request {
	case kindSample:
		for _, f := range []struct{ flag, v string }{{imageFlag.Name, o.Image}, {maskFlag.Name, o.Mask}, {classFlag.Name, o.Class}} {
			if f.v != "" {
				return p, fmt.Errorf("--%s applies to --request inpaint only; a sample request takes its settings from --body", f.flag)
			}
		}
		body := o.Body
		if body == "" {
			body = defaultBody
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &fields); err != nil || fields == nil {
			return p, fmt.Errorf("--body %s: want a JSON object such as %s", body, defaultBody)
		}
		p.req = sampleRequest(p.base, body)
	case kindInpaint:
		if o.Body != "" {
			return p, fmt.Errorf("--body applies to --request sample only; an inpainting request takes --image, --mask and --class")
		}
		img, err := readPicture(imageFlag.Name, o.Image, builtinDigit)
		if err != nil {
			return p, err
		}
		mask, err := readPicture(maskFlag.Name, o.Mask, builtinMask)
		if err != nil {
			return p, err
		}
		if p.req, err = inpaintRequest(p.base, img, mask, o.Class); err != nil {
			return p, err
		}
	default:
		return p, fmt.Errorf("--request %q: want %s or %s", o.Request, kindSample, kindInpaint)
	}
	return p, nil
}

// parseURL checks --url: an http or https URL with a host and no query.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("--url %q: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.RawQuery != "", u.Fragment != "", u.User != nil:
		return nil, fmt.Errorf("--url %q: want the base URL of a server, http:// or https:// and a host, such as %s", s, defaultURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// parseClients parses --clients: a comma-separated list of levels in 1..maxClients.
func parseClients(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > maxClients {
			return nil, fmt.Errorf("--clients %q: %q is not a number of clients 1..%d", s, f, maxClients)
		}
		out = append(out, n)
	}
	return out, nil
}

// readPicture returns the bytes of the picture file given to --flag, or builtin() when path is
// empty; it checks that the file is a PNG or JPEG picture.
func readPicture(flag, path string, builtin func() []byte) ([]byte, error) {
	if path == "" {
		return builtin(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	if err := checkPicture(data); err != nil {
		return nil, fmt.Errorf("--%s %s: %w", flag, path, err)
	}
	return data, nil
}
