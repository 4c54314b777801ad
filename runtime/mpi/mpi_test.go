//go:build mpi

package mpi

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// world is the process's World while the inner tests run (see TestUnderMPIRun), else nil. Each
// test runs on a goroutine of its own, none of them Init's, so every test also checks that the
// calls reach MPI's thread.
var world *World

func TestMain(m *testing.M) {
	if os.Getenv(innerEnv) != "1" {
		os.Exit(m.Run())
	}
	w, err := Init()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	world = w
	fmt.Printf("mpi test: rank %d of %d, local rank %d of %d\n", w.Rank(), w.Size(), w.LocalRank(), w.LocalSize())
	code := m.Run()
	if code != 0 {
		w.Abort(code) // rather than leave the other processes in a collective
	}
	for _, err := range []error{
		w.Close(),
		w.Close(),
		wantError(w.Barrier(), ErrClosed),
		wantError(w.AllreduceSumFloat32([]float32{1}), ErrClosed),
	} {
		if err != nil {
			fmt.Fprintln(os.Stderr, "after the tests:", err)
			os.Exit(1)
		}
	}
	if _, err := Init(); err == nil {
		fmt.Fprintln(os.Stderr, "a second Init succeeded")
		os.Exit(1)
	}
	os.Exit(code)
}

func wantError(err, want error) error {
	if !errors.Is(err, want) {
		return fmt.Errorf("got %v, want %v", err, want)
	}
	return nil
}

// innerWorld returns the World, skipping the test when it runs outside TestUnderMPIRun.
func innerWorld(t *testing.T) *World {
	if world == nil {
		t.Skip("runs under mpirun, started by TestUnderMPIRun (or by hand with " + innerEnv + "=1)")
	}
	return world
}

// TestMPILocal checks the ranks on this machine, which holds every process of the tests.
func TestMPILocal(t *testing.T) {
	w := innerWorld(t)
	if w.LocalRank() != w.Rank() || w.LocalSize() != w.Size() {
		t.Errorf("local rank %d of %d, want %d of %d", w.LocalRank(), w.LocalSize(), w.Rank(), w.Size())
	}
}

// The tests below make the same collectives on every process whatever their results, so that a
// failure on one process does not leave the others waiting.

func TestMPIAllreduce(t *testing.T) {
	w := innerWorld(t)
	rank, size := w.Rank(), w.Size()
	ranks := float64(size * (size + 1) / 2) // the sum of rank+1 over the ranks
	for _, n := range []int{0, 1, 7, 1_000_003} {
		f32 := make([]float32, n)
		f64 := make([]float64, n)
		for i := range n {
			f32[i] = float32((rank + 1) * (i%7 + 1))
			f64[i] = float64(rank+1)*float64(i%11) + 0.25
		}
		if err := w.AllreduceSumFloat32(f32); err != nil {
			t.Errorf("float32, n %d: %v", n, err)
		}
		if err := w.AllreduceSumFloat64(f64); err != nil {
			t.Errorf("float64, n %d: %v", n, err)
		}
		for i := range n {
			if want := float32(ranks) * float32(i%7+1); f32[i] != want {
				t.Errorf("float32, n %d: element %d: got %v, want %v", n, i, f32[i], want)
				break
			}
		}
		for i := range n {
			if want := ranks*float64(i%11) + 0.25*float64(size); f64[i] != want {
				t.Errorf("float64, n %d: element %d: got %v, want %v", n, i, f64[i], want)
				break
			}
		}
	}
}

func TestMPIBroadcast(t *testing.T) {
	w := innerWorld(t)
	rank, last := w.Rank(), w.Size()-1
	f32 := make([]float32, 100_003)
	for i := range f32 {
		f32[i] = float32(rank*1_000_000 + i)
	}
	if err := w.BroadcastFloat32(f32, last); err != nil {
		t.Errorf("float32 from rank %d: %v", last, err)
	}
	for i := range f32 {
		if want := float32(last*1_000_000 + i); f32[i] != want {
			t.Errorf("float32 from rank %d: element %d: got %v, want %v", last, i, f32[i], want)
			break
		}
	}

	const config = `{"step": 12345, "seed": 1}`
	b := make([]byte, len(config))
	if rank == 0 {
		copy(b, config)
	}
	if err := w.BroadcastBytes(b, 0); err != nil {
		t.Errorf("bytes from rank 0: %v", err)
	}
	if string(b) != config {
		t.Errorf("bytes from rank 0: got %q, want %q", b, config)
	}
}

