package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"mime"
	"net/http"
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
	N        *int     `json:"n"`
	Seed     *uint64  `json:"seed"`
	Class    string   `json:"class"`
	Guidance *float64 `json:"guidance"`
	Steps    int      `json:"steps"`
	Format   string   `json:"format"`
}

// sampleFields lists the fields of sampleRequest, for errors.
const sampleFields = "n, seed, class, guidance, steps, format"

// sampleJob is a checked /v1/sample request.
type sampleJob struct {
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
	switch {
	case in.N == nil:
		return job, badField("n", "missing; want the number of samples, 1..%d", s.lim.MaxN)
	case *in.N < 1 || *in.N > s.lim.MaxN:
		return job, badField("n", "%d is outside 1..%d (the server's --max-n)", *in.N, s.lim.MaxN)
	}
	job.n = *in.N
	switch in.Format {
	case "", formatJSON:
		job.format = formatJSON
	case formatPNG:
		if s.m.Kind == bundle.KindPoints && s.m.Shape[0] != 2 {
			return job, badField("format", "a PNG shows 2-D points; this model's have %d coordinates (ask for json)", s.m.Shape[0])
		}
	default:
		return job, badField("format", "%q is not a format; want %q or %q", in.Format, formatJSON, formatPNG)
	}
	seed := uint64(defaultSeed)
	if in.Seed != nil {
		seed = *in.Seed
	}
	opts, err := s.options(seed, in.Class, in.Guidance, in.Steps)
	if err != nil {
		return job, err
	}
	job.opts = opts
	return job, nil
}

// options checks the settings /v1/sample and /v1/inpaint share and returns the sampler's
// options: the class label ("" for none), the guidance weight (nil: the manifest's default)
// and the Langevin steps (0: the manifest's).
func (s *server) options(seed uint64, class string, guidance *float64, steps int) (infer.SampleOptions, error) {
	o := infer.SampleOptions{Seed: seed, Steps: steps, Batch: sampleChunk}
	if steps < 0 {
		return o, badField("steps", "%d; want 0 (the model's %d) or more", steps, s.m.Langevin.Steps)
	}
	if class == "" {
		if guidance != nil {
			return o, badField("guidance", "guidance needs a class; give class as well")
		}
		return o, nil
	}
	if len(s.m.Classes) == 0 {
		return o, badField("class", "model %s is unconditional (its manifest lists no classes); leave class out", s.model)
	}
	id, err := s.m.ClassID(class)
	if err != nil {
		return o, badField("class", "%q is not one of the model's classes: %s", class, s.classList())
	}
	w := s.m.GuidanceDefault
	if guidance != nil {
		w = *guidance
	}
	if !(w >= 0) || math.IsInf(w, 0) {
		return o, badField("guidance", "%g; want a finite weight >= 0", w)
	}
	o.Class, o.Guidance = id, w
	return o, nil
}

