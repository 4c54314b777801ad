package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/runtime/ort"
	ucli "github.com/urfave/cli/v2"
)

func appReturning(err error) *ucli.App {
	return &ucli.App{Name: "cdrl-test", Action: func(*ucli.Context) error { return err }}
}

func TestRunExitCodesAndHints(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code int
		want string
	}{
		{"ok", nil, 0, ""},
		{"plain error", fmt.Errorf("--input x.npy: bad"), 1, "cdrl-test: --input x.npy: bad"},
		{"missing library", fmt.Errorf("wrapped: %w", ort.ErrLibraryNotFound), 1, "hint: run `make setup`"},
		{"no cuda", fmt.Errorf("wrapped: %w", ort.ErrProviderUnavailable), 1, "hint: use --device cpu"},
		{"interrupted", fmt.Errorf("run: %w", context.Canceled), 130, "canceled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := Run(context.Background(), appReturning(c.err), []string{"cdrl-test"}, &stderr)
			if code != c.code {
				t.Errorf("exit code %d, want %d", code, c.code)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), c.want)
			}
		})
	}
}

func TestRuntimeInitRejectsNegativeThreads(t *testing.T) {
	if _, err := (Runtime{Threads: -1}).Init(); err == nil || !strings.Contains(err.Error(), "--threads") {
		t.Errorf("error %v, want one naming --threads", err)
	}
}

func TestDone(t *testing.T) {
	var out bytes.Buffer
	Done(&out, time.Now(), "a.npy", "b.npy")
	if s := out.String(); !strings.Contains(s, "wrote a.npy\nwrote b.npy\ndone in") {
		t.Errorf("got %q", s)
	}
}
