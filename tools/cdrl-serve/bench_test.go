package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// latencies collects request durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// quantile returns the q-quantile in milliseconds.
func (l *latencies) quantile(q float64) float64 {
	slices.Sort(l.d)
	if len(l.d) == 0 {
		return math.NaN()
	}
	return float64(l.d[min(len(l.d)-1, int(q*float64(len(l.d))))]) / float64(time.Millisecond)
}

// BenchmarkSampleEndpoint measures POST /v1/sample on the embedded toy2d model over loopback,
// with --max-concurrent GOMAXPROCS and one ONNX Runtime thread per call: "serial" sends one
// request at a time (the service time), "load" keeps 4 clients per GOMAXPROCS sending
// (b.RunParallel). ns/op is the wall time per request (the inverse of the throughput); p50-ms
// and p99-ms are the latencies the clients saw, queueing for a slot included.
func BenchmarkSampleEndpoint(b *testing.B) {
	for _, c := range []struct {
		n    int
		load bool
	}{{1, false}, {1, true}, {64, false}, {64, true}, {512, true}} {
		mode := "serial"
		if c.load {
			mode = "load"
		}
		b.Run(fmt.Sprintf("n=%d/%s", c.n, mode), func(b *testing.B) {
			lim := testLimits()
			lim.MaxQueue = 1 << 10
			_, url, _ := startServer(b, "toy2d", lim)
			body := fmt.Sprintf(`{"n": %d, "seed": 1}`, c.n)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer client.CloseIdleConnections()
			var lat latencies
			send := func() bool {
				start := time.Now()
				res, err := client.Post(url+"/v1/sample", "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return false
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					b.Errorf("status %d, %v", res.StatusCode, err)
					return false
				}
				lat.add(time.Since(start))
				return true
			}
			b.ResetTimer()
			if c.load {
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() && send() {
					}
				})
			} else {
				for range b.N {
					if !send() {
						break
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(lat.quantile(0.5), "p50-ms")
			b.ReportMetric(lat.quantile(0.99), "p99-ms")
		})
	}
}
