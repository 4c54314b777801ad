package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/train"
)

// The data-parallel tests run the real binaries under Open MPI's mpirun, two processes on this
// machine (--oversubscribe: CI machines have two cores). They skip where Open MPI is not
// installed (make setup-mpi installs it).

var (
	mpiBinOnce sync.Once
	mpiBin     string
	mpiBinErr  error
)

// mpirun returns the launcher's path and the environment that lets it run as root, or skips.
func mpirun(t *testing.T) (string, []string) {
	t.Helper()
	path, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skip("mpirun not found: install Open MPI (make setup-mpi, or apt-get install openmpi-bin libopenmpi-dev)")
	}
	if err := exec.Command("pkg-config", "--exists", "ompi-c").Run(); err != nil {
		t.Skip("Open MPI's development files not found (pkg-config ompi-c): apt-get install libopenmpi-dev")
	}
	return path, append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
}

// buildMPIBinary compiles cdrl-train with MPI support once per test binary.
func buildMPIBinary(t *testing.T) string {
	t.Helper()
	mpiBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cdrl-train-mpi")
		if err != nil {
			mpiBinErr = err
			return
		}
		mpiBin = filepath.Join(dir, "cdrl-train")
		if out, err := exec.Command("go", "build", "-tags", "mpi", "-o", mpiBin, ".").CombinedOutput(); err != nil {
			mpiBinErr = fmt.Errorf("go build -tags mpi: %v\n%s", err, out)
		}
	})
	if mpiBinErr != nil {
		t.Fatal(mpiBinErr)
	}
	return mpiBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if mpiBin != "" {
		os.RemoveAll(filepath.Dir(mpiBin))
	}
	os.Exit(code)
}

// runMPI runs bin with args as np processes under mpirun and returns the combined output.
func runMPI(t *testing.T, np int, bin string, args ...string) (string, error) {
	t.Helper()
	launcher, env := mpirun(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, launcher, append([]string{"--oversubscribe", "-np", strconv.Itoa(np), bin}, args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mpiJob is an mpirun job running in the background, its output collected.
type mpiJob struct {
	cmd  *exec.Cmd
	done chan error
	mu   sync.Mutex
	out  bytes.Buffer
}

// Write collects the job's output (the command's stdout and stderr copy into it concurrently).
func (j *mpiJob) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.out.Write(p)
}

func (j *mpiJob) log() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.out.String()
}

// startMPI starts bin with args as np processes under mpirun; the job is killed at the end of
// the test if it still runs.
func startMPI(t *testing.T, np int, bin string, args ...string) *mpiJob {
	t.Helper()
	launcher, env := mpirun(t)
	j := &mpiJob{cmd: exec.Command(launcher, append([]string{"--oversubscribe", "-np", strconv.Itoa(np), bin}, args...)...), done: make(chan error, 1)}
	j.cmd.Env, j.cmd.Stdout, j.cmd.Stderr = env, j, j
	if err := j.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { j.done <- j.cmd.Wait() }()
	t.Cleanup(func() { j.cmd.Process.Kill() })
	return j
}

// waitFor polls cond for up to 2 minutes and fails the test, naming what it waited for, when
// it does not hold by then.
func (j *mpiJob) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 2 minutes:\n%s", what, j.log())
		}
	}
}

// end returns the job's exit error, failing the test when the job still runs 60 s after the
// event it should end on.
func (j *mpiJob) end(t *testing.T, after string) error {
	t.Helper()
	select {
	case err := <-j.done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("the job still runs 60 s after %s:\n%s", after, j.log())
		return nil
	}
}

// relDiff is ||a - b|| / ||b|| over all parameters of both networks; worst names the
// parameter tensor with the largest relative difference.
func relDiff(a, b *train.State) (rel float64, worst string) {
	var num, den, worstRel float64
	for _, net := range [][2]*struct {
		names []string
		data  [][]float32
	}{{{a.EBM.Names, a.EBM.Data}, {b.EBM.Names, b.EBM.Data}}, {{a.Init.Names, a.Init.Data}, {b.Init.Names, b.Init.Data}}} {
		for i := range net[0].data {
			var n, d float64
			for j, x := range net[0].data[i] {
				y := float64(net[1].data[i][j])
				n += (float64(x) - y) * (float64(x) - y)
				d += y * y
			}
			num, den = num+n, den+d
			if r := math.Sqrt(n / max(d, 1e-30)); r > worstRel {
				worstRel, worst = r, fmt.Sprintf("%s (%.2e)", net[0].names[i], r)
			}
		}
	}
	return math.Sqrt(num / den), worst
}

