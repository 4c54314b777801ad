package mpi

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The environment variables by which TestUnderMPIRun tells the tests it starts under mpirun to
// run, and which failure TestMPIFailure should act out.
const (
	innerEnv = "CDRL_MPI_INNER"
	failEnv  = "CDRL_MPI_FAIL"
)

const (
	// mpirunTimeout bounds every run of the inner tests; a hung collective ends there.
	mpirunTimeout = 60 * time.Second
	// failWithin is how soon a job must end after one of its processes fails.
	failWithin = 20 * time.Second
)

// TestUnderMPIRun builds this package's tests with the tag mpi and runs them as one process
// and as two under mpirun, then checks that a process that exits or aborts while the other
// waits in a collective ends the whole job quickly.
func TestUnderMPIRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tests with -tags mpi and runs them under mpirun; skipped with -short")
	}
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skip("mpirun not found: `make setup-mpi` installs Open MPI")
	}
	if err := exec.Command("pkg-config", "--exists", "ompi-c").Run(); err != nil {
		t.Skipf("Open MPI's pkg-config file ompi-c not found (%v): `make setup-mpi` installs libopenmpi-dev", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "mpi.test")
	if out, err := exec.Command(goTool, "test", "-c", "-tags", "mpi", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go test -c -tags mpi: %v\n%s", err, out)
	}

	// launch runs the inner tests matching run, under mpirun with np processes (np 0: the
	// binary alone), and returns their output, error and duration.
	launch := func(np int, run string, env ...string) (string, error, time.Duration) {
		env = append(env, innerEnv+"=1")
		name, args := bin, []string{"-test.run=" + run, "-test.v", "-test.count=1"}
		if np > 0 {
			launcher := []string{"--oversubscribe", "-np", strconv.Itoa(np)}
			if os.Geteuid() == 0 {
				launcher = append(launcher, "--allow-run-as-root")
			}
			for _, e := range env {
				launcher = append(launcher, "-x", e)
			}
			name, args = mpirun, append(append(launcher, bin), args...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), mpirunTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), env...)
		// SIGTERM lets mpirun take its processes down with it.
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 10 * time.Second
		start := time.Now()
		out, err := cmd.CombinedOutput()
		return string(out), err, time.Since(start)
	}

	t.Run("one process", func(t *testing.T) {
		out, err, _ := launch(0, "^TestMPI")
		if err != nil || !strings.Contains(out, "rank 0 of 1,") {
			t.Fatalf("got %v, want a passing world of 1; output:\n%s", err, out)
		}
	})

	t.Run("two processes", func(t *testing.T) {
		out, err, took := launch(2, "^TestMPI")
		if err != nil {
			t.Fatalf("mpirun: %v; output:\n%s", err, out)
		}
		for _, want := range []string{"rank 0 of 2,", "rank 1 of 2,", "--- PASS: TestMPIAllreduce", "--- PASS: TestMPIAllreduceSpeed"} {
			if !strings.Contains(out, want) {
				t.Errorf("output does not say %q:\n%s", want, out)
			}
		}
		for _, line := range strings.Split(out, "\n") {
			if i := strings.Index(line, "allreduce float32"); i >= 0 {
				t.Log(line[i:])
			}
		}
		t.Logf("mpirun -np 2 ran the tests in %v", took.Round(time.Millisecond))
	})

	for _, fail := range []string{"exit", "abort", "abort-busy"} {
		t.Run("rank 1 fails: "+fail, func(t *testing.T) {
			out, err, took := launch(2, "^TestMPIFailure$", failEnv+"="+fail)
			var exit *exec.ExitError
			switch {
			case !errors.As(err, &exit):
				t.Fatalf("mpirun: got %v, want a non-zero exit status; output:\n%s", err, out)
			case took > failWithin:
				t.Fatalf("the job took %v to end, want under %v; output:\n%s", took, failWithin, out)
			case strings.Contains(out, "Barrier returned"):
				t.Fatalf("rank 0 left the barrier that rank 1 never joined; output:\n%s", out)
			}
			t.Logf("mpirun ended with %v after %v", err, took.Round(time.Millisecond))
		})
	}
}
