package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/cdrl-go/cdrl/models/zoo"
)

// GET / is the page: HTML that names the API it uses and refers to nothing outside the server.
func TestPageServed(t *testing.T) {
	_, url, _ := startServer(t, "toy2d", testLimits())
	r := get(t, url+"/")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy %q, want one that allows the server only", csp)
	}
	body := string(r.body)
	for _, want := range []string{"/v1/models", "/v1/model?model=", "/v1/sample", "/v1/inpaint", `id="digit"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, external := range []string{"http://", "https://", "//cdn"} {
		if strings.Contains(body, external) {
			t.Errorf("the page refers to %q; it must work offline", external)
		}
	}
	errorOf(t, get(t, url+"/index.html"), http.StatusNotFound)
}

// browserNames are the names a Chromium-family browser goes by on PATH.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// findBrowser returns the path of a Chromium-family browser, or skips the test saying how to
// install one.
func findBrowser(t *testing.T) string {
	for _, name := range browserNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skipf("no Chromium on PATH (looked for %s): install it with `apt-get install -y chromium` (Debian; `make setup-browser` does it) to test the page in a browser",
		strings.Join(browserNames, ", "))
	return ""
}

// browserPage drives the page in a headless browser, failing the test on an error.
type browserPage struct {
	t   *testing.T
	ctx context.Context
}

// do runs actions, failing the test with what on an error.
func (p browserPage) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates the JavaScript expression js in the page and decodes its value into out.
func (p browserPage) eval(js string, out any) {
	p.t.Helper()
	raw, err := chromedp.Run(p.ctx, chromedp.Evaluate[json.RawMessage](js))
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		p.t.Fatalf("evaluating %.80q: %v", js, err)
	}
}

// set sets the value of the field or select of the given id, as a user would.
func (p browserPage) set(id, value string) {
	p.t.Helper()
	var ok bool
	p.eval(fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event("change")); return e.value === %[2]q; })()`, id, value), &ok)
	if !ok {
		p.t.Fatalf("#%s cannot take the value %q", id, value)
	}
}

// press clicks the button of the given id and waits for its task to end; it returns the
// status the page shows then, "done" or "failed".
func (p browserPage) press(id string) string {
	p.t.Helper()
	var reset bool
	p.eval(`document.getElementById("status").dataset.state = ""; true`, &reset)
	p.do("pressing #"+id, chromedp.Click(chromedp.ID(id)))
	return p.wait("#" + id)
}

// wait waits for the page's task to end and returns its status, "done" or "failed".
func (p browserPage) wait(what string) string {
	p.t.Helper()
	state, err := chromedp.Run(p.ctx, chromedp.Poll[string](
		`["done", "failed"].includes(document.getElementById("status").dataset.state) && document.getElementById("status").dataset.state`,
		chromedp.WithPollingTimeout(45*time.Second)))
	if err != nil {
		p.t.Fatalf("waiting for %s to finish: %v", what, err)
	}
	return state
}

// pixels is a picture read back from the page: its size and, per pixel, the red channel (the
// grey level of a grey picture) and the alpha channel.
type pixels struct {
	W int   `json:"w"`
	H int   `json:"h"`
	R []int `json:"r"`
	A []int `json:"a"`
}

// readPixels is a JavaScript function that reads a canvas or a loaded <img> as pixels.
const readPixels = `(id) => {
	let c = document.getElementById(id);
	if (c instanceof HTMLImageElement) {
		const img = c;
		c = document.createElement("canvas");
		c.width = img.naturalWidth; c.height = img.naturalHeight;
		c.getContext("2d").drawImage(img, 0, 0);
	}
	const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
	return {w: c.width, h: c.height, r: Array.from(d.filter((_, i) => i % 4 === 0)), a: Array.from(d.filter((_, i) => i % 4 === 3))};
}`

// read reads the canvas or image of the given id.
func (p browserPage) read(id string) pixels {
	p.t.Helper()
	var px pixels
	p.eval(fmt.Sprintf("(%s)(%q)", readPixels, id), &px)
	if len(px.R) != px.W*px.H || px.W == 0 {
		p.t.Fatalf("#%s: %d values for %dx%d pixels", id, len(px.R), px.W, px.H)
	}
	return px
}

// text returns the text of the element of the given id.
func (p browserPage) text(id string) string {
	p.t.Helper()
	var s string
	p.eval(fmt.Sprintf("document.getElementById(%q).textContent", id), &s)
	return s
}

