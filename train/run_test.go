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

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/ort"
)

func tinyToy() Config {
	c := Defaults("toy2d")
	c.Batch, c.Iters, c.LangevinSteps = 64, 6, 3
	c.LogEvery, c.CheckpointEvery, c.SampleEvery, c.SampleCount = 2, 3, 0, 200
	return c
}

func TestRunToySmoke(t *testing.T) {
	out := t.TempDir()
	var log bytes.Buffer
	err := Run(context.Background(), tinyToy(), Options{Out: out, Stdout: &log, Session: ort.SessionConfig{IntraOpThreads: 1}})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Log(log.String())
	if first, _, _ := strings.Cut(log.String(), "\n"); !strings.HasPrefix(first, "training toy-small on toy2d: batch 64") || !strings.HasSuffix(first, "ONNX Runtime "+ort.Version()+" on cpu") {
		t.Errorf("first line %q does not say what trains on which device", first)
	}
	for _, p := range []string{"metrics.jsonl", "model/manifest.json", "model/energy.onnx", "model/initializer.onnx", "samples/step-000006.png"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
}

// TestResumeRecoversBundleWrite stages what a run killed while writing its bundle leaves (an
// unfinished new bundle, the old one put aside and no model/) and checks that resuming puts the
// old bundle back, removes the rest, says so, and trains on.
func TestResumeRecoversBundleWrite(t *testing.T) {
	out := t.TempDir()
	cfg := tinyToy()
	sess := ort.SessionConfig{IntraOpThreads: 1}
	if err := Run(context.Background(), cfg, Options{Out: out, Session: sess}); err != nil {
		t.Fatal(err)
	}
	hold := filepath.Join(out, ".model.old-1")
	if err := os.Mkdir(hold, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(out, "model"), filepath.Join(hold, "model")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(out, ".model.tmp-2"), 0o755); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg.Iters++
	if err := Run(context.Background(), cfg, Options{Out: out, Resume: true, Session: sess, Stdout: &log, Set: map[string]bool{"Iters": true}}); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, want := range []string{"removed the unfinished bundle", "put the previous bundle back"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the resume log lacks %q:\n%s", want, log.String())
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".model.") {
			t.Errorf("%s left in the run folder", e.Name())
		}
	}
	if _, err := bundle.ReadDir(filepath.Join(out, "model")); err != nil {
		t.Errorf("no bundle after the resume: %v", err)
	}
}

// TestBatchTooLargeForMemory checks that a batch whose buffers cannot fit in the available
// memory is refused before any program is built, naming Config.Batch, and leaves no run folder.
func TestBatchTooLargeForMemory(t *testing.T) {
	if _, ok := infer.AvailableMemory(); !ok {
		t.Skip("this system does not report its available memory")
	}
	cfg := tinyToy()
	cfg.Batch = 1 << 40
	out := filepath.Join(t.TempDir(), "run")
	err := Run(context.Background(), cfg, Options{Out: out})
	var se *SettingError
	if !errors.As(err, &se) || se.Field != "Config.Batch" || !strings.HasPrefix(err.Error(), "train: Config.Batch 1099511627776: ") ||
		!strings.Contains(err.Error(), "available; use a smaller Config.Batch") {
		t.Fatalf("got %v, want a refusal naming Config.Batch", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused run left %s", out)
	}
}

// TestOutFolderErrors checks the refusals about the run folder that come before any training:
// each is a SettingError naming the Options or Config field, with advice in the same terms.
func TestOutFolderErrors(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := tinyToy()
	cases := []struct {
		name  string
		o     Options
		field string
		want  string
		is    error
	}{
		{"no folder", Options{}, "Options.Out", `train: Options.Out "": no folder given`, nil},
		{"not empty", Options{Out: full}, "Options.Out",
			"train: Options.Out " + full + ": exists and is not empty; use Options.Resume to continue it or Options.Force to start afresh", nil},
		{"no checkpoint", Options{Out: t.TempDir(), Resume: true}, "Options.Resume", "; start without Options.Resume", ErrNoCheckpoint},
	}
	for _, c := range cases {
		err := Run(context.Background(), cfg, c.o)
		var se *SettingError
		if !errors.As(err, &se) || se.Field != c.field || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "--") {
			t.Errorf("%s: got %v, want a SettingError of %s saying %q", c.name, err, c.field, c.want)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v does not wrap %v", c.name, err, c.is)
		}
	}
}

// TestTimeLimitEndsRun checks Options.TimeLimit: the run ends at an iteration boundary once
// the time is up, short of Config.Iters, writes its checkpoint, model and pictures as a
// finished run does and returns nil; a resumed run continues from there. A negative limit is
// refused by name.
func TestTimeLimitEndsRun(t *testing.T) {
	out := t.TempDir()
	cfg := tinyToy()
	cfg.Iters, cfg.CheckpointEvery = 1000000, 0
	sess := ort.SessionConfig{IntraOpThreads: 1}
	var log bytes.Buffer
	if err := Run(context.Background(), cfg, Options{Out: out, Stdout: &log, Session: sess, TimeLimit: 300 * time.Millisecond}); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	st := latest(t, out)
	if st.Step < 1 || st.Step >= cfg.Iters {
		t.Fatalf("stopped at step %d, want some iterations and fewer than %d", st.Step, cfg.Iters)
	}
	if want := fmt.Sprintf("time limit 300ms reached at step %d", st.Step); !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log.String())
	}
	for _, p := range []string{"model/manifest.json", fmt.Sprintf("samples/step-%06d.png", st.Step)} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	cfg.Iters = st.Step + 2
	if err := Run(context.Background(), cfg, Options{Out: out, Resume: true, Set: map[string]bool{"Iters": true}, Session: sess}); err != nil {
		t.Fatal(err)
	}
	if got := latest(t, out).Step; got != cfg.Iters {
		t.Errorf("resumed run ended at step %d, want %d", got, cfg.Iters)
	}
	err := Run(context.Background(), cfg, Options{Out: t.TempDir(), Session: sess, TimeLimit: -time.Second})
	var se *SettingError
	if !errors.As(err, &se) || se.Field != "Options.TimeLimit" {
		t.Errorf("negative time limit: %v, want a SettingError naming Options.TimeLimit", err)
	}
}
