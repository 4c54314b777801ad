//go:build !mpi

package mpi

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// clearLaunchEnv empties the launchers' variables for the test, in case it runs under one.
func clearLaunchEnv(t *testing.T) {
	for _, v := range launchVars {
		t.Setenv(v.name, "")
	}
}

func TestInitSingleProcess(t *testing.T) {
	clearLaunchEnv(t)
	if Available {
		t.Fatal("Available is true in a build without the mpi tag")
	}
	w, err := Init()
	if err != nil {
		t.Fatal(err)
	}
	if w.Rank() != 0 || w.Size() != 1 || w.LocalRank() != 0 || w.LocalSize() != 1 {
		t.Errorf("rank, size, local rank, local size: got %d, %d, %d, %d, want 0, 1, 0, 1",
			w.Rank(), w.Size(), w.LocalRank(), w.LocalSize())
	}

	f32 := []float32{1, -2.5, 3}
	f64 := []float64{1e300, -4}
	bytes := []byte("step 42")
	for name, err := range map[string]error{
		"allreduce float32": w.AllreduceSumFloat32(f32),
		"allreduce float64": w.AllreduceSumFloat64(f64),
		"allreduce empty":   w.AllreduceSumFloat32(nil),
		"broadcast float32": w.BroadcastFloat32(f32, 0),
		"broadcast bytes":   w.BroadcastBytes(bytes, 0),
		"barrier":           w.Barrier(),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !slices.Equal(f32, []float32{1, -2.5, 3}) || !slices.Equal(f64, []float64{1e300, -4}) || string(bytes) != "step 42" {
		t.Errorf("buffers changed: got %v, %v, %q", f32, f64, bytes)
	}
	got, err := w.AllgatherUint64(0xfeedface_01234567)
	if err != nil || !slices.Equal(got, []uint64{0xfeedface_01234567}) {
		t.Errorf("allgather: got %x, %v, want [feedface01234567]", got, err)
	}

	if err := w.BroadcastFloat32(f32, 1); err == nil || !strings.Contains(err.Error(), "root 1 is not a rank") {
		t.Errorf("broadcast from root 1 of 1: got %v, want an error naming the root", err)
	}

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.AllreduceSumFloat32(f32); !errors.Is(err, ErrClosed) {
		t.Errorf("allreduce after Close: got %v, want ErrClosed", err)
	}
	var nilWorld *World
	if err := nilWorld.Close(); err != nil {
		t.Errorf("Close of a nil World: %v", err)
	}
}

func TestInitUnderLauncher(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		refused     bool
		many        string // the count the error gives
	}{
		{"OMPI_COMM_WORLD_SIZE", "2", true, "one of 2 processes"},
		{"OMPI_COMM_WORLD_SIZE", "1", false, ""},
		{"PMI_SIZE", "8", true, "one of 8 processes"},
		{"OMPI_COMM_WORLD_RANK", "0", false, ""},
		{"PMIX_RANK", "3", true, "one of several processes"},
		{"PMI_RANK", "1", true, "one of several processes"},
		{"OMPI_COMM_WORLD_SIZE", "two", false, ""},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			clearLaunchEnv(t)
			t.Setenv(tc.name, tc.value)
			w, err := Init()
			if !tc.refused {
				if err != nil || w.Size() != 1 {
					t.Fatalf("got %v, want a world of 1", err)
				}
				return
			}
			if !errors.Is(err, ErrNoMPI) || w != nil {
				t.Fatalf("got %v, %v, want nil and an error wrapping ErrNoMPI", w, err)
			}
			for _, want := range []string{tc.name + "=" + tc.value, tc.many, "independent trainings", "make mpi", "bin/"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestAbortExits runs itself in a child process that aborts with code 7.
func TestAbortExits(t *testing.T) {
	if os.Getenv("CDRL_MPI_ABORT_CHILD") == "1" {
		clearLaunchEnv(t)
		w, err := Init()
		if err != nil {
			t.Fatal(err)
		}
		w.Abort(7)
		t.Fatal("Abort returned")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAbortExits$")
	cmd.Env = append(os.Environ(), "CDRL_MPI_ABORT_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 7 {
		t.Fatalf("child: got %v, want exit status 7; output:\n%s", err, out)
	}
}
