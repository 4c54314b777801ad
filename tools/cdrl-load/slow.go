package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// slowPad is the whitespace a slow client sends, one byte per --slow-interval, before the
// request's body (JSON and multipart bodies both allow it): its Content-Length declares pad and
// body, so that the body is still unfinished hours later (4096 bytes at 2 s are 2.3 hours).
const slowPad = 4096

// slowDialTimeout bounds the dialing of one slow connection.
const slowDialTimeout = 5 * time.Second

// slowClients are the --slow-clients connections of one level: each sends the headers of the
// level's request, with a Content-Length, then its body one byte per interval, and dials again
// (after an interval) when the server answers or closes the connection.
type slowClients struct {
	addr     string // host:port of the server
	head     []byte // the request line and headers
	interval time.Duration

	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool // the connections open now
	// ended counts the connections the server ended (answered or closed); statuses are the
	// status lines of its answers, first seen first.
	ended    int
	statuses []string
	dialErr  string // the first failed dial, for the notes
}

// slowResult is what the slow clients of a level saw.
type slowResult struct {
	ended    int      // connections the server ended, by answering or closing them
	statuses []string // the distinct statuses of its answers
	dialErr  string   // the first failed dial, or ""
}

// newSlowClients prepares n slow clients of request r against the server at base, which must
// be an http:// URL.
func newSlowClients(base *url.URL, r request, interval time.Duration) *slowClients {
	u, _ := url.Parse(r.url) // r.url was made from base, so it parses
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\n", r.method, u.RequestURI())
	fmt.Fprintf(&head, "Host: %s\r\n", base.Host)
	fmt.Fprintf(&head, "Content-Type: %s\r\n", r.contentType)
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", slowPad+len(r.body))
	addr := base.Host
	if base.Port() == "" {
		addr = net.JoinHostPort(base.Hostname(), "80")
	}
	return &slowClients{addr: addr, head: []byte(head.String()), interval: interval, conns: map[net.Conn]bool{}}
}

// start connects the n slow clients; they run until stop or until ctx is done.
func (s *slowClients) start(ctx context.Context, n int) {
	ctx, s.cancel = context.WithCancel(ctx)
	for range n {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for ctx.Err() == nil {
				s.once(ctx)
				select { // pause before dialing again, so that a server that refuses at once is not flooded
				case <-ctx.Done():
				case <-time.After(s.interval):
				}
			}
		}()
	}
}

// open reports the slow connections open now.
func (s *slowClients) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// stop closes the slow connections, waits for their goroutines and returns what they saw.
func (s *slowClients) stop() slowResult {
	s.cancel()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return slowResult{ended: s.ended, statuses: slices.Clone(s.statuses), dialErr: s.dialErr}
}

// once makes one slow connection: it sends the headers, then a byte per interval, until ctx is
// done or the server answers or closes the connection.
func (s *slowClients) once(ctx context.Context) {
	d := net.Dialer{Timeout: slowDialTimeout}
	c, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		if ctx.Err() == nil {
			s.mu.Lock()
			if s.dialErr == "" {
				s.dialErr = err.Error()
			}
			s.mu.Unlock()
		}
		return
	}
	s.mu.Lock()
	if ctx.Err() != nil { // stop ran meanwhile
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conns[c] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()

	// The server's side: any answer or the connection's end.
	answered := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil && line == "" {
			answered <- ""
			return
		}
		answered <- strings.TrimSpace(line)
	}()
	ended := func(status string) {
		if ctx.Err() != nil {
			return // closed by stop, not by the server
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ended++
		if status != "" && !slices.Contains(s.statuses, status) {
			s.statuses = append(s.statuses, status)
		}
	}
	if _, err := c.Write(s.head); err != nil {
		ended("") // refused before the headers were out
		return
	}
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for sent := 0; ; sent++ {
		select {
		case <-ctx.Done():
			return
		case status := <-answered:
			ended(strings.TrimPrefix(status, "HTTP/1.1 "))
			return
		case <-tick.C:
			if sent >= slowPad { // the padding is out; the body would follow: stop short of it
				continue
			}
			if _, err := c.Write([]byte{' '}); err != nil {
				select { // the answer that came with the close, if any
				case status := <-answered:
					ended(strings.TrimPrefix(status, "HTTP/1.1 "))
				case <-time.After(time.Second):
					ended("")
				}
				return
			}
		}
	}
}

// endedText formats the slow connections the server ended, with its answers' statuses.
func (r slowResult) endedText() string {
	if len(r.statuses) == 0 {
		return strconv.Itoa(r.ended)
	}
	return fmt.Sprintf("%d (%s)", r.ended, strings.Join(r.statuses, ", "))
}

// waitOpen waits until n slow connections are open, for up to wait.
func (s *slowClients) waitOpen(ctx context.Context, n int, wait time.Duration) {
	deadline := time.Now().Add(wait)
	for s.open() < n && ctx.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}
