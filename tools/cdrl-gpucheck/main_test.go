package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/tools/internal/benchjson"
	"github.com/cdrl-go/cdrl/train"
)

// testLib is a copy of the installed ONNX Runtime library in a folder of its own, which every
// test of the package loads (one process loads one library), so that --assemble can place a
// provider beside it; "" when none is installed.
var testLib string

func TestMain(m *testing.M) {
	code := func() int {
		lib, err := ort.FindLibrary("")
		if err != nil {
			return m.Run() // the tests that need it skip
		}
		dir, err := os.MkdirTemp("", "cdrl-gpucheck-test-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		data, err := os.ReadFile(lib)
		if err != nil {
			panic(err)
		}
		testLib = filepath.Join(dir, "libonnxruntime.so.1")
		if err := os.WriteFile(testLib, data, 0o644); err != nil {
			panic(err)
		}
		if err := ort.Init(ort.Options{Library: testLib}); err != nil {
			panic(err)
		}
		return m.Run()
	}()
	os.Exit(code)
}

// needLibrary skips a test when no ONNX Runtime library is installed (`make setup`).
func needLibrary(t *testing.T) {
	t.Helper()
	if testLib == "" {
		t.Skip("no ONNX Runtime library; run `make setup`")
	}
}

// TestNoCUDA runs the command as on a GPU machine without Go (--ort-lib, --assemble) but with
// a core library that has no CUDA provider bridge beside it: every check is reported "not
// run", the reason names the library ORT could not load, and the exit code is 2.
func TestNoCUDA(t *testing.T) {
	needLibrary(t)
	parts := t.TempDir()
	provider := []byte("not really a provider library")
	splitFile(t, parts, providerFile, provider, 16)
	sum := sha256.Sum256(provider)
	out := filepath.Join(t.TempDir(), "sub", "report.md")
	var stdout, stderr bytes.Buffer
	code := runApp(context.Background(), []string{"cdrl-gpucheck", "--threads", "1", "--out", out,
		"--ort-lib", testLib, "--assemble", parts, "--provider-sha256", hex.EncodeToString(sum[:])}, &stdout, &stderr)
	report := stdout.String()
	if code != exitNoGPU {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitNoGPU, report, stderr.String())
	}
	want := "cdrl-gpucheck: not run: no GPU available: ort: cuda:0 provider unavailable: "
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if got := lines[len(lines)-1]; !strings.HasPrefix(got, want) {
		t.Errorf("stderr ends with %q, want a line starting with %q", got, want)
	}
	if strings.Contains(stderr.String(), "hint: use --device cpu") {
		t.Errorf("stderr %q suggests the CPU, which checks no GPU", stderr.String())
	}
	for _, want := range []string{
		"| provider library | " + filepath.Join(filepath.Dir(testLib), providerFile) + " joined from 2 parts of " + parts + " (sha256 ",
		"| CUDA provider (cuda) | does not load |",
		"| sampling: cpu vs cuda | not run | no GPU available |",
		"| training stepped from Go on cuda | not run | no GPU available |",
		"| training fused on cuda | not run | no GPU available |",
		"**not run: no GPU available**: ort: cuda:0 provider unavailable: ",
		// ORT names the library it could not open, and the hint what to do about it.
		sharedProviderFile + ": cannot open shared object file",
		"hint: " + testLib + " has no " + sharedProviderFile + " beside it",
		"run `make setup-gpu`",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != report {
		t.Errorf("--out holds\n%s\nwant the printed report\n%s", written, report)
	}
}

// TestFlagErrors checks that bad flags fail before anything is loaded, naming the flag.
func TestFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--device", "cpu"}, `--device "cpu": the check compares the CPU with a CUDA device`},
		{[]string{"--device", "auto"}, `--device "auto"`},
		{[]string{"--iters", "2"}, "--iters 2: want more than the 2 iterations"},
		{[]string{"--n", "0"}, "--n 0"},
		{[]string{"--tolerance", "0"}, "--tolerance 0"},
		{[]string{"--arch", "toy-small"}, `--arch "toy-small": want a preset for images`},
		{[]string{"--peer-dir", "/no/such/folder"}, "--peer-dir /no/such/folder: not a folder"},
		{[]string{"--assemble", "parts"}, "--assemble needs --ort-lib"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runApp(context.Background(), append([]string{"cdrl-gpucheck"}, c.args...), &stdout, &stderr)
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), c.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

// splitFile writes data into dir as name.part-00, name.part-01, ... of at most size bytes,
// as `split -b SIZE -d -a 2` does.
func splitFile(t *testing.T, dir, name string, data []byte, size int) []string {
	t.Helper()
	var paths []string
	for i := 0; len(data) > 0; i++ {
		n := min(size, len(data))
		p := filepath.Join(dir, name+partMarker+twoDigits(i))
		if err := os.WriteFile(p, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		data = data[n:]
	}
	return paths
}

func twoDigits(i int) string { return string([]byte{byte('0' + i/10), byte('0' + i%10)}) }

func TestAssemble(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	data := make([]byte, 10_000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])

	cases := []struct {
		name    string
		damage  func(t *testing.T, parts []string) // spoils the parts, or nil
		errWant string                             // "" when the assembly must succeed
	}{
		{"good", nil, ""},
		{"corrupted part", func(t *testing.T, parts []string) {
			b, _ := os.ReadFile(parts[1])
			b[17] ^= 0x40
			os.WriteFile(parts[1], b, 0o644)
		}, "checksum mismatch: the 3 parts join to sha256 "},
		{"truncated part", func(t *testing.T, parts []string) {
			b, _ := os.ReadFile(parts[2])
			os.WriteFile(parts[2], b[:len(b)-1], 0o644)
		}, "checksum mismatch"},
		{"missing part", func(t *testing.T, parts []string) { os.Remove(parts[1]) }, "part 1 of " + providerFile + " is missing"},
		{"no parts", func(t *testing.T, parts []string) {
			for _, p := range parts {
				os.Remove(p)
			}
		}, "no *.part-NN files"},
		{"two files", func(t *testing.T, parts []string) {
			os.WriteFile(filepath.Join(filepath.Dir(parts[0]), "other.so.part-00"), []byte("x"), 0o644)
		}, "parts of two files"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts := t.TempDir()
			lib := t.TempDir()
			dst := filepath.Join(lib, providerFile)
			paths := splitFile(t, parts, providerFile, data, 4000)
			if c.damage != nil {
				c.damage(t, paths)
			}
			n, err := assembleProvider(dst, parts, want)
			if c.errWant != "" {
				if err == nil || !strings.Contains(err.Error(), c.errWant) {
					t.Fatalf("error %v, want one containing %q", err, c.errWant)
				}
				if c.errWant == "checksum mismatch" && !errors.Is(err, errChecksum) {
					t.Errorf("error %v does not match errChecksum", err)
				}
				if entries, _ := os.ReadDir(lib); len(entries) != 0 {
					t.Errorf("a failed assembly left %v in the library folder", entries)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Errorf("joined %d parts, want 3", n)
			}
			got, err := os.ReadFile(dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("assembled %d bytes that differ from the %d bytes split", len(got), len(data))
			}
			// A second run finds the file in place and joins nothing.
			if n, err := assembleProvider(dst, parts, want); err != nil || n != 0 {
				t.Errorf("second assembly: %d parts, error %v; want 0, nil", n, err)
			}
		})
	}

	t.Run("wrong file kept", func(t *testing.T) {
		parts, lib := t.TempDir(), t.TempDir()
		dst := filepath.Join(lib, providerFile)
		os.WriteFile(dst, []byte("old"), 0o644)
		paths := splitFile(t, parts, providerFile, data, 4000)
		os.Remove(paths[2])
		if _, err := assembleProvider(dst, parts, strings.ToUpper(want)); err == nil {
			t.Fatal("no error for a missing last part")
		}
		os.WriteFile(paths[2], []byte("not the tail"), 0o644)
		if _, err := assembleProvider(dst, parts, want); !errors.Is(err, errChecksum) {
			t.Fatalf("error %v, want a checksum mismatch", err)
		}
		if got, _ := os.ReadFile(dst); string(got) != "old" {
			t.Errorf("the library folder's file became %q, want it left as %q", got, "old")
		}
	})

	if _, err := assembleProvider(filepath.Join(t.TempDir(), providerFile), t.TempDir(), "abc"); err == nil || !strings.Contains(err.Error(), "--provider-sha256") {
		t.Errorf("error %v, want one naming --provider-sha256", err)
	}
}

// TestPinsMatchMakefile keeps the provider's sha256 and the setup-gpu folder equal to the
// Makefile's pins.
func TestPinsMatchMakefile(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`provider:[^:\s]+:` + regexp.QuoteMeta(providerFile) + `:([0-9a-f]{64})`).FindSubmatch(mk)
	if m == nil {
		t.Fatalf("the Makefile pins no sha256 for %s", providerFile)
	}
	if got := string(m[1]); got != providerSHA256 {
		t.Errorf("the Makefile pins sha256 %s for %s, providerSHA256 is %s", got, providerFile, providerSHA256)
	}
	v := regexp.MustCompile(`(?m)^ORT_GPU_VERSION := (\S+)$`).FindSubmatch(mk)
	if v == nil || !strings.Contains(gpuLibrary, "onnxruntime-gpu-"+string(v[1])+"/") {
		t.Errorf("gpuLibrary %s does not match the Makefile's ORT_GPU_VERSION %q", gpuLibrary, v)
	}
}