// stroke drags the mouse, left button down, through points given in pixels of the canvas of
// the given id.
func (p browserPage) stroke(id string, points ...[2]float64) {
	p.t.Helper()
	var box struct{ X, Y, W, H, CW, CH float64 }
	p.eval(fmt.Sprintf(`(() => { const c = document.getElementById(%q), r = c.getBoundingClientRect();
		return {X: r.left, Y: r.top, W: r.width, H: r.height, CW: c.width, CH: c.height}; })()`, id), &box)
	at := func(q [2]float64) (float64, float64) { return box.X + q[0]/box.CW*box.W, box.Y + q[1]/box.CH*box.H }
	held := func(e *input.DispatchMouseEventParams) { e.Button, e.Buttons = input.MouseButtonLeft, 1 }
	x, y := at(points[0])
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, x, y),
		chromedp.MouseEvent(chromedp.MousePressed, x, y, held, chromedp.ClickCount(1)),
	}
	for _, q := range points[1:] {
		x, y = at(q)
		actions = append(actions, chromedp.MouseEvent(chromedp.MouseMoved, x, y, func(e *input.DispatchMouseEventParams) { e.Buttons = 1 }))
	}
	actions = append(actions, chromedp.MouseEvent(chromedp.MouseReleased, x, y, held, chromedp.ClickCount(1)))
	p.do("drawing on #"+id, actions...)
}

// grey returns a grey picture of w x h levels.
func grey(w, h int, levels func(i int) int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range w * h {
		g.Pix[(i/w)*g.Stride+i%w] = uint8(levels(i))
	}
	return g
}

