package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	"github.com/cdrl-go/cdrl/train/classifier"
	"github.com/cdrl-go/cdrl/train/data"
)

// TestShortRun trains for a few steps on MNIST through the command line and reloads the file.
func TestShortRun(t *testing.T) {
	if _, err := data.OpenSplit("mnist", data.Test); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("the MNIST files are absent (%v); run `make setup` to fetch them", err)
	}
	out := filepath.Join(t.TempDir(), "c.onnx")
	var stdout, stderr bytes.Buffer
	app := newApp()
	app.Writer = &stdout
	code := cli.Run(context.Background(), app, []string{"cdrl-classifier", "--steps", "6", "--log-every", "3",
		"--batch", "16", "--test-n", "100", "--threads", "1", "--out", out}, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	s := stdout.String()
	for _, want := range []string{"training on mnist (60000 digits): 6 steps, batch 16", "step 3/6", "ETA", "step 6/6", "test 0.", "on 100 digits", "wrote " + out} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	model, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	c, err := classifier.New(model, ort.SessionConfig{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestBadOptions(t *testing.T) {
	good := options{Data: "mnist", Epochs: 1, Batch: 8, LR: 1e-3, LogEvery: 1, Out: "x.onnx"}
	tests := []struct {
		name string
		edit func(o *options)
		want string
	}{
		{"out", func(o *options) { o.Out = "" }, "--out"},
		{"epochs", func(o *options) { o.Epochs = 0 }, "--epochs"},
		{"steps", func(o *options) { o.Steps = -2 }, "--steps"},
		{"batch", func(o *options) { o.Batch = 0 }, "--batch"},
		{"lr", func(o *options) { o.LR = 0 }, "--lr"},
		{"test-n", func(o *options) { o.TestN = -1 }, "--test-n"},
		{"log-every", func(o *options) { o.LogEvery = 0 }, "--log-every"},
		{"data", func(o *options) { o.Data = "nosuchset" }, "unknown dataset"},
	}
	for _, tc := range tests {
		o := good
		tc.edit(&o)
		var w bytes.Buffer
		err := run(context.Background(), o, &w)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