func TestCompare(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name      string
		ref, test []float32
		want      diffStats
	}{
		{"equal", []float32{1, -1, 0.5}, []float32{1, -1, 0.5}, diffStats{}},
		// diff (0, 0.2, 0, 0): max 0.2, ||d|| = 0.2, ||ref|| = 2, one of four above 0.1.
		{"one off", []float32{1, 1, -1, -1}, []float32{1, 1.2, -1, -1}, diffStats{MaxAbs: 0.2, RelL2: 0.1, Over: 0.25}},
		// diff (0.05, -0.05): nothing above 0.1, ||d|| = 0.05*sqrt(2), ||ref|| = 0.5*sqrt(2).
		{"small", []float32{0.5, 0.5}, []float32{0.55, 0.45}, diffStats{MaxAbs: 0.05, RelL2: 0.1}},
		{"zero reference", []float32{0, 0}, []float32{0.3, 0.4}, diffStats{MaxAbs: 0.4, RelL2: 0.5, Over: 1}},
	}
	for _, c := range cases {
		got := compare(c.ref, c.test)
		near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
		if !near(got.MaxAbs, c.want.MaxAbs) || !near(got.RelL2, c.want.RelL2) || !near(got.Over, c.want.Over) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
	got := compare([]float32{1, 2}, []float32{1, nan})
	if !math.IsNaN(got.RelL2) || !math.IsNaN(got.MaxAbs) || got.Over != 0.5 {
		t.Errorf("with a NaN: got %+v, want NaN differences and the NaN counted", got)
	}
	s := samplingResult{Tolerance: 1e-2, Diff: got}
	if s.pass() {
		t.Error("a NaN sample passes")
	}
}

