package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
)

// defaultSeed is the seed of a request that gives none, as cdrl-infer's --seed.
const defaultSeed = 1

// maxFieldLen bounds a multipart form field's value (seed, class, ...) in bytes.
const maxFieldLen = 256

// maxListedClasses bounds how many labels an error message lists.
const maxListedClasses = 20

// sampleRequest is the JSON body of POST /v1/sample. Pointer fields tell absent from zero.
type sampleRequest struct {
	Model    string   `json:"model"`
	N        *int     `json:"n"`
	Seed     *uint64  `json:"seed"`
	Class    string   `json:"class"`
	Guidance *float64 `json:"guidance"`
	Steps    int      `json:"steps"`
	Format   string   `json:"format"`
}

// sampleFields lists the fields of sampleRequest, for errors.
const sampleFields = "model, n, seed, class, guidance, steps, format"

// sampleJob is a checked /v1/sample request.
type sampleJob struct {
	model  *servedModel
	n      int
	opts   infer.SampleOptions
	format string
}

// readSampleRequest reads and checks the body of POST /v1/sample.
func (s *server) readSampleRequest(w http.ResponseWriter, r *http.Request) (sampleJob, error) {
	if err := s.checkLength(r); err != nil {
		return sampleJob{}, err
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.lim.MaxBody))
	dec.DisallowUnknownFields()
	var in sampleRequest
	if err := dec.Decode(&in); err != nil {
		return sampleJob{}, s.jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return sampleJob{}, s.jsonError(err)
		}
		return sampleJob{}, badField("body", "unexpected data after the JSON object")
	}

	job := sampleJob{format: in.Format}
	var err error
	switch {
	case in.N == nil:
		return job, badField("n", "missing; want the number of samples, 1..%d", s.lim.MaxN)
	case *in.N < 1 || *in.N > s.lim.MaxN:
		return job, badField("n", "%d is outside 1..%d (the server's --max-n)", *in.N, s.lim.MaxN)
	}
	job.n = *in.N
	if job.model, err = s.lookup("model", in.Model); err != nil {
		return job, err
	}
	m := job.model.m
	switch in.Format {
	case "", formatJSON:
		job.format = formatJSON
	case formatPNG:
		if m.Kind == bundle.KindPoints && m.Shape[0] != 2 {
			return job, badField("format", "a PNG shows 2-D points; this model's have %d coordinates (ask for json)", m.Shape[0])
		}
	default:
		return job, badField("format", "%q is not a format; want %q or %q", in.Format, formatJSON, formatPNG)
	}
	seed := uint64(defaultSeed)
	if in.Seed != nil {
		seed = *in.Seed
	}
	job.opts, err = s.options(job.model, seed, in.Class, in.Guidance, in.Steps, false)
	return job, err
}

// options checks the settings /v1/sample and /v1/inpaint share for model sm and returns the
// sampler's options: the class label ("" for none; for inpainting, inpaint true, also autoClass, which
// leaves the class to the sampler to infer, infer.AutoClass), the guidance weight (nil: the
// sampler's default, the manifest's guidance_default or for inpainting its inpainting weight)
// and the Langevin steps (0: the manifest's).
func (s *server) options(sm *servedModel, seed uint64, class string, guidance *float64, steps int, inpaint bool) (infer.SampleOptions, error) {
	o := infer.SampleOptions{Seed: seed, Steps: steps, Batch: sampleChunk}
	if steps < 0 || steps > s.lim.MaxSteps {
		return o, badField("steps", "%d; want 0 (the model's %d) up to the server's --max-steps %d", steps, sm.m.Langevin.Steps, s.lim.MaxSteps)
	}
	if class == "" {
		if guidance != nil {
			return o, badField("guidance", "guidance needs a class; give class as well")
		}
		return o, nil
	}
	if len(sm.m.Classes) == 0 {
		return o, badField("class", "model %s is unconditional (its manifest lists no classes); leave class out", sm.name)
	}
	if inpaint && class == autoClass {
		o.Class = infer.AutoClass
	} else {
		id, err := sm.m.ClassID(class)
		if err != nil {
			return o, badField("class", "%q is not one of the model's classes: %s", class, classList(sm))
		}
		o.Class = id
	}
	if w := guidance; w != nil && (!(*w >= 0) || math.IsInf(*w, 0) || *w > s.lim.MaxGuidance) {
		return o, badField("guidance", "%g is outside 0..%g (the server's --max-guidance)", *w, s.lim.MaxGuidance)
	}
	o.Guidance = guidance
	return o, nil
}

