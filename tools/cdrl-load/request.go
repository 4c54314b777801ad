package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // checkPicture accepts what cdrl-serve decodes: PNG and JPEG
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The request kinds of --request.
const (
	kindSample  = "sample"
	kindInpaint = "inpaint"
)

// maxErrorBody bounds the bytes of an error answer kept to report it.
const maxErrorBody = 4096

// request is the prepared request that every client sends, over and over.
type request struct {
	method      string
	url         string
	contentType string
	body        []byte
	// describe names the endpoint and body for the notes under the table.
	describe string
}

// sampleRequest is POST /v1/sample with a JSON body.
func sampleRequest(base *url.URL, body string) request {
	u := base.JoinPath("v1", "sample").String()
	return request{method: http.MethodPost, url: u, contentType: "application/json", body: []byte(body),
		describe: u + " " + body}
}

// inpaintRequest is POST /v1/inpaint with a multipart body of the image and mask files and, when
// not empty, the class field.
func inpaintRequest(base *url.URL, img, mask []byte, class string) (request, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range []struct {
		name string
		data []byte
	}{{"image", img}, {"mask", mask}} {
		w, err := mw.CreateFormFile(f.name, f.name+".png")
		if err != nil {
			return request{}, err
		}
		if _, err := w.Write(f.data); err != nil {
			return request{}, err
		}
	}
	classText := "class inferred"
	if class != "" {
		if err := mw.WriteField("class", class); err != nil {
			return request{}, err
		}
		classText = "class " + strconv.Quote(class)
	}
	if err := mw.Close(); err != nil {
		return request{}, err
	}
	u := base.JoinPath("v1", "inpaint").String()
	return request{method: http.MethodPost, url: u, contentType: mw.FormDataContentType(), body: body.Bytes(),
		describe: fmt.Sprintf("%s, a %d-byte multipart body, %s", u, body.Len(), classText)}, nil
}

// outcome is what sending a request once gave.
type outcome struct {
	// latency runs from sending the request to reading the whole answer.
	latency time.Duration
	// status is the answer's HTTP status; 0 when there was no answer.
	status int
	// failure is empty for a 200 answer read in full, else it says what went wrong: the status
	// and the start of the answer's body, or why there was no (whole) answer.
	failure string
}

// send sends r once with client and reads the whole answer.
func (r request) send(ctx context.Context, client *http.Client) outcome {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return outcome{failure: err.Error()}
	}
	req.Header.Set("Content-Type", r.contentType)
	res, err := client.Do(req)
	if err != nil {
		return outcome{latency: time.Since(start), failure: err.Error()}
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
		_, _ = io.Copy(io.Discard, res.Body) // so the connection can be reused
		return outcome{latency: time.Since(start), status: res.StatusCode,
			failure: fmt.Sprintf("%s: %s", res.Status, bytes.TrimSpace(data))}
	}
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return outcome{latency: time.Since(start), status: res.StatusCode, failure: "reading the answer: " + err.Error()}
	}
	return outcome{latency: time.Since(start), status: res.StatusCode}
}

// clientError tells whether the answer says the request itself is wrong (a 4xx status), which
// every later request would be told too.
func (o outcome) clientError() bool { return o.status >= 400 && o.status < 500 }

// checkPicture checks that data is a PNG or JPEG picture.
func checkPicture(data []byte) error {
	if _, format, err := image.DecodeConfig(bytes.NewReader(data)); err != nil || (format != "png" && format != "jpeg") {
		return errors.New("not a PNG or JPEG picture")
	}
	return nil
}

// builtinSize is the width and height of the built-in inpainting picture and mask, MNIST's.
const builtinSize = 28

// builtinDigit returns the built-in picture to inpaint as PNG bytes: a white ring, a 0 of
// MNIST's style (white strokes on black), 28x28.
func builtinDigit() []byte {
	img := image.NewGray(image.Rect(0, 0, builtinSize, builtinSize))
	const cx, cy, rx, ry, stroke = 13.5, 13.5, 6.0, 9.0, 0.28
	for y := range builtinSize {
		for x := range builtinSize {
			// r is 1 on the ellipse; the stroke fades out linearly across its width.
			r := math.Hypot((float64(x)-cx)/rx, (float64(y)-cy)/ry)
			v := 1 - math.Abs(r-1)/stroke
			img.Pix[y*img.Stride+x] = uint8(255 * math.Max(0, v))
		}
	}
	return pngBytes(img)
}

// builtinMask returns the built-in mask as PNG bytes: white (generate) on the lower half,
// black (keep) on the upper half, 28x28.
func builtinMask() []byte {
	m := image.NewGray(image.Rect(0, 0, builtinSize, builtinSize))
	for i := builtinSize / 2 * m.Stride; i < len(m.Pix); i++ {
		m.Pix[i] = 255
	}
	return pngBytes(m)
}

// pngBytes encodes a picture made in memory as PNG; that cannot fail.
func pngBytes(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
