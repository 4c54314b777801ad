package mpi

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
)

// ErrNoMPI is wrapped by Init's error in a binary built without MPI support when an MPI launcher
// started it as one of several processes.
var ErrNoMPI = errors.New("mpi: this binary was built without MPI support")

// ErrClosed is returned by the calls on a World after its Close.
var ErrClosed = errors.New("mpi: world is closed")

// World is the set of processes of one job. Its methods may be called from any goroutine, but
// the collectives must be made in the same order on every process (see the package
// documentation).
type World struct {
	rank, size           int
	localRank, localSize int
	closed               atomic.Bool
	c                    *comm // the build's implementation of the calls
}

// Rank is this process's index in the world, 0 to Size()-1.
func (w *World) Rank() int { return w.rank }

// Size is the number of processes in the world.
func (w *World) Size() int { return w.size }

// LocalRank is this process's index among the world's processes on the same machine.
func (w *World) LocalRank() int { return w.localRank }

// LocalSize is the number of the world's processes on this machine.
func (w *World) LocalSize() int { return w.localSize }

// AllreduceSumFloat32 replaces buf, on every process, with the element-wise sum of the bufs of
// all processes, in one MPI_Allreduce.
func (w *World) AllreduceSumFloat32(buf []float32) error {
	if err := w.check("allreduce", len(buf), 0); err != nil {
		return err
	}
	return w.c.allreduceFloat32(buf)
}

// AllreduceSumFloat64 is AllreduceSumFloat32 for float64 values.
func (w *World) AllreduceSumFloat64(buf []float64) error {
	if err := w.check("allreduce", len(buf), 0); err != nil {
		return err
	}
	return w.c.allreduceFloat64(buf)
}

// BroadcastFloat32 copies buf of the process root into buf of every other process.
func (w *World) BroadcastFloat32(buf []float32, root int) error {
	if err := w.check("broadcast", len(buf), root); err != nil {
		return err
	}
	return w.c.broadcastFloat32(buf, root)
}

// BroadcastBytes copies buf of the process root into buf of every other process.
func (w *World) BroadcastBytes(buf []byte, root int) error {
	if err := w.check("broadcast", len(buf), root); err != nil {
		return err
	}
	return w.c.broadcastBytes(buf, root)
}

// AllgatherUint64 returns every process's v, indexed by rank, on every process.
func (w *World) AllgatherUint64(v uint64) ([]uint64, error) {
	if err := w.check("allgather", 1, 0); err != nil {
		return nil, err
	}
	return w.c.allgatherUint64(v, w.size)
}

// Barrier returns once every process has called it.
func (w *World) Barrier() error {
	if err := w.check("barrier", 0, 0); err != nil {
		return err
	}
	return w.c.barrier()
}

// Abort ends every process of the job with exit status code, this one included; it does not
// return, and deferred functions do not run.
func (w *World) Abort(code int) {
	w.c.abort(code)
}

// Close leaves the world (MPI_Finalize, after which the process should exit). It is nil-safe
// and idempotent; later calls on the World return ErrClosed.
func (w *World) Close() error {
	if w == nil || !w.closed.CompareAndSwap(false, true) {
		return nil
	}
	return w.c.close()
}

// check refuses a call on a closed world, a count that MPI's int cannot hold and a root that is
// not a rank, before MPI sees them.
func (w *World) check(op string, n, root int) error {
	switch {
	case w.closed.Load():
		return ErrClosed
	case n > math.MaxInt32:
		return fmt.Errorf("mpi: %s: %d elements, more than MPI's limit of %d per call", op, n, math.MaxInt32)
	case root < 0 || root >= w.size:
		return fmt.Errorf("mpi: %s: root %d is not a rank of a world of %d", op, root, w.size)
	}
	return nil
}