// classList lists the labels of model sm for errors, up to maxListedClasses of them.
func classList(sm *servedModel) string {
	classes := sm.m.Classes
	n := min(len(classes), maxListedClasses)
	quoted := make([]string, n)
	for i, c := range classes[:n] {
		quoted[i] = strconv.Quote(c)
	}
	list := strings.Join(quoted, ", ")
	if len(classes) > n {
		list += fmt.Sprintf(", ... (%d in all; GET /v1/model?model=%s lists them)", len(classes), url.QueryEscape(sm.name))
	}
	return list
}

// checkLength answers 413 at once for a body whose declared length is over the limit.
func (s *server) checkLength(r *http.Request) error {
	if r.ContentLength > s.lim.MaxBody {
		return s.tooLarge()
	}
	return nil
}

// tooLarge is the 413 answer.
func (s *server) tooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, field: "body",
		msg: fmt.Sprintf("body: larger than the server's --max-body of %d bytes", s.lim.MaxBody)}
}

// jsonError turns an error of decoding the /v1/sample body into its answer, naming the field.
func (s *server) jsonError(err error) error {
	var (
		tooBig *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return s.tooLarge()
	case isTimeout(err):
		return s.bodyTimeout()
	case errors.Is(err, io.EOF):
		return badField("body", `empty; want a JSON object such as {"n": 16}`)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badField("body", "the JSON ends early")
	case errors.As(err, &syntax):
		return badField("body", "invalid JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badField("body", "got JSON %s; want a JSON object", typ.Value)
		}
		return badField(typ.Field, "got JSON %s; want %s", typ.Value, describeType(typ.Type))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if u, uerr := strconv.Unquote(name); uerr == nil {
			name = u
		}
		return badField(name, "unknown field; the fields are %s", sampleFields)
	}
	return badField("body", "%v", err)
}

// describeType names what a Go type takes, for JSON type errors.
func describeType(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Uint64:
		return "an integer 0..18446744073709551615"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return t.String()
}

// inpaintJob is a checked /v1/inpaint request; opts.Class is infer.AutoClass for a class to
// infer from the known pixels.
type inpaintJob struct {
	model *servedModel
	image []float32
	known []bool
	opts  infer.SampleOptions
}

// The classes of an inpainting request besides labels: infer it from the known pixels (the
// default for a conditional model), or the null class.
const (
	autoClass = "auto"
	nullClass = "none"
)

// inpaintParts lists the parts of a /v1/inpaint body, for errors.
const inpaintParts = "model, image, mask, seed, class, guidance, steps, resample, invert_mask"

