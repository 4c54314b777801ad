package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/models/zoo"
	"github.com/cdrl-go/cdrl/train/traintest"
)

// A server of several models lists them, answers each one's manifest, and samples and inpaints
// the one a request names (the first without a name); an unknown name is a 400 naming the field.
func TestSeveralModels(t *testing.T) {
	digits := bundles.Digits(t)
	ts := httptest.NewServer(newServer(serving(t, "toy2d", digits), testLimits(), slog.New(slog.DiscardHandler)))
	defer ts.Close()
	base := ts.URL

	var list modelList
	if r := get(t, base+"/v1/models"); r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
		t.Fatalf("models: status %d, body %s", r.status, r.body)
	}
	if want := (modelList{Default: "toy2d", Models: []string{"toy2d", digits}}); !reflect.DeepEqual(list, want) {
		t.Errorf("models: got %+v, want %+v", list, want)
	}
	for _, c := range []struct{ query, model string }{{"", "toy2d"}, {"?model=toy2d", "toy2d"}, {"?model=" + url.QueryEscape(digits), digits}} {
		var m bundle.Manifest
		if r := get(t, base+"/v1/model"+c.query); r.status != http.StatusOK || json.Unmarshal(r.body, &m) != nil {
			t.Fatalf("model%s: status %d, body %.200s", c.query, r.status, r.body)
		}
		if want := sharedSampler(t, c.model).Manifest(); !reflect.DeepEqual(m, want) {
			t.Errorf("model%s: got the manifest of kind %s %v, want %s's", c.query, m.Kind, m.Shape, c.model)
		}
	}
	e := errorOf(t, get(t, base+"/v1/model?model=cifar"), http.StatusBadRequest)
	if e.Field != "model" || !strings.Contains(e.Error, `"toy2d"`) {
		t.Errorf("unknown model: error %q on field %q, want field model and the models listed", e.Error, e.Field)
	}

	a := decodeSamples(t, postJSON(t, base, `{"n": 2, "steps": 1}`))
	if a.Model != "toy2d" || !slices.Equal(a.Shape, []int{2, 2}) {
		t.Errorf("no model: got model %q shape %v, want toy2d [2 2]", a.Model, a.Shape)
	}
	body, _ := json.Marshal(map[string]any{"model": digits, "n": 2, "steps": 1, "class": "7"})
	a = decodeSamples(t, postJSON(t, base, string(body)))
	if a.Model != digits || !slices.Equal(a.Shape, []int{2, 1, 28, 28}) {
		t.Errorf("model %s: got model %q shape %v, want [2 1 28 28]", digits, a.Model, a.Shape)
	}
	if e := errorOf(t, postJSON(t, base, `{"model": "cifar", "n": 1}`), http.StatusBadRequest); e.Field != "model" {
		t.Errorf("sample, unknown model: error %q on field %q, want field model", e.Error, e.Field)
	}

	img, mask := pngBytes(t, traintest.DigitImage("7", 4)), pngBytes(t, halfMask(28, 28))
	if r := postInpaint(t, base, field("model", digits), file("image", img), file("mask", mask), field("steps", "1")); r.status != http.StatusOK {
		t.Errorf("inpaint model %s: status %d, body %.200s", digits, r.status, r.body)
	}
	e = errorOf(t, postInpaint(t, base, file("image", img), file("mask", mask)), http.StatusBadRequest)
	if e.Field != "model" || !strings.Contains(e.Error, "image model") {
		t.Errorf("inpaint toy2d: error %q on field %q, want field model saying inpainting needs an image model", e.Error, e.Field)
	}
}

// A model given as a bundle opens its sampler on first use only, and once closed refuses
// requests as a server shutting down does.
func TestLazyModel(t *testing.T) {
	b, err := zoo.Open("toy2d")
	if err != nil {
		t.Fatal(err)
	}
	lazy := lazyModel("toy2d", b, session)
	s := newServer([]*servedModel{lazy}, testLimits(), slog.New(slog.DiscardHandler))
	ts := httptest.NewServer(s)
	defer ts.Close()
	if r := get(t, ts.URL+"/v1/model"); r.status != http.StatusOK || lazy.sampler != nil {
		t.Fatalf("manifest: status %d; sampler opened: %v, want not yet", r.status, lazy.sampler != nil)
	}
	decodeSamples(t, postJSON(t, ts.URL, `{"n": 1, "steps": 1}`))
	if lazy.sampler == nil {
		t.Fatal("the sampler is not open after a sampling")
	}
	if err := closeModels(s.models); err != nil {
		t.Fatal(err)
	}
	var ae *apiError
	if _, err := lazy.get(); !errors.As(err, &ae) || ae.status != http.StatusServiceUnavailable {
		t.Errorf("get after close: %v, want 503 shutting down", err)
	}
	errorOf(t, postJSON(t, ts.URL, `{"n": 1}`), http.StatusServiceUnavailable)
}

// run serves the embedded models beside --model, the --model first.
func TestRunServesEmbeddedModels(t *testing.T) {
	o := runOptions(t, &syncBuffer{})
	base := "http://" + o.Listener.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result, _ := startRun(ctx, &o)
	var list modelList
	if r := get(t, base+"/v1/models"); r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
		t.Fatalf("models: status %d, body %s", r.status, r.body)
	}
	want := append([]string{"toy2d"}, slices.DeleteFunc(zoo.Names(), func(n string) bool { return n == "toy2d" })...)
	if list.Default != "toy2d" || !slices.Equal(list.Models, want) {
		t.Errorf("models: got %+v, want default toy2d and %v", list, want)
	}
	for _, name := range want[1:] {
		var m bundle.Manifest
		r := get(t, base+"/v1/model?model="+name)
		if err := json.Unmarshal(r.body, &m); r.status != http.StatusOK || err != nil {
			t.Fatalf("model %s: status %d, body %.200s", name, r.status, r.body)
		}
		a := decodeSamples(t, postJSON(t, base, `{"model": "`+name+`", "n": 1, "steps": 1}`))
		if a.Model != name || !slices.Equal(a.Shape[1:], m.Shape) {
			t.Errorf("model %s: got model %q shape %v, want its shape %v", name, a.Model, a.Shape, m.Shape)
		}
	}
	cancel()
	if err := within(t, result, 30*time.Second, "run returning"); err != nil {
		t.Errorf("run: %v", err)
	}
}
