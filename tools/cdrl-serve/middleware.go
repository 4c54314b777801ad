package main

import (
	"net/http"
	"sync"
)

// recorder is the ResponseWriter the middleware hands the routes: it remembers the status, the
// bytes written and the error message of an error answer, for the access log.
type recorder struct {
	http.ResponseWriter
	status int    // 0 until WriteHeader or Write
	wrote  bool   // whether the header went out
	bytes  int64  // body bytes written
	err    string // the message of an error answer
}

// WriteHeader records the status and passes it on.
func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

// Write records the bytes and passes them on.
func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap returns the underlying ResponseWriter, for http.ResponseController.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// inflight counts the handlers running, so that shutdown can wait for them before it closes
// the sampler. Once closed it admits no more.
type inflight struct {
	mu     sync.Mutex
	n      int
	closed bool
	idle   chan struct{} // made by close; closed when n reaches 0 after close
}

// add admits one more handler, or reports false once close was called.
func (f *inflight) add() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.n++
	return true
}

// done ends a handler that add admitted.
func (f *inflight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.closed && f.n == 0 {
		close(f.idle)
	}
}

// count returns the number of handlers running.
func (f *inflight) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// close admits no more handlers and returns a channel closed once none is running. It may be
// called more than once; every call returns the same channel.
func (f *inflight) close() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		f.idle = make(chan struct{})
		if f.n == 0 {
			close(f.idle)
		}
	}
	return f.idle
}