// readInpaintRequest reads and checks the multipart body of POST /v1/inpaint.
func (s *server) readInpaintRequest(w http.ResponseWriter, r *http.Request) (inpaintJob, error) {
	if err := s.checkLength(r); err != nil {
		return inpaintJob{}, err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return inpaintJob{}, &apiError{status: http.StatusUnsupportedMediaType, field: "body",
			msg: fmt.Sprintf("body: Content-Type %q; want multipart/form-data with the parts %s", r.Header.Get("Content-Type"), inpaintParts)}
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.lim.MaxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return inpaintJob{}, badField("body", "%v", err)
	}
	parts := map[string][]byte{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return inpaintJob{}, s.readError("body", err)
		}
		name := p.FormName()
		limit := int64(maxFieldLen)
		switch name {
		case "":
			return inpaintJob{}, badField("body", "a part has no form name; the parts are %s", inpaintParts)
		case "image", "mask":
			limit = s.lim.MaxBody
		case "model", "seed", "class", "guidance", "steps", "resample", "invert_mask":
		default:
			return inpaintJob{}, badField(name, "unknown part; the parts are %s", inpaintParts)
		}
		if _, dup := parts[name]; dup {
			return inpaintJob{}, badField(name, "given twice")
		}
		data, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return inpaintJob{}, s.readError(name, err)
		}
		if int64(len(data)) > limit {
			return inpaintJob{}, badField(name, "longer than %d bytes", limit)
		}
		parts[name] = data
	}

	sm, err := s.lookup("model", string(parts["model"]))
	if err != nil {
		return inpaintJob{}, err
	}
	m := sm.m
	if m.Kind != bundle.KindImage || len(m.Shape) != 3 {
		return inpaintJob{}, &apiError{status: http.StatusBadRequest, field: "model",
			msg: fmt.Sprintf("model: %s generates %s of shape %v; inpainting needs an image model", sm.name, m.Kind, m.Shape)}
	}
	var (
		seed     uint64 = defaultSeed
		steps    int
		resample int
		guidance *float64
		invert   bool
	)
	if v, ok := parts["seed"]; ok {
		if seed, err = strconv.ParseUint(string(v), 10, 64); err != nil {
			return inpaintJob{}, badField("seed", "%q; want an integer 0..18446744073709551615", v)
		}
	}
	if v, ok := parts["steps"]; ok {
		if steps, err = strconv.Atoi(string(v)); err != nil {
			return inpaintJob{}, badField("steps", "%q; want an integer >= 0", v)
		}
	}
	if v, ok := parts["resample"]; ok {
		if resample, err = strconv.Atoi(string(v)); err != nil || resample < 0 || resample > s.lim.MaxResample {
			return inpaintJob{}, badField("resample", "%q; want an integer 0 (plain replacement) up to the server's --max-resample %d", v, s.lim.MaxResample)
		}
	}
	if v, ok := parts["guidance"]; ok {
		g, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return inpaintJob{}, badField("guidance", "%q; want a number in 0..%g (the server's --max-guidance)", v, s.lim.MaxGuidance)
		}
		guidance = &g
	}
	if v, ok := parts["invert_mask"]; ok {
		if invert, err = strconv.ParseBool(string(v)); err != nil {
			return inpaintJob{}, badField("invert_mask", "%q; want true or false", v)
		}
	}
	class, given := string(parts["class"]), parts["class"] != nil
	switch {
	case class == nullClass:
		class = ""
	case !given && len(m.Classes) > 0:
		class = autoClass
	}
	opts, err := s.options(sm, seed, class, guidance, steps, true)
	if err != nil {
		return inpaintJob{}, err
	}
	opts.Resample = resample
	c, h, wd := m.Shape[0], m.Shape[1], m.Shape[2]
	job := inpaintJob{model: sm, opts: opts}
	for _, name := range []string{"image", "mask"} {
		data, ok := parts[name]
		if !ok {
			return job, badField(name, "missing; want a PNG or JPEG file of %dx%d pixels", wd, h)
		}
		if name == "image" {
			job.image, err = infer.DecodeImage(bytes.NewReader(data), name, c, h, wd)
		} else {
			job.known, err = infer.DecodeMask(bytes.NewReader(data), name, c, h, wd, invert)
		}
		var bad *infer.ImageError
		if errors.As(err, &bad) {
			return job, badField(name, "%s", bad.Problem) // the part names the file
		}
		if err != nil {
			return job, err
		}
	}
	return job, nil
}

// readError is the answer to an error reading the part name (or the multipart body).
func (s *server) readError(name string, err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return s.tooLarge()
	}
	if isTimeout(err) {
		return s.bodyTimeout()
	}
	return badField(name, "reading the multipart body: %v", err)
}

// isTimeout reports whether err is a read that ran past the connection's deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// bodyTimeout is the answer to a body that did not arrive in full within the request deadline.
func (s *server) bodyTimeout() error {
	return &apiError{status: http.StatusRequestTimeout, field: "body",
		msg: fmt.Sprintf("body: not received in full within the server's --timeout of %s", s.lim.Timeout)}
}