// metricSteps returns the steps of metrics.jsonl in order and checks every line's world size.
func metricSteps(t *testing.T, out string, world int) []int {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m train.Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("metrics.jsonl: %v", err)
		}
		if m.WorldSize != world {
			t.Errorf("metrics.jsonl step %d: world_size %d, want %d", m.Step, m.WorldSize, world)
		}
		steps = append(steps, m.Step)
	}
	return steps
}

// TestMPIRunEqualsOneProcess checks that two ranks with --batch B train the run that one
// process trains with --batch 2B and the same seed (up to summation order), for the toy model
// and a class-conditional MNIST tier S (dropout and label dropout included); that the ranks
// agree bit for bit (they compare parameter checksums at every checkpoint and stop otherwise);
// and that rank 0 alone writes (every step once in metrics.jsonl, with world_size 2).
func TestMPIRunEqualsOneProcess(t *testing.T) {
	mpirun(t)
	bin := buildMPIBinary(t)
	cases := []struct {
		name  string
		args  []string
		batch int
		iters int
	}{
		{"toy", []string{"--data", "toy2d", "--langevin-steps", "5"}, 32, 20},
		{"mnist-s conditional", []string{"--data", "mnist", "--conditional", "--langevin-steps", "2"}, 4, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			common := append(append([]string(nil), c.args...), "--iters", strconv.Itoa(c.iters), "--threads", "1", "--log-every", "1",
				"--checkpoint-every", "2", "--sample-every", "0", "--sample-count", "10")
			one, two := filepath.Join(dir, "one"), filepath.Join(dir, "two")
			if out, err := exec.Command(bin, append(common, "--out", one, "--batch", strconv.Itoa(2*c.batch))...).CombinedOutput(); err != nil {
				t.Fatalf("one process: %v\n%s", err, out)
			}
			out, err := runMPI(t, 2, bin, append(common, "--out", two, "--batch", strconv.Itoa(c.batch))...)
			if err != nil {
				t.Fatalf("two ranks: %v\n%s", err, out)
			}
			if want := fmt.Sprintf("batch %d per process x 2 processes = %d", c.batch, 2*c.batch); !strings.Contains(out, want) {
				t.Errorf("first line does not say %q:\n%s", want, out)
			}
			a, b := latest(t, two), latest(t, one)
			if a.Step != c.iters || b.Step != c.iters {
				t.Fatalf("steps %d and %d, want %d", a.Step, b.Step, c.iters)
			}
			d, worst := relDiff(a, b)
			if d > 1e-5 || math.IsNaN(d) {
				t.Errorf("2 ranks x %d vs 1 process x %d: parameters differ by %.2e (relative), want <= 1e-5; most: %s", c.batch, 2*c.batch, d, worst)
			} else {
				t.Logf("2 ranks x %d vs 1 process x %d: parameters differ by %.2e (relative); most: %s", c.batch, 2*c.batch, d, worst)
			}
			if a.WorldSize != 2 {
				t.Errorf("checkpoint world size %d, want 2", a.WorldSize)
			}
			steps := metricSteps(t, two, 2)
			if len(steps) != c.iters {
				t.Errorf("metrics.jsonl has steps %v, want 1..%d once each (only rank 0 writes)", steps, c.iters)
			}
			for i, s := range steps {
				if s != i+1 {
					t.Errorf("metrics.jsonl has steps %v, want 1..%d in order", steps, c.iters)
					break
				}
			}
		})
	}
}

// rankPID finds the process of the given rank among mpirun's children (Open MPI passes the
// rank in OMPI_COMM_WORLD_RANK).
func rankPID(bin string, rank int) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	want := []byte("OMPI_COMM_WORLD_RANK=" + strconv.Itoa(rank) + "\x00")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || exe != bin {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, want) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process of %s with rank %d", bin, rank)
}