// classList lists the model's labels for errors, up to maxListedClasses of them.
func (s *server) classList() string {
	n := min(len(s.m.Classes), maxListedClasses)
	quoted := make([]string, n)
	for i, c := range s.m.Classes[:n] {
		quoted[i] = strconv.Quote(c)
	}
	list := strings.Join(quoted, ", ")
	if len(s.m.Classes) > n {
		list += fmt.Sprintf(", ... (%d in all; GET /v1/model lists them)", len(s.m.Classes))
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

// inpaintJob is a checked /v1/inpaint request.
type inpaintJob struct {
	image []float32
	known []bool
	opts  infer.SampleOptions
}

// inpaintParts lists the parts of a /v1/inpaint body, for errors.
const inpaintParts = "image, mask, seed, class, guidance, steps, invert_mask"

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
		case "seed", "class", "guidance", "steps", "invert_mask":
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

	var (
		seed     uint64 = defaultSeed
		steps    int
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
	if v, ok := parts["guidance"]; ok {
		g, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return inpaintJob{}, badField("guidance", "%q; want a number >= 0", v)
		}
		guidance = &g
	}
	if v, ok := parts["invert_mask"]; ok {
		if invert, err = strconv.ParseBool(string(v)); err != nil {
			return inpaintJob{}, badField("invert_mask", "%q; want true or false", v)
		}
	}
	opts, err := s.options(seed, string(parts["class"]), guidance, steps)
	if err != nil {
		return inpaintJob{}, err
	}
	c, h, wd := s.m.Shape[0], s.m.Shape[1], s.m.Shape[2]
	job := inpaintJob{opts: opts}
	for _, name := range []string{"image", "mask"} {
		data, ok := parts[name]
		if !ok {
			return job, badField(name, "missing; want a PNG or JPEG file of %dx%d pixels", wd, h)
		}
		img, err := decodeUpload(name, data, c, h, wd)
		if err != nil {
			return job, err
		}
		if name == "image" {
			job.image = imageValues(img, c, h, wd)
		} else {
			job.known = maskKnown(img, c, h, wd, invert)
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
	return badField(name, "reading the multipart body: %v", err)
}

// decodeUpload decodes an uploaded PNG or JPEG file, the part name, and checks that it is
// w x h pixels; its header is checked before the pixels are decoded.
func decodeUpload(name string, data []byte, c, h, w int) (image.Image, error) {
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("the model has %d channels; images need 1 or 3", c)
	}
	if len(data) == 0 {
		return nil, badField(name, "empty file; want a PNG or JPEG image of %dx%d pixels", w, h)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, badField(name, "not a PNG or JPEG image (%v)", err)
	}
	if cfg.Width != w || cfg.Height != h {
		return nil, badField(name, "%s of %dx%d pixels; the model's samples are %dx%d", format, cfg.Width, cfg.Height, w, h)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, badField(name, "corrupt %s image (%v)", format, err)
	}
	return img, nil
}

// imageValues converts a decoded image to c*h*w values in [-1, 1], CHW, as infer.ReadImage
// does for files: grayscale for c = 1, RGB composited onto black for c = 3, level v becoming
// v/127.5 - 1.
func imageValues(img image.Image, c, h, w int) []float32 {
	b := img.Bounds()
	out := make([]float32, c*h*w)
	for y := range h {
		for x := range w {
			col := img.At(b.Min.X+x, b.Min.Y+y)
			if c == 1 {
				out[y*w+x] = levelValue(color.GrayModel.Convert(col).(color.Gray).Y)
				continue
			}
			r, g, bl, _ := col.RGBA() // premultiplied: composited onto black
			for ch, v := range []uint32{r, g, bl} {
				out[ch*h*w+y*w+x] = levelValue(uint8(v >> 8))
			}
		}
	}
	return out
}

// levelValue maps an 8-bit level to [-1, 1] as the training data and infer.ReadImage do.
func levelValue(v uint8) float32 { return float32(float64(v)/127.5 - 1) }

// maskKnown converts a decoded mask to the known flags of infer.Sampler.Inpaint, c*h*w of
// them, as infer.ReadMask does for files: grey level (alpha ignored) >= infer.MaskThreshold
// means generate, below it keep; invert swaps the two.
func maskKnown(img image.Image, c, h, w int, invert bool) []bool {
	b := img.Bounds()
	known := make([]bool, c*h*w)
	for y := range h {
		for x := range w {
			generate := opaqueGrey(img.At(b.Min.X+x, b.Min.Y+y)) >= infer.MaskThreshold
			for ch := range c {
				known[ch*h*w+y*w+x] = generate == invert
			}
		}
	}
	return known
}

// opaqueGrey returns the 8-bit grey level of a colour with its alpha ignored, as infer.ReadMask
// reads masks: the straight (not premultiplied) red, green and blue weighed as
// color.GrayModel does.
func opaqueGrey(c color.Color) uint8 {
	var r, g, b uint8
	switch v := c.(type) {
	case color.Gray:
		return v.Y
	case color.Gray16:
		return uint8(v.Y >> 8)
	case color.NRGBA:
		r, g, b = v.R, v.G, v.B
	case color.NRGBA64:
		r, g, b = uint8(v.R>>8), uint8(v.G>>8), uint8(v.B>>8)
	default:
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		r, g, b = n.R, n.G, n.B
	}
	return color.GrayModel.Convert(color.NRGBA{R: r, G: g, B: b, A: 255}).(color.Gray).Y
}