func TestSummarise(t *testing.T) {
	// Seconds are the wall time at each step; traffic is per iteration.
	var ms []train.Metrics
	for i, sec := range []float64{5, 6, 6.5, 7.0, 7.5} {
		m := train.Metrics{Step: i + 1, Seconds: sec}
		m.Traffic = ort.Traffic{Runs: 3, BytesIn: int64(1e6 * (i + 1)), BytesOut: 2e6}
		ms = append(ms, m)
	}
	got, err := summarise(ms, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Steps 3-5: (7.5 - 6) / 3 s each, (3 + 4 + 5) / 3 MB in, 2 MB out.
	want := trainingFigures{SecondsPerIter: 0.5, MBIn: 4, MBOut: 2}
	if math.Abs(got.SecondsPerIter-want.SecondsPerIter) > 1e-9 || math.Abs(got.MBIn-want.MBIn) > 1e-9 || math.Abs(got.MBOut-want.MBOut) > 1e-9 {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := summarise(ms[:2], 2); err == nil {
		t.Error("no error for a run no longer than the warm-up")
	}
	if _, err := summarise(append(ms[:1:1], ms[2:]...), 2); err == nil || !strings.Contains(err.Error(), "one line per iteration") {
		t.Errorf("error %v for a missing step, want one asking for one line per iteration", err)
	}
}

func TestParseNvidiaSMI(t *testing.T) {
	csv := "name, memory.total [MiB]\nNVIDIA H100 80GB HBM3, 81559 MiB\nNVIDIA H100 80GB HBM3, 81559 MiB\n"
	if got, want := parseNvidiaSMI(csv), "NVIDIA H100 80GB HBM3, 81559 MiB; NVIDIA H100 80GB HBM3, 81559 MiB"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := parseNvidiaSMI("name, memory.total [MiB]\n"), "nvidia-smi lists no GPU"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestReportMarkdown pins the layout of a report in which everything ran.
func TestReportMarkdown(t *testing.T) {
	r := &report{
		Device: "cuda:0", ORTVersion: "1.29.0", ORTLibrary: "/ort/libonnxruntime.so.1", CUDA: "loads",
		GPUs:      "NVIDIA H100 80GB HBM3, 81559 MiB",
		Assembled: "/ort/libonnxruntime_providers_cuda.so joined from 4 parts of parts (sha256 56cf3254b118... ok)",
		Sampling: &samplingResult{
			Device: "cuda:0", Model: "mnist", N: 16, Class: "3", Steps: 10, Levels: 6, Seed: 1, Tolerance: 2e-2,
			CPU: 3210 * time.Millisecond, GPU: 1500 * time.Millisecond, GPURerun: 250 * time.Millisecond,
			Diff: diffStats{MaxAbs: 0.0123, RelL2: 3.21e-4, Over: 0.0025}, Rerun: diffStats{},
		},
		Training: []trainingResult{
			{Device: "cuda:0", Arch: "cifar10", Shape: [3]int{3, 32, 32}, Batch: 256, Iters: 20, Figures: trainingFigures{0.4123, 12.34, 4.56}, Total: 15 * time.Second},
			{Device: "cuda:0", Fused: true, Arch: "cifar10", Shape: [3]int{3, 32, 32}, Batch: 256, Iters: 20, Err: errors.New("train: boom | bang"), Total: 2 * time.Second},
		},
		Peer: &peerResult{Note: "no PyTorch cifar10 reference in ../shared/bench (it has peer_mnist.py, peer_toy.py; none trains the cifar10 networks with --bench and --device)"},
	}
	r.Checks = append(r.Checks, r.Sampling.check(), r.Training[0].check("cuda:0"), r.Training[1].check("cuda:0"), r.Peer.check())
	want := `# cdrl-gpucheck

| environment | |
|---|---|
| ONNX Runtime | 1.29.0, /ort/libonnxruntime.so.1 |
| CUDA provider (cuda:0) | loads |
| GPU (nvidia-smi) | NVIDIA H100 80GB HBM3, 81559 MiB |
| provider library | /ort/libonnxruntime_providers_cuda.so joined from 4 parts of parts (sha256 56cf3254b118... ok) |

| check | result | details |
|---|---|---|
| sampling: cpu vs cuda:0 | pass | relative L2 3.2e-04 <= 2.0e-02; max abs 1.2e-02; 0.25% of pixels differ by > 0.1 |
| training stepped from Go on cuda:0 | pass | 0.412 s/it, 12.3 MB in and 4.6 MB out per iteration |
| training fused on cuda:0 | FAIL | train: boom \| bang |
| PyTorch cifar10 reference on CUDA | not run | no PyTorch cifar10 reference in ../shared/bench (it has peer_mnist.py, peer_toy.py; none trains the cifar10 networks with --bench and --device) |

## Sampling

mnist, 16 samples of class 3, 6 levels x 10 Langevin steps, seed 1; one Sample call each:

| device | time |
|---|---|
| cpu (one thread per core) | 3.21 s |
| cuda:0, first run | 1.50 s |
| cuda:0, second run | 0.25 s |

cuda:0 against cpu: relative L2 3.2e-04 (tolerance 2.0e-02), max abs 1.2e-02, 0.25% of pixels differ by > 0.1. cuda:0 against itself (second run against the first): relative L2 0, max abs 0.

## Training

cifar10, batch 256, 20 iterations on random 3x32x32 images on cuda:0; per iteration over iterations 3-20 (MB = 10^6 bytes handed to ONNX Runtime and taken back, the host-device copies):

| mode | s/it | MB in/it | MB out/it | whole run |
|---|---|---|---|---|
| stepped from Go | 0.412 | 12.3 | 4.6 | 15.00 s |
| fused | failed | - | - | 2.00 s |
`
	if got := r.Markdown(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	failing := *r.Sampling
	failing.Diff.RelL2 = 0.5
	if c := failing.check(); c.Status != statusFail || !strings.HasPrefix(c.Detail, "relative L2 5.0e-01 > 2.0e-02;") {
		t.Errorf("a relative L2 of 0.5 gives %+v, want a failure stating it", c)
	}
}

// TestPeer finds no cifar10 reference among the project's kind of scripts, and runs one
// that has the options through a stand-in Python.
func TestPeer(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "peer_mnist.py"), []byte(`ap.add_argument("--bench")`), 0o644)
	os.WriteFile(filepath.Join(dir, "peer_cifar10_old.py"), []byte(`ap.add_argument("--bench")  # CPU only`), 0o644)
	p := runPeer(context.Background(), "python3", dir, "cuda:0", 256, io.Discard)
	if c := p.check(); c.Status != statusNotRun || !strings.HasPrefix(c.Detail, "no PyTorch cifar10 reference in "+dir+" (it has peer_cifar10_old.py, peer_mnist.py;") {
		t.Errorf("got %+v, want a plain not-run row", c)
	}

	os.WriteFile(filepath.Join(dir, "peer_cifar10.py"), []byte(`ap.add_argument("--bench"); ap.add_argument("--device")`), 0o644)
	python := filepath.Join(t.TempDir(), "python")
	// The stand-in answers the torch probe with its first argument -c, and prints its other
	// arguments and a BENCH_JSON line otherwise.
	script := "#!/bin/sh\n[ \"$1\" = -c ] && exit 0\necho \"args: $*\"\necho 'BENCH_JSON {\"table\": {\"train_iter_s\": 0.25, \"sample64_s\": NaN}}'\n"
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p = runPeer(context.Background(), python, dir, "cuda:0", 128, io.Discard)
	if c := p.check(); c.Status != statusPass || c.Detail != "peer_cifar10.py: 0.250 s/it" {
		t.Errorf("got %+v, want peer_cifar10.py at 0.250 s/it", c)
	}

	os.WriteFile(python, []byte("#!/bin/sh\n[ \"$1\" = -c ] && exit 3\nexit 0\n"), 0o755)
	p = runPeer(context.Background(), python, dir, "cuda:0", 128, io.Discard)
	if c := p.check(); c.Status != statusNotRun || !strings.HasSuffix(c.Detail, "PyTorch sees no CUDA device") {
		t.Errorf("got %+v, want a not-run row saying PyTorch sees no GPU", c)
	}
	if _, err := benchjson.Read("BENCH_JSON {\"table\": {}}\n", peerKey); err == nil {
		t.Error("no error for a BENCH_JSON line without " + peerKey)
	}
}

// TestPipelineOnCPU runs the sampling and training checks with the CPU in the GPU's place, on
// small sizes, so that the GPU run meets no error a CPU can show.
func TestPipelineOnCPU(t *testing.T) {
	needLibrary(t)
	cpu := ort.SessionConfig{Provider: ort.ProviderCPU, IntraOpThreads: 1, InterOpThreads: 1}
	ctx := context.Background()
	o := options{Model: "mnist", N: 2, Class: "3", Steps: 1, Seed: 1, Tolerance: defaultTolerance, Arch: "mnist-s", Batch: 4, Iters: 3}
	s, err := checkSampling(ctx, o, cpu, cpu)
	if err != nil {
		t.Fatal(err)
	}
	if s.Diff != (diffStats{}) || s.Rerun != (diffStats{}) || !s.pass() {
		t.Errorf("the same device twice differs: %+v, %+v", s.Diff, s.Rerun)
	}
	if s.Steps != 1 || s.Levels != 6 || s.CPU <= 0 || s.GPU <= 0 {
		t.Errorf("got %+v, want 1 step, 6 levels and positive times", s)
	}
	if testing.Short() {
		t.Skip("training skipped in -short mode")
	}
	results, err := checkTraining(ctx, o, cpu, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Fused || !results[1].Fused {
		t.Fatalf("got %+v, want a stepped run and a fused one", results)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("%s: %v", modeName(r.Fused), r.Err)
		}
		if f := r.Figures; !(f.SecondsPerIter > 0) || !(f.MBIn > 0) || !(f.MBOut > 0) {
			t.Errorf("%s: figures %+v, want positive seconds and traffic", modeName(r.Fused), f)
		}
	}
	r := &report{Device: "cpu", Sampling: s, Training: results}
	md := r.Markdown()
	for _, want := range []string{"| cpu, second run | ", "mnist-s, batch 4, 3 iterations on random 1x28x28 images on cpu", "| stepped from Go | ", "| fused | "} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	t.Logf("report:\n%s", md)
	// Fusing hands the chain over once instead of once per Langevin step and takes back no
	// per-step gradients. (On the CPU the stepped run takes the EBM's weights baked in, once
	// per iteration like the fused one; on CUDA it feeds them to every step.)
	f0, f1 := results[0].Figures, results[1].Figures
	if !(f1.MBIn+f1.MBOut < f0.MBIn+f0.MBOut) {
		t.Errorf("fused run: %.2f + %.2f MB in and out per iteration, stepped %.2f + %.2f; want less when fused", f1.MBIn, f1.MBOut, f0.MBIn, f0.MBOut)
	}
}
