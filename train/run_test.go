package train

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

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
	for _, p := range []string{"metrics.jsonl", "model/manifest.json", "model/energy.onnx", "model/initializer.onnx", "samples/step-000006.png"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
}