// TestMPIBadRoot checks the World's own refusal of a root that is not a rank, then MPI's, which
// comes back as an error with MPI's text since the World's communicator returns errors.
func TestMPIBadRoot(t *testing.T) {
	w := innerWorld(t)
	b := make([]byte, 4)
	if err := w.BroadcastBytes(b, w.Size()); err == nil || !strings.Contains(err.Error(), "is not a rank") {
		t.Errorf("World: got %v, want an error naming the root", err)
	}
	err := w.c.broadcastBytes(b, w.Size())
	if err == nil || !strings.HasPrefix(err.Error(), "mpi: broadcast: MPI_ERR_ROOT") {
		t.Errorf("MPI: got %v, want mpi: broadcast: MPI_ERR_ROOT...", err)
	}
}

func TestMPIAllgather(t *testing.T) {
	w := innerWorld(t)
	value := func(rank int) uint64 { return 0xa5a5_0000_0000_0000 | uint64(rank)<<32 | uint64(rank+7) }
	got, err := w.AllgatherUint64(value(w.Rank()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != w.Size() {
		t.Fatalf("got %d values, want %d", len(got), w.Size())
	}
	for r, v := range got {
		if v != value(r) {
			t.Errorf("rank %d: got %#x, want %#x", r, v, value(r))
		}
	}
}

// TestMPIRecoversPanic checks that Go still turns a nil dereference into a panic once MPI is
// initialised: Open MPI installs handlers of its own for SIGSEGV and others.
func TestMPIRecoversPanic(t *testing.T) {
	innerWorld(t)
	var p *int
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	_ = *p
}

// TestMPIFailure acts out the failure named by CDRL_MPI_FAIL on the last rank while the others
// wait in a barrier that it never joins (or, for abort-busy, while the last rank waits in a
// barrier that they never join); TestUnderMPIRun checks that the job ends.
func TestMPIFailure(t *testing.T) {
	w := innerWorld(t)
	fail := os.Getenv(failEnv)
	if fail == "" {
		t.Skip("acts out a failure named by " + failEnv + " for TestUnderMPIRun")
	}
	if w.Rank() != w.Size()-1 {
		if fail == "abort-busy" {
			// Stay out of MPI, so that the last rank's barrier cannot end.
			time.Sleep(mpirunTimeout)
			t.Fatalf("the job still runs after %v", mpirunTimeout)
		}
		err := w.Barrier()
		t.Fatalf("Barrier returned (%v) although rank %d never called it", err, w.Size()-1)
	}
	switch fail {
	case "exit":
		os.Exit(3)
	case "abort":
		w.Abort(4)
	case "abort-busy":
		// The MPI thread is stuck in a barrier of its own when Abort comes.
		go w.Barrier()
		time.Sleep(200 * time.Millisecond)
		w.Abort(5)
	}
	t.Fatalf("unknown %s %q", failEnv, fail)
}

// TestMPIAllreduceSpeed logs, on rank 0, the time of one AllreduceSumFloat32 by buffer size
// (the slowest rank's mean over a fixed number of calls), its throughput (buffer bytes per
// second) and its bus bandwidth (throughput times 2(size-1)/size, the bytes each rank sends
// and receives in a ring allreduce).
func TestMPIAllreduceSpeed(t *testing.T) {
	w := innerWorld(t)
	for _, bytes := range []int{4, 1 << 20, 10 << 20} {
		buf := make([]float32, bytes/4)
		calls := min(1000, max(10, (100<<20)/bytes))
		for range 3 {
			if err := w.AllreduceSumFloat32(buf); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		for range calls {
			if err := w.AllreduceSumFloat32(buf); err != nil {
				t.Fatal(err)
			}
		}
		took, err := w.AllgatherUint64(uint64(time.Since(start)))
		if err != nil {
			t.Fatal(err)
		}
		if w.Rank() != 0 {
			continue
		}
		per := time.Duration(slices.Max(took)) / time.Duration(calls)
		gbs := float64(bytes) / per.Seconds() / 1e9
		bus := gbs * 2 * float64(w.Size()-1) / float64(w.Size())
		t.Logf("allreduce float32 %8s on %d ranks: %9v per call, %6.2f GB/s, bus %6.2f GB/s (%d calls)",
			sizeName(bytes), w.Size(), per, gbs, bus, calls)
	}
}

func sizeName(bytes int) string {
	if bytes < 1<<20 {
		return fmt.Sprintf("%d B", bytes)
	}
	return fmt.Sprintf("%d MiB", bytes>>20)
}
