package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cdrl-go/cdrl/infer"
)

// progressEvery is the least time between two progress lines of one stage.
const progressEvery = 5 * time.Second

// stage reports the progress of one stage of the evaluation: a line with the share done, the
// rate and the time left at most every progressEvery, and a closing line with the count, time
// and rate. Its methods are safe for concurrent use.
type stage struct {
	w     io.Writer
	name  string
	total int
	unit  string
	start time.Time

	mu   sync.Mutex
	last time.Time
	done float64
}

// stage starts a stage of total units (e.g. 5000 "samples").
func (e *evaluator) stage(name string, total int, unit string) *stage {
	now := time.Now()
	return &stage{w: e.w, name: name, total: total, unit: unit, start: now, last: now}
}

// set records that done units are complete and prints a progress line when one is due.
func (s *stage) set(done float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = done
	now := time.Now()
	if now.Sub(s.last) < progressEvery || done >= float64(s.total) || done <= 0 {
		return
	}
	s.last = now
	elapsed := now.Sub(s.start)
	rate := done / elapsed.Seconds()
	eta := time.Duration((float64(s.total) - done) / rate * float64(time.Second))
	fmt.Fprintf(s.w, "  %s: %3.0f%% (%.0f/%d %s)  %s %s/s  ETA %s\n", s.name, 100*done/float64(s.total),
		done, s.total, s.unit, formatRate(rate), s.unit, eta.Round(time.Second))
}

// add records k more complete units.
func (s *stage) add(k float64) {
	s.mu.Lock()
	done := s.done + k
	s.mu.Unlock()
	s.set(done)
}

// finish prints the closing line and returns the stage's duration.
func (s *stage) finish() time.Duration {
	elapsed := time.Since(s.start)
	fmt.Fprintf(s.w, "  %s: %d %s in %s (%s %s/s)\n", s.name, s.total, s.unit, elapsed.Round(time.Millisecond),
		formatRate(float64(s.total)/elapsed.Seconds()), s.unit)
	return elapsed
}

// onProgress returns a sampler progress hook (infer.SampleOptions.Progress) that reports the
// sampler's position as units done, for a sampling that runs levels noise levels: the levels
// completed, and the Langevin steps made of the current one.
func (s *stage) onProgress(levels int) func(infer.StepInfo) {
	return func(i infer.StepInfo) {
		level := 1.0
		if !i.LevelDone {
			level = float64(i.Step) / float64(i.Steps)
		}
		pos := float64(i.Chunk*levels+levels-1-i.Level) + level
		s.set(pos / float64(i.Chunks*levels) * float64(s.total))
	}
}

// formatRate writes a rate with three significant digits, without an exponent below 10^6.
func formatRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.3g", r)
}

// parallel calls f(ctx, i) for i in 0..n-1 on up to workers goroutines and returns the first
// error; after an error or when ctx is done no new call starts and the ctx f gets is done.
func parallel(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				if err := f(ctx, i); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
