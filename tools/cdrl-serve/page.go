package main

import (
	_ "embed"
	"net/http"
)

// page is the page served at GET /: one HTML file with its style and script inline, which
// talks to the server only through the public API (GET /v1/models, GET /v1/model, POST
// /v1/sample, POST /v1/inpaint), so it works offline and within every limit of the service.
//
//go:embed page.html
var page []byte

// pageCSP is the page's Content-Security-Policy: its own inline script and style, pictures it
// makes itself, requests to this server only; nothing is loaded from anywhere else.
const pageCSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
	"img-src blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'"

// servePage answers GET / with the page.
func servePage(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	writeBody(w, "text/html; charset=utf-8", page)
	return nil
}
