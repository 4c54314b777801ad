package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	"github.com/cdrl-go/cdrl/train"
)

// buildBinary compiles cdrl-train once per test binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cdrl-train")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tinyArgs is a fast toy run: small batch, few Langevin steps, one thread (deterministic).
func tinyArgs(out string, iters int) []string {
	return []string{"--data", "toy2d", "--out", out, "--iters", strconv.Itoa(iters), "--batch", "32", "--langevin-steps", "2",
		"--threads", "1", "--log-every", "10", "--checkpoint-every", "50", "--sample-every", "0", "--sample-count", "100"}
}

func latest(t *testing.T, out string) *train.State {
	t.Helper()
	path, err := train.LatestCheckpoint(filepath.Join(out, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := train.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func sameParams(t *testing.T, a, b *train.State) {
	t.Helper()
	if a.Step != b.Step {
		t.Fatalf("steps %d and %d", a.Step, b.Step)
	}
	for i := range a.EBM.Data {
		for j := range a.EBM.Data[i] {
			if a.EBM.Data[i][j] != b.EBM.Data[i][j] {
				t.Fatalf("EBM param %s[%d]: %g vs %g", a.EBM.Names[i], j, a.EBM.Data[i][j], b.EBM.Data[i][j])
			}
		}
	}
	for i := range a.Init.Data {
		for j := range a.Init.Data[i] {
			if a.Init.Data[i][j] != b.Init.Data[i][j] {
				t.Fatalf("initializer param %s[%d]: %g vs %g", a.Init.Names[i], j, a.Init.Data[i][j], b.Init.Data[i][j])
			}
		}
	}
}

// TestKilledRunResumesExactly kills a run (SIGKILL) at five moments drawn at random, checkpoints
// and bundle writes included, resuming it after each, and checks that it reaches bit-identical
// parameters to an uninterrupted run, logs every step once and leaves no temporary file.
func TestKilledRunResumesExactly(t *testing.T) {
	bin := buildBinary(t)
	const iters = 300
	// Checkpoints (and bundle writes) every 10 steps, so kills often land in one.
	args := func(out string) []string { return append(tinyArgs(out, iters), "--checkpoint-every", "10") }
	full := filepath.Join(t.TempDir(), "full")
	if out, err := exec.Command(bin, args(full)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	killed := filepath.Join(t.TempDir(), "killed")
	rng := rand.New(rand.NewPCG(7, 7))
	kills := 0
	for try := 0; kills < 5 && try < 20; try++ {
		a := args(killed)
		if _, err := train.LatestCheckpoint(filepath.Join(killed, "checkpoint")); err == nil {
			a = append(a, "--resume")
		} else if _, err := os.Stat(killed); err == nil {
			a = append(a, "--force") // killed before its first checkpoint: start again
		}
		cmd := exec.Command(bin, a...)
		var log, stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The kill is timed from the start of training, not of the process: starting (building
		// the programs) takes longer on a busy machine, and kills during it test nothing.
		training, scanned := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(scanned)
			sc := bufio.NewScanner(stdout)
			for started := false; sc.Scan(); {
				log.WriteString(sc.Text() + "\n")
				if !started && strings.HasPrefix(sc.Text(), "training ") {
					close(training)
					started = true
				}
			}
		}()
		done := make(chan error, 1)
		go func() {
			<-scanned
			done <- cmd.Wait()
		}()
		delay := time.Duration(200+rng.IntN(600)) * time.Millisecond
		for waiting, kill := true, (<-chan time.Time)(nil); waiting; {
			select {
			case <-training:
				training, kill = nil, time.After(delay)
			case err := <-done:
				if err != nil {
					t.Fatalf("run %d ended with %v before its kill:\n%s%s", try, err, log.String(), stderr.String())
				}
				t.Logf("run %d finished before its kill", try)
				waiting = false
			case <-kill:
				cmd.Process.Kill()
				<-done
				kills++
				waiting = false
			}
		}
		if _, err := train.LatestCheckpoint(filepath.Join(killed, "checkpoint")); err == nil && latest(t, killed).Step >= iters {
			break
		}
	}
	if kills == 0 {
		t.Skip("every run finished before it could be killed")
	}
	out, err := exec.Command(bin, append(args(killed), "--resume")...).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "raise --iters") {
		t.Fatalf("final resume: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "resuming") && !strings.Contains(string(out), "raise --iters") {
		t.Errorf("the final run did not resume:\n%s", out)
	}
	t.Logf("killed %d times, then resumed to the end", kills)
	sameParams(t, latest(t, full), latest(t, killed))
	// metrics.jsonl: the logged steps once each, in order.
	data, err := os.ReadFile(filepath.Join(killed, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m struct {
			Step int `json:"step"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		if m.Step <= last {
			t.Errorf("metrics.jsonl: step %d after step %d", m.Step, last)
		}
		last = m.Step
	}
	if last != iters {
		t.Errorf("metrics.jsonl ends at step %d, want %d", last, iters)
	}
	filepath.WalkDir(killed, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") || strings.HasPrefix(d.Name(), ".model.") {
			t.Errorf("left behind: %s", path)
		}
		return nil
	})
}

// TestInterruptWritesCheckpoint sends SIGINT and checks the run saves its state and exits 130.
func TestInterruptWritesCheckpoint(t *testing.T) {
	bin := buildBinary(t)
	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(bin, tinyArgs(out, 100000)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var log bytes.Buffer
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "step ") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want code 130\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "interrupted at step") {
		t.Errorf("output does not report the interruption:\n%s", log.String())
	}
	if msg := stderr.String(); !strings.Contains(msg, "interrupted; continue with --resume") {
		t.Errorf("stderr %q does not say how to continue", msg)
	}
	st := latest(t, out)
	if st.Step < 10 {
		t.Errorf("checkpoint at step %d, want at least the first logged step", st.Step)
	}
	if _, err := os.Stat(filepath.Join(out, "model", "manifest.json")); err != nil {
		t.Errorf("no bundle after the interruption: %v", err)
	}
}

// TestDivergenceIsReported checks that exploding training stops with the step and the quantity.
func TestDivergenceIsReported(t *testing.T) {
	out := t.TempDir()
	args := append([]string{"cdrl-train"}, tinyArgs(out, 50)...)
	args = append(args, "--ebm-lr", "1e30", "--warmup", "1", "--force")
	var stderr bytes.Buffer
	code := cli.Run(context.Background(), newApp(), args, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "diverged at step") {
		t.Fatalf("exit %d, stderr %q; want a divergence report", code, stderr.String())
	}
}

// TestRunawayEnergyIsReported checks that energies beyond --max-energy stop the run as diverged
// and leave the checkpoints in place.
func TestRunawayEnergyIsReported(t *testing.T) {
	out := t.TempDir()
	args := append([]string{"cdrl-train"}, tinyArgs(out, 120)...)
	args = append(args, "--max-energy", "1e-6", "--force")
	var stderr bytes.Buffer
	code := cli.Run(context.Background(), newApp(), args, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "diverged at step 1") || !strings.Contains(stderr.String(), "--max-energy") {
		t.Fatalf("exit %d, stderr %q; want a divergence report naming --max-energy", code, stderr.String())
	}
}

// TestMinutesEndsRun checks --minutes: the run ends inside its time budget, short of --iters,
// exits 0 and writes its model; a negative budget is refused naming the flag.
func TestMinutesEndsRun(t *testing.T) {
	out := t.TempDir()
	args := append([]string{"cdrl-train"}, tinyArgs(out, 1000000)...)
	var stdout, stderr bytes.Buffer
	app := newApp()
	app.Writer = &stdout
	code := cli.Run(context.Background(), app, append(args, "--minutes", "0.01"), &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	st := latest(t, out)
	if st.Step < 1 || st.Step >= 1000000 || !strings.Contains(stdout.String(), fmt.Sprintf("time limit 600ms reached at step %d", st.Step)) {
		t.Errorf("stopped at step %d; output:\n%s", st.Step, stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "model", "manifest.json")); err != nil {
		t.Error(err)
	}
	stderr.Reset()
	code = cli.Run(context.Background(), newApp(), append(args, "--minutes", "-1", "--force"), &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "--minutes -1") {
		t.Errorf("--minutes -1: exit %d, stderr %q; want an error naming the flag", code, stderr.String())
	}
}

// TestOutFolderRules checks --force/--resume semantics and flag errors.
func TestOutFolderRules(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "keep.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"existing out", tinyArgs(out, 5), "train: --out " + out + ": exists and is not empty; use --resume to continue it or --force to start afresh"},
		{"resume without checkpoint", append(tinyArgs(t.TempDir(), 5), "--resume"), "cdrl-train: train: --resume: no checkpoint in "},
		{"bad data", []string{"--data", "nope", "--out", t.TempDir()}, "nope"},
		{"bad arch", append(tinyArgs(t.TempDir(), 5), "--arch", "huge"), "huge"},
		{"bad batch", append(tinyArgs(t.TempDir(), 5), "--batch", "0"), "train: --batch 0: must be at least 1"},
		{"conditional toy", append(tinyArgs(t.TempDir(), 5), "--conditional"), "--conditional"},
		{"level weights not numbers", append(tinyArgs(t.TempDir(), 5), "--level-weights", "1,x"), `--level-weights "1,x": "x" is not a finite weight`},
		{"level weights count", append(tinyArgs(t.TempDir(), 5), "--level-weights", "1,2"), "one weight per transition (6)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := cli.Run(context.Background(), newApp(), append([]string{"cdrl-train"}, c.args...), &stderr)
			if code == 0 || !strings.Contains(stderr.String(), c.want) || fieldRef.MatchString(stderr.String()) {
				t.Errorf("exit %d, stderr %q; want an error mentioning %q, in flags", code, stderr.String(), c.want)
			}
		})
	}
}

// TestResumeFlags checks what --resume does with the flags given: optimisation flags replace
// the stored values and say so, model-defining flags must match the run, and --data may be left
// out (a new run needs it).
func TestResumeFlags(t *testing.T) {
	out := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		app := newApp()
		app.Writer = &stdout
		code := cli.Run(context.Background(), app, append([]string{"cdrl-train"}, args...), &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, _, stderr := run(tinyArgs(out, 10)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(append(tinyArgs(out, 20), "--resume", "--arch", "toy-official")...); code == 0 ||
		!strings.Contains(stderr, "--arch toy-official: differs from the run's toy-small") {
		t.Errorf("resume with another --arch: exit %d, stderr %q; want an error naming --arch and both values", code, stderr)
	}
	if code, _, stderr := run(append(tinyArgs(out, 20), "--resume", "--seed", "7")...); code == 0 || !strings.Contains(stderr, "--seed 7") {
		t.Errorf("resume with another --seed: exit %d, stderr %q; want an error naming --seed", code, stderr)
	}
	code, stdout, stderr := run("--out", out, "--resume", "--iters", "20", "--langevin-steps", "3", "--batch", "16", "--threads", "1",
		"--level-weights", "1,1,1,3,3,3")
	if code != 0 {
		t.Fatalf("resume without --data: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"changed: --langevin-steps 2 -> 3", "changed: --batch 32 -> 16", "changed: --iters 10 -> 20",
		"changed: --level-weights [] -> [1 1 1 3 3 3]"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("resume output lacks %q:\n%s", want, stdout)
		}
	}
	if st := latest(t, out); st.Step != 20 || st.Config.LangevinSteps != 3 || st.Config.Batch != 16 || st.Config.Data != "toy2d" ||
		len(st.Config.LevelWeights) != 6 {
		t.Errorf("resumed run: step %d, K %d, batch %d, data %q, level weights %v; want 20, 3, 16, toy2d, 6 weights",
			st.Step, st.Config.LangevinSteps, st.Config.Batch, st.Config.Data, st.Config.LevelWeights)
	}
	if code, _, stderr := run("--out", t.TempDir(), "--iters", "5"); code == 0 || !strings.Contains(stderr, "--data is required") {
		t.Errorf("new run without --data: exit %d, stderr %q", code, stderr)
	}
}

// TestResumeTrimsMetrics checks that a resumed run logs every step once.
func TestResumeTrimsMetrics(t *testing.T) {
	out := t.TempDir()
	run := func(args ...string) {
		var stderr bytes.Buffer
		if code := cli.Run(context.Background(), newApp(), append([]string{"cdrl-train"}, args...), &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	run(append(tinyArgs(out, 60), "--force")...)
	// A killed run would have logged beyond its last checkpoint (step 60): simulate it.
	f, err := os.OpenFile(filepath.Join(out, "metrics.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{\"step\":70}\n")
	f.Close()
	run(append(tinyArgs(out, 80), "--resume")...)
	data, err := os.ReadFile(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		step := strings.SplitN(strings.TrimPrefix(line, "{\"step\":"), ",", 2)[0]
		seen[step]++
		if seen[step] > 1 {
			t.Errorf("step %s logged twice:\n%s", step, data)
		}
	}
	if seen["80"] != 1 || seen["70"] != 1 {
		t.Errorf("steps 70 and 80 should be logged once each by the resumed run:\n%s", data)
	}
}

// TestTrainUserGraphs trains a PyTorch-exported EBM and initializer and checks that their
// weights change and come back in a bundle that samples.
func TestTrainUserGraphs(t *testing.T) {
	out := t.TempDir()
	args := append([]string{"cdrl-train"}, tinyArgs(out, 20)...)
	args = append(args, "--force", "--ebm", "../../testdata/torch/mlp_opset13.onnx", "--initializer", "../../testdata/torch/init_mlp_opset17.onnx")
	var stderr, stdout bytes.Buffer
	app := newApp()
	app.Writer = &stdout
	if code := cli.Run(context.Background(), app, args, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	st := latest(t, out)
	im, err := onnx.ImportFile("../../testdata/torch/mlp_opset13.onnx", onnx.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for _, p := range im.Params {
		i := st.EBM.Index("ebm/" + p.Name())
		if i < 0 {
			t.Fatalf("the checkpoint lacks the graph's param %s (has %v)", p.Name(), st.EBM.Names)
		}
		orig := p.Node().Attrs.Tensor("value").Float32
		for j := range orig {
			if orig[j] != st.EBM.Data[i][j] {
				changed++
				break
			}
		}
	}
	if changed == 0 {
		t.Error("training changed none of the EBM graph's weights")
	}
	if _, err := os.Stat(filepath.Join(out, "model", "energy.onnx")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "samples", "step-000020.png")); err != nil {
		t.Errorf("no sample picture: %v", err)
	}
	bad := append([]string{"cdrl-train"}, tinyArgs(t.TempDir(), 5)...)
	bad = append(bad, "--ebm", "../../testdata/torch/conv_opset17.onnx", "--initializer", "../../testdata/torch/init_mlp_opset17.onnx")
	stderr.Reset()
	if code := cli.Run(context.Background(), newApp(), bad, &stderr); code == 0 || !strings.Contains(stderr.String(), "conv_opset17.onnx") {
		t.Errorf("an image EBM on 2-D data: exit %d, %q; want an error naming the file", code, stderr.String())
	}
}

// TestHelpShowsDefaults checks that --help states the data-dependent defaults of train.Defaults.
func TestHelpShowsDefaults(t *testing.T) {
	var stdout, stderr bytes.Buffer
	app := newApp()
	app.Writer = &stdout
	if code := cli.Run(context.Background(), app, []string{"cdrl-train", "--help"}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"(default: 512 for 2-D data, 32 for images)", "(default: 0.1)", "(default: 15 for 2-D data, 10 for images)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestArchDefaults checks which settings a run starts from: the cifar10 presets bring the
// paper's CIFAR-10 training settings, cifar10 data picks the cifar10 preset without --arch, and
// flags still override.
func TestArchDefaults(t *testing.T) {
	for _, tc := range []struct {
		args                   []string
		arch                   string
		batch, steps, initWarm int
		ebmLR, initLR, ema     float64
	}{
		{[]string{"--data", "cifar10:/data/cifar"}, "cifar10", 256, 15, 500, 1e-4, 1e-5, 0.9999},
		{[]string{"--data", "images:/data/faces@32x32", "--arch", "cifar10-large"}, "cifar10-large", 256, 15, 500, 1e-4, 1e-5, 0.9999},
		{[]string{"--data", "cifar10:/data/cifar", "--batch", "32", "--ebm-lr", "5e-5"}, "cifar10", 32, 15, 500, 5e-5, 1e-5, 0.9999},
		{[]string{"--data", "mnist"}, "mnist-s", 32, 10, 10, 1e-4, 2e-4, 0.999},
		{[]string{"--data", "mnist", "--arch", "mnist-peer"}, "mnist-peer", 32, 10, 10, 1e-4, 2e-4, 0.999},
	} {
		app := newApp()
		var cfg train.Config
		var cfgErr error
		app.Action = func(c *ucli.Context) error {
			cfg, cfgErr = configFrom(c)
			return cfgErr
		}
		var stderr bytes.Buffer
		args := append([]string{"cdrl-train", "--out", t.TempDir()}, tc.args...)
		if code := cli.Run(context.Background(), app, args, &stderr); code != 0 || cfgErr != nil {
			t.Fatalf("%v: exit %d, %v: %s", tc.args, code, cfgErr, stderr.String())
		}
		got := []any{cfg.Arch, cfg.Batch, cfg.LangevinSteps, cfg.InitWarmupOffset, cfg.EBMLR, cfg.InitLR, cfg.EMA}
		want := []any{tc.arch, tc.batch, tc.steps, tc.initWarm, tc.ebmLR, tc.initLR, tc.ema}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v: arch, batch, K, init warmup offset, lrs, EMA = %v, want %v", tc.args, got, want)
		}
	}
}

// noFlag lists the train.Config and train.Options fields that cdrl-train has no flag for.
var noFlag = map[string]bool{
	"Config.LogSNRMin": true, "Config.LogSNRMax": true, "Config.StepMode": true, // the preset's schedule and step sizes
	"Config.InitWarmupOffset": true, // the preset's
	"Config.FusedSet":         true, // whether --fused was given
	"Options.Set":             true, "Options.Session": true, "Options.Stdout": true, "Options.Group": true,
}

// TestSettingFlagsComplete checks that every field of train.Config and train.Options is either
// in settingFlags, with a flag that exists, or in noFlag, and not both.
func TestSettingFlagsComplete(t *testing.T) {
	flags := map[string]bool{}
	for _, f := range newApp().Flags {
		for _, name := range f.Names() {
			flags[name] = true
		}
	}
	fields := map[string]bool{}
	for _, typ := range []reflect.Type{reflect.TypeOf(train.Config{}), reflect.TypeOf(train.Options{})} {
		for i := range typ.NumField() {
			field := typ.Name() + "." + typ.Field(i).Name
			fields[field] = true
			flag, ok := settingFlags[field]
			switch {
			case ok && noFlag[field]:
				t.Errorf("%s is in settingFlags (--%s) and in noFlag", field, flag)
			case ok && !flags[flag]:
				t.Errorf("%s maps to --%s, which cdrl-train does not declare", field, flag)
			case !ok && !noFlag[field]:
				t.Errorf("%s is in neither settingFlags nor noFlag", field)
			}
		}
	}
	for field := range settingFlags {
		if !fields[field] {
			t.Errorf("settingFlags names %s, which is not a field of train.Config or train.Options", field)
		}
	}
	for field := range noFlag {
		if !fields[field] {
			t.Errorf("noFlag names %s, which is not a field of train.Config or train.Options", field)
		}
	}
}

// TestFlagWords checks the rewriting of train's field references into flags.
func TestFlagWords(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"train: Config.Batch 0: must be at least 1", "train: --batch 0: must be at least 1"},
		{"train: Options.Out runs/x: exists and is not empty; use Options.Resume to continue it or Options.Force to start afresh",
			"train: --out runs/x: exists and is not empty; use --resume to continue it or --force to start afresh"},
		{"exceed Config.MaxEnergy 1e-06; continue with Options.Resume and a lower Config.EBMLR",
			"exceed --max-energy 1e-06; continue with --resume and a lower --ebm-lr"},
		{"changed: Config.EBMWarmup 200 -> 1", "changed: --warmup 200 -> 1"},
		{"Config.InitWarmupOffset 5, Config.LogSNRMin 9: no flags", "Config.InitWarmupOffset 5, Config.LogSNRMin 9: no flags"},
		{"MyConfig.Batch, Config.Batches", "MyConfig.Batch, Config.Batches"},
		{"nothing to rewrite", "nothing to rewrite"},
	} {
		if got := flagWords(c.in); got != c.want {
			t.Errorf("flagWords(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	var b bytes.Buffer
	w := flagWriter{&b}
	for _, line := range []string{"resuming at step 3\n", "  changed: Config.Iters 3 -> 5\n"} {
		if n, err := w.Write([]byte(line)); n != len(line) || err != nil {
			t.Errorf("Write(%q) = %d, %v; want %d, nil", line, n, err, len(line))
		}
	}
	if want := "resuming at step 3\n  changed: --iters 3 -> 5\n"; b.String() != want {
		t.Errorf("flagWriter wrote %q, want %q", b.String(), want)
	}
	err := flagError{fmt.Errorf("train: Options.Out runs/x: %w", train.ErrLocked)}
	if !errors.Is(err, train.ErrLocked) || err.Error() != "train: --out runs/x: the run folder is in use" {
		t.Errorf("flagError %q: want it to read in flags and to wrap train.ErrLocked", err)
	}
}
