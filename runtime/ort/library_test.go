package ort

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeLib writes an empty file standing in for a library and returns its path.
func fakeLib(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// isolate points every search location at empty temporary folders.
func isolate(t *testing.T) (cache string) {
	t.Helper()
	cache = t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv(EnvLibrary, "")
	t.Setenv(EnvLibraryAlt, "")
	t.Setenv("LD_LIBRARY_PATH", t.TempDir())
	return cache
}

func TestFindLibraryOrder(t *testing.T) {
	cache := isolate(t)
	dir := t.TempDir()
	explicit := fakeLib(t, dir, "explicit.so")
	primary := fakeLib(t, dir, "primary.so")
	alt := fakeLib(t, dir, "alt.so")
	cached := fakeLib(t, filepath.Join(cache, "cdrl-go", "onnxruntime-"+LibraryVersion), "libonnxruntime.so.1")
	ldDir := t.TempDir()
	system := fakeLib(t, ldDir, "libonnxruntime.so")
	t.Setenv("LD_LIBRARY_PATH", ldDir)

	// Each step removes the winner of the previous one.
	t.Setenv(EnvLibrary, primary)
	t.Setenv(EnvLibraryAlt, alt)
	steps := []struct {
		name     string
		explicit string
		want     string
		undo     func()
	}{
		{"explicit option", explicit, explicit, func() {}},
		{"CDRL_ORT_LIB", "", primary, func() { t.Setenv(EnvLibrary, "") }},
		{"ONNXRUNTIME_LIB", "", alt, func() { t.Setenv(EnvLibraryAlt, "") }},
		{"cache folder", "", cached, func() { os.Remove(cached) }},
		{"LD_LIBRARY_PATH", "", system, func() {}},
	}
	for _, st := range steps {
		got, err := FindLibrary(st.explicit)
		if err != nil {
			t.Fatalf("%s: FindLibrary: %v", st.name, err)
		}
		if got != st.want {
			t.Fatalf("%s: FindLibrary = %s, want %s", st.name, got, st.want)
		}
		st.undo()
	}
	if p, _ := CacheLibraryPath(); p != cached {
		t.Errorf("CacheLibraryPath = %s, want %s", p, cached)
	}
}

func TestFindLibraryNotFound(t *testing.T) {
	cache := isolate(t)
	const hint = "run `make setup` (or set CDRL_ORT_LIB=/path/to/libonnxruntime.so)"
	cases := []struct {
		name     string
		explicit string
		env      map[string]string
		mention  []string
	}{
		{name: "explicit missing", explicit: "/nonexistent/libonnxruntime.so",
			mention: []string{"Options.Library=/nonexistent/libonnxruntime.so (no such file)"}},
		{name: "env missing", env: map[string]string{EnvLibrary: "/nope/lib.so"},
			mention: []string{"$CDRL_ORT_LIB=/nope/lib.so (no such file)"}},
		{name: "alt env missing", env: map[string]string{EnvLibraryAlt: "/nope/alt.so"},
			mention: []string{"$CDRL_ORT_LIB (not set)", "$ONNXRUNTIME_LIB=/nope/alt.so (no such file)"}},
		{name: "nothing anywhere",
			mention: []string{"Options.Library (not set)", "$CDRL_ORT_LIB (not set)", "$ONNXRUNTIME_LIB (not set)",
				filepath.Join(cache, "cdrl-go", "onnxruntime-"+LibraryVersion, "libonnxruntime.so.1"),
				"system library folders"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			if c.explicit == "" && len(c.env) == 0 {
				// The system folders may really hold a library on some machines.
				if p, err := FindLibrary(""); err == nil {
					t.Skipf("a system library exists at %s", p)
				}
			}
			got, err := FindLibrary(c.explicit)
			if err == nil {
				t.Fatalf("FindLibrary(%q) = %s, want an error", c.explicit, got)
			}
			if !errors.Is(err, ErrLibraryNotFound) {
				t.Errorf("error %v does not wrap ErrLibraryNotFound", err)
			}
			msg := err.Error()
			for _, want := range append([]string{hint, "searched:"}, c.mention...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
		})
	}
}

// TestInitBadLibrary checks the error of Init with a missing explicit library. It holds
// whether or not another test already initialised the environment.
func TestInitBadLibrary(t *testing.T) {
	err := Init(Options{Library: filepath.Join(t.TempDir(), "missing.so")})
	if !errors.Is(err, ErrLibraryNotFound) {
		t.Fatalf("Init with a missing library: %v, want ErrLibraryNotFound", err)
	}
	if !strings.Contains(err.Error(), "run `make setup`") {
		t.Errorf("error %q does not say to run make setup", err)
	}
}

// TestInitRetry checks, in a fresh process (the environment is once per process), that Init
// with a file that is not a shared library fails cleanly and that a later Init succeeds.
func TestInitRetry(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestInitRetryChild$", "-test.v")
	cmd.Env = append(os.Environ(), "CDRL_ORT_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestInitRetryChild") {
		t.Fatalf("child process: %v\n%s", err, out)
	}
}

func TestInitRetryChild(t *testing.T) {
	if os.Getenv("CDRL_ORT_TEST_CHILD") != "1" {
		t.Skip("runs only as the child of TestInitRetry")
	}
	if Library() != "" || Version() != "" {
		t.Fatal("environment initialised before the first Init")
	}
	bogus := fakeLib(t, t.TempDir(), "libonnxruntime.so.1")
	if err := Init(Options{Library: bogus}); err == nil {
		t.Fatal("Init with an empty file succeeded")
	} else if !strings.HasPrefix(err.Error(), "ort: load "+bogus+": ") {
		t.Errorf("error %q, want prefix %q", err, "ort: load "+bogus+": ")
	}
	if err := Init(Options{LogLevel: "loud"}); err == nil || !strings.Contains(err.Error(), `unknown log level "loud"`) {
		t.Errorf("Init with a bad log level: %v", err)
	}
	if err := Init(Options{}); err != nil {
		t.Fatalf("Init after failed Inits: %v", err)
	}
	if Version() == "" || Library() == "" {
		t.Errorf("after Init: Version %q, Library %q", Version(), Library())
	}
}

func TestInitSecondLibrary(t *testing.T) {
	if err := Init(Options{}); err != nil {
		t.Fatal(err)
	}
	other := fakeLib(t, t.TempDir(), "other.so")
	if err := Init(Options{Library: other}); err == nil || !strings.Contains(err.Error(), "cannot switch") {
		t.Errorf("Init with another library after Init: %v, want a cannot-switch error", err)
	}
	if err := Init(Options{Library: Library()}); err != nil {
		t.Errorf("Init with the loaded library again: %v", err)
	}
}

func TestLogLevel(t *testing.T) {
	for _, name := range []string{"", "verbose", "info", "warning", "error", "fatal"} {
		if _, err := logLevel(name); err != nil {
			t.Errorf("logLevel(%q): %v", name, err)
		}
	}
	if _, err := logLevel("loud"); err == nil {
		t.Error(`logLevel("loud") succeeded`)
	}
}

func TestReadLdSoConf(t *testing.T) {
	dir := t.TempDir()
	confd := filepath.Join(dir, "ld.so.conf.d")
	if err := os.Mkdir(confd, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "ld.so.conf"), "# comment\ninclude ld.so.conf.d/*.conf\n/opt/a/lib # trailing\n")
	write(filepath.Join(confd, "x.conf"), "/opt/x/lib\n\n/opt/y/lib\n")
	got := readLdSoConf(filepath.Join(dir, "ld.so.conf"), 0)
	want := []string{"/opt/x/lib", "/opt/y/lib", "/opt/a/lib"}
	if strings.Join(got, ":") != strings.Join(want, ":") {
		t.Errorf("readLdSoConf = %v, want %v", got, want)
	}
}

func TestMinorVersion(t *testing.T) {
	for in, want := range map[string]string{"1.24.3": "1.24", "1.24": "1.24", "2": "2"} {
		if got := minorVersion(in); got != want {
			t.Errorf("minorVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMakefileVersion keeps the library version `make setup` installs equal to LibraryVersion,
// where FindLibrary looks for it.
func TestMakefileVersion(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	want := "ORT_VERSION := " + LibraryVersion + "\n"
	if !strings.Contains(string(data), want) {
		t.Errorf("Makefile does not contain %q; keep it and LibraryVersion in step", strings.TrimSpace(want))
	}
}