// TestMPIKilledRankEndsJob kills rank 1 with SIGKILL in the middle of a run: the job must end
// (no rank waits forever for it), and --resume continues from the last checkpoint, with two
// ranks and then with one (the log says what changed).
func TestMPIKilledRankEndsJob(t *testing.T) {
	mpirun(t)
	bin := buildMPIBinary(t)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"--data", "toy2d", "--batch", "16", "--langevin-steps", "2", "--threads", "1", "--log-every", "5",
		"--checkpoint-every", "10", "--sample-every", "0", "--sample-count", "10", "--out", out}
	job := startMPI(t, 2, bin, append(args, "--iters", "100000")...)
	job.waitFor(t, "checkpoint", func() bool {
		_, err := train.LatestCheckpoint(filepath.Join(out, "checkpoint"))
		return err == nil
	})
	pid, err := rankPID(bin, 1)
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := job.end(t, "rank 1 was killed"); err == nil {
		t.Fatalf("the job exited 0 after rank 1 was killed:\n%s", job.log())
	}
	t.Logf("the job ended %.1f s after rank 1 was killed", time.Since(killed).Seconds())
	st := latest(t, out)
	to := strconv.Itoa(st.Step + 10)
	if o, err := runMPI(t, 2, bin, append(args, "--resume", "--iters", to)...); err != nil {
		t.Fatalf("resume with two ranks: %v\n%s", err, o)
	}
	if got := latest(t, out).Step; strconv.Itoa(got) != to {
		t.Fatalf("resumed run stopped at step %d, want %s", got, to)
	}
	to2 := strconv.Itoa(st.Step + 20)
	o, err := exec.Command(bin, append(args, "--resume", "--iters", to2)...).CombinedOutput()
	if err != nil {
		t.Fatalf("resume with one process: %v\n%s", err, o)
	}
	if !strings.Contains(string(o), "changed: processes 2 -> 1 (global batch 32 -> 16)") {
		t.Errorf("resuming with one process does not report the change:\n%s", o)
	}
}

// TestMPIInterruptCheckpoints sends SIGTERM to mpirun, which passes it to every rank: the ranks
// agree on the iteration to stop at and rank 0 writes one checkpoint, from which the run resumes.
func TestMPIInterruptCheckpoints(t *testing.T) {
	mpirun(t)
	bin := buildMPIBinary(t)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"--data", "toy2d", "--batch", "16", "--langevin-steps", "2", "--threads", "1", "--log-every", "1",
		"--checkpoint-every", "0", "--sample-every", "0", "--sample-count", "10", "--out", out}
	job := startMPI(t, 2, bin, append(args, "--iters", "100000")...)
	job.waitFor(t, "step 20", func() bool { return strings.Contains(job.log(), "step 20/") })
	if err := job.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	job.end(t, "SIGTERM")
	if !strings.Contains(job.log(), "interrupted at step") {
		t.Fatalf("no checkpoint written on SIGTERM:\n%s", job.log())
	}
	st := latest(t, out)
	steps := metricSteps(t, out, 2)
	if len(steps) == 0 || steps[len(steps)-1] != st.Step {
		t.Errorf("metrics.jsonl has steps %v, the checkpoint is at step %d", steps, st.Step)
	}
	if o, err := runMPI(t, 2, bin, append(args, "--resume", "--iters", strconv.Itoa(st.Step+5))...); err != nil {
		t.Fatalf("resume: %v\n%s", err, o)
	}
}

// TestNonMPIBinaryRefusesUnderMPIRun checks that the plain binary, started by mpirun as one of
// two processes, refuses instead of running two independent trainings into one folder.
func TestNonMPIBinaryRefusesUnderMPIRun(t *testing.T) {
	mpirun(t)
	bin := buildBinary(t)
	out := filepath.Join(t.TempDir(), "run")
	o, err := runMPI(t, 2, bin, tinyArgs(out, 5)...)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("want a failing job, got %v:\n%s", err, o)
	}
	if !strings.Contains(o, "built without MPI support") || !strings.Contains(o, "make mpi") {
		t.Errorf("the refusal does not explain itself:\n%s", o)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--out was created by a refused start (%v)", err)
	}
}
