package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/runtime/ort"
)

// TestSecondTrainerRefused starts a run and, while it trains, a second one on the same folder:
// the second refuses, naming the first one's process, and leaves the folder alone; after the
// first ends, the folder can be resumed.
func TestSecondTrainerRefused(t *testing.T) {
	out := t.TempDir()
	cfg := tinyToy()
	cfg.Iters, cfg.CheckpointEvery = 100000, 5
	sess := ort.SessionConfig{IntraOpThreads: 1}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, Options{Out: out, Session: sess}) }()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := LatestCheckpoint(filepath.Join(out, "checkpoint")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no checkpoint after a minute: %v", <-done)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, o := range []Options{{Out: out, Resume: true}, {Out: out, Force: true}} {
		var log bytes.Buffer
		o.Session, o.Stdout = sess, &log
		err := Run(context.Background(), cfg, o)
		var se *SettingError
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("PID %d", os.Getpid())) ||
			!errors.As(err, &se) || se.Field != "Options.Out" || !strings.HasPrefix(err.Error(), "train: Options.Out "+out+": ") {
			t.Errorf("second trainer (resume %v, force %v): %v, want ErrLocked naming PID %d in a SettingError of Options.Out", o.Resume, o.Force, err, os.Getpid())
		}
		if log.Len() > 0 {
			t.Errorf("the refused trainer printed %q", log.String())
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("first trainer: %v", err)
	}
	st := latest(t, out)
	cfg.Iters = st.Step + 1
	if err := Run(context.Background(), cfg, Options{Out: out, Resume: true, Session: sess, Set: map[string]bool{"Iters": true}}); err != nil {
		t.Fatalf("resume after the first ended: %v", err)
	}
}

// TestFailedStartLeavesNothing checks that a run that fails before training removes the run
// folder it created.
func TestFailedStartLeavesNothing(t *testing.T) {
	cfg := tinyToy()
	cfg.Data = "toy2d:nosuchset"
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), cfg, Options{Out: out}); err == nil {
		t.Fatal("a run on unknown data succeeded")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed run left %s (%v)", out, err)
	}
}

// latest loads the newest checkpoint of the run folder out.
func latest(t *testing.T, out string) *State {
	t.Helper()
	path, err := LatestCheckpoint(filepath.Join(out, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