// TestPageInBrowser serves the embedded mnist model with run, as the command does, and uses
// the page in headless Chromium: the controls take the model's defaults from the API; Sample
// disables the buttons while it runs, then shows the grid the API draws for the same request,
// and shows the server's error for a request over a limit; a digit from the API is drawn on
// and erased with the mouse, a mask is painted over its lower rows and it is inpainted: the
// completion has the model's size, keeps every unmasked pixel and equals the API's answer to
// the same picture and mask, class and probability included; choosing toy2d gives a scatter.
// The browser console must stay free of errors (script errors, Content-Security-Policy
// violations). With CDRL_SCREENSHOT=FILE.png it saves a screenshot after the inpainting.
func TestPageInBrowser(t *testing.T) {
	exe := findBrowser(t)
	start := time.Now()
	o := runOptions(t, &syncBuffer{})
	o.Model, o.MaxN = "mnist", 64
	// A request to hold stops at the start of its sampling until the test releases it.
	hold := make(chan chan struct{}, 1)
	o.onSampling = func() {
		select {
		case release := <-hold:
			<-release
		default:
		}
	}
	url := "http://" + o.Listener.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- run(ctx, o) }()
	defer func() {
		stop()
		if err := within(t, result, 30*time.Second, "run returning"); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	if r := get(t, url+"/healthz"); r.status != http.StatusOK {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	zb, err := zoo.Open("mnist")
	if err != nil {
		t.Fatal(err)
	}
	m := zb.Manifest
	h, w := m.Shape[1], m.Shape[2]

	// The deadline stops the browser, and so every action, should the page hang.
	browserCtx, cancelBrowserCtx := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelBrowserCtx()
	alloc, cancelAlloc := chromedp.NewExecAllocator(browserCtx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1100, 900))...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	p := browserPage{t: t, ctx: bctx}
	p.do("starting the browser")
	var (
		consoleMu sync.Mutex
		console   []string
	)
	messages := chromedp.Console(bctx) // subscribed now, read below
	go func() {
		for msg, err := range messages {
			if err != nil {
				return
			}
			// The browser logs every error answer as a failed load; the page shows those.
			if (msg.Type == chromedp.ConsoleError || msg.IsException()) && msg.Source != "network" {
				consoleMu.Lock()
				console = append(console, msg.String())
				consoleMu.Unlock()
			}
		}
	}()
	defer func() {
		consoleMu.Lock()
		defer consoleMu.Unlock()
		for _, msg := range console {
			t.Errorf("browser console: %s", msg)
		}
	}()
	p.do("loading the page", chromedp.Navigate(url+"/"))
	if state := p.wait("loading the models"); state != "done" {
		t.Fatalf("loading the models: %s: %s", state, p.text("error"))
	}
	t.Logf("browser up and page loaded after %s", time.Since(start).Round(time.Millisecond))

	// The controls list the models and take the model's defaults from the API.
	var models []string
	p.eval(`Array.from(document.getElementById("model").options, o => o.value)`, &models)
	if want := append([]string{"mnist"}, slices.DeleteFunc(zoo.Names(), func(n string) bool { return n == "mnist" })...); !slices.Equal(models, want) {
		t.Errorf("the model list %v, want %v", models, want)
	}
	var fields struct {
		SG, IG  string
		Classes []string
		Hidden  bool
	}
	p.eval(`({SG: document.getElementById("s-guidance").value, IG: document.getElementById("i-guidance").value,
		Classes: Array.from(document.getElementById("s-class").options, o => o.value),
		Hidden: document.getElementById("inpaint-panel").hidden})`, &fields)
	if got, err := strconv.ParseFloat(fields.SG, 64); err != nil || got != m.GuidanceDefault {
		t.Errorf("sample guidance %q, want the manifest's guidance_default %g", fields.SG, m.GuidanceDefault)
	}
	if got, err := strconv.ParseFloat(fields.IG, 64); err != nil || got != m.InpaintGuidanceWeight() {
		t.Errorf("inpaint guidance %q, want the manifest's inpainting weight %g", fields.IG, m.InpaintGuidanceWeight())
	}
	if want := append([]string{""}, m.Classes...); !slices.Equal(fields.Classes, want) || fields.Hidden {
		t.Errorf("sample classes %q (inpainting hidden: %v), want %q and inpainting shown", fields.Classes, fields.Hidden, want)
	}

	// Sample: buttons disabled while the request runs, then the grid the API draws.
	const n, seed, steps = 4, 3, 2
	p.set("s-class", "7")
	p.set("s-n", strconv.Itoa(n))
	p.set("seed", strconv.Itoa(seed))
	p.set("steps", strconv.Itoa(steps))
	release := make(chan struct{})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	defer free()
	hold <- release
	p.do("pressing #sample", chromedp.Click(chromedp.ID("sample")))
	_, err = chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById("status").dataset.state === "working" &&
		document.getElementById("sample").disabled && document.getElementById("inpaint").disabled`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Errorf("while sampling, the page does not show that it is working with the buttons disabled: %v", err)
	}
	free()
	if state := p.wait("sampling"); state != "done" {
		t.Fatalf("sampling: %s: %s", state, p.text("error"))
	}
	body := fmt.Sprintf(`{"model": "mnist", "n": %d, "seed": %d, "steps": %d, "class": "7", "guidance": %g, "format": "png"}`, n, seed, steps, m.GuidanceDefault)
	want := decodeGrey(t, postJSON(t, url, body))
	got := p.read("grid")
	if got.W != want.Rect.Dx() || got.H != want.Rect.Dy() {
		t.Fatalf("the page's grid is %dx%d, the API's %v", got.W, got.H, want.Rect.Size())
	}
	for i, v := range got.R {
		if v != int(want.Pix[(i/got.W)*want.Stride+i%got.W]) {
			t.Fatalf("grid pixel (%d, %d) is %d on the page, %d from the API for %s", i%got.W, i/got.W, v, want.Pix[(i/got.W)*want.Stride+i%got.W], body)
		}
	}

	// A request over a limit shows the server's error.
	p.set("s-n", "65")
	if state := p.press("sample"); state != "failed" {
		t.Errorf("n 65 over --max-n 64: status %q, want failed", state)
	}
	e := errorOf(t, postJSON(t, url, `{"model": "mnist", "n": 65}`), http.StatusBadRequest)
	if shown := p.text("error"); shown != e.Error {
		t.Errorf("the page shows the error %q, want the server's %q", shown, e.Error)
	}
	p.set("s-n", strconv.Itoa(n))

	// A digit from the API; a stroke drawn across the top and erased again; the lower rows
	// masked.
	if state := p.press("use-sample"); state != "done" {
		t.Fatalf("starting from a sample: %s: %s", state, p.text("error"))
	}
	for _, brush := range []struct {
		tool  string
		level int
	}{{"draw", 255}, {"erase", 0}} {
		p.do("choosing the brush "+brush.tool, chromedp.Click(chromedp.CSS(`input[name=tool][value=`+brush.tool+`]`)))
		p.stroke("mask", [2]float64{3, 2.5}, [2]float64{12, 2.5}, [2]float64{24, 2.5})
		if got := p.read("digit").R[2*w+12]; got != brush.level {
			t.Errorf("the %s stroke across row 2 left pixel (12, 2) at %d, want %d", brush.tool, got, brush.level)
		}
	}
	p.do("choosing the mask brush", chromedp.Click(chromedp.CSS(`input[name=tool][value=mask]`)))
	for _, y := range []float64{16.5, 18.5, 20.5, 22.5, 24.5, 26.5} {
		p.stroke("mask", [2]float64{0.5, y}, [2]float64{float64(w) / 2, y}, [2]float64{float64(w) - 0.5, y})
	}
	digit, mask := p.read("digit"), p.read("mask")
	if digit.W != w || digit.H != h {
		t.Fatalf("the input canvas is %dx%d, want the model's %dx%d", digit.W, digit.H, w, h)
	}
	generate := 0
	for i, a := range mask.A {
		if a > 0 {
			generate++
		} else if i >= 16*w {
			t.Fatalf("pixel (%d, %d) under the mask strokes is not masked", i%w, i/w)
		}
	}
	if generate == 0 || generate == w*h {
		t.Fatalf("%d of %d pixels masked; the strokes should mask some", generate, w*h)
	}

	// Inpaint: the completion beside the input, the class inferred.
	if state := p.press("inpaint"); state != "done" {
		t.Fatalf("inpainting: %s: %s", state, p.text("error"))
	}
	res, info := p.read("result"), p.text("result-info")
	if res.W != w || res.H != h {
		t.Fatalf("the completion is %dx%d, want the model's %dx%d", res.W, res.H, w, h)
	}
	changed := 0
	for i := range res.R {
		switch {
		case mask.A[i] == 0 && res.R[i] != digit.R[i]:
			t.Fatalf("kept pixel (%d, %d) is %d in the completion, %d in the input", i%w, i/w, res.R[i], digit.R[i])
		case mask.A[i] > 0 && res.R[i] != digit.R[i]:
			changed++
		}
	}
	if changed == 0 {
		t.Error("the completion changed no masked pixel")
	}
	api := postInpaint(t, url, file("image", pngBytes(t, grey(w, h, func(i int) int { return digit.R[i] }))),
		file("mask", pngBytes(t, grey(w, h, func(i int) int { return min(255, 255*mask.A[i]) }))),
		field("model", "mnist"), field("seed", strconv.Itoa(seed)), field("steps", strconv.Itoa(steps)),
		field("resample", "0"), field("guidance", strconv.FormatFloat(m.InpaintGuidanceWeight(), 'g', -1, 64)))
	fromAPI := decodeGrey(t, api)
	for i, v := range res.R {
		if v != int(fromAPI.Pix[(i/w)*fromAPI.Stride+i%w]) {
			t.Fatalf("completion pixel (%d, %d) is %d on the page, %d from the API", i%w, i/w, v, fromAPI.Pix[(i/w)*fromAPI.Stride+i%w])
		}
	}
	label, prob := api.header.Get(classHeader), api.header.Get(probHeader)
	pv, err := strconv.ParseFloat(prob, 64)
	if label == "" || err != nil {
		t.Fatalf("the API names class %q with probability %q", label, prob)
	}
	if wantInfo := fmt.Sprintf("class %s (inferred, p = %.3f)", label, pv); !strings.Contains(info, wantInfo) {
		t.Errorf("the page says %q, want %q", info, wantInfo)
	}
	t.Logf("inpainted: %d pixels masked, %d changed; %s", generate, changed, info)

	if path := os.Getenv("CDRL_SCREENSHOT"); path != "" {
		shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(path, shot, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		t.Logf("wrote the screenshot %s", path)
	}

	// Another model: toy2d has no classes and no inpainting, and its samples are a scatter.
	p.set("model", "toy2d")
	if state := p.wait("loading toy2d"); state != "done" {
		t.Fatalf("loading toy2d: %s: %s", state, p.text("error"))
	}
	p.eval(`({SG: "", IG: "", Classes: Array.from(document.getElementById("s-class").options, o => o.value),
		Hidden: document.getElementById("inpaint-panel").hidden})`, &fields)
	if !slices.Equal(fields.Classes, []string{""}) || !fields.Hidden {
		t.Errorf("toy2d: classes %q, inpainting hidden %v; want only none, and hidden", fields.Classes, fields.Hidden)
	}
	p.set("s-n", "64")
	if state := p.press("sample"); state != "done" {
		t.Fatalf("sampling toy2d: %s: %s", state, p.text("error"))
	}
	scatter := p.read("scatter")
	dots := 0
	for _, v := range scatter.R {
		if v < 200 {
			dots++
		}
	}
	if dots == 0 {
		t.Error("the toy2d scatter shows no points")
	}
	t.Logf("done after %s", time.Since(start).Round(time.Millisecond))
}

// decodeGrey decodes a 200 image/png answer of a grey picture.
func decodeGrey(t *testing.T, r response) *image.Gray {
	t.Helper()
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("status %d, Content-Type %q; body %.300s", r.status, r.header.Get("Content-Type"), r.body)
	}
	img, err := png.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("the answer is a %T, want a grey picture", img)
	}
	return g
}
