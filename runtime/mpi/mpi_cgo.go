//go:build mpi

package mpi

/*
#cgo pkg-config: ompi-c
#include <stdint.h>
#include <mpi.h>

// Open MPI's datatypes, operations and MPI_IN_PLACE are address macros that cgo cannot use, so
// the calls that need them are wrapped here.
static int cdrl_init(int *provided) {
	return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, provided);
}
static int cdrl_dup_world(MPI_Comm *comm) { return MPI_Comm_dup(MPI_COMM_WORLD, comm); }
static int cdrl_errors_return(MPI_Comm comm) {
	return MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
}
static int cdrl_local(MPI_Comm comm, int *rank, int *size) {
	MPI_Comm local;
	int rc = MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
	if (rc != MPI_SUCCESS) return rc;
	rc = MPI_Comm_rank(local, rank);
	if (rc == MPI_SUCCESS) rc = MPI_Comm_size(local, size);
	int rc2 = MPI_Comm_free(&local);
	return rc != MPI_SUCCESS ? rc : rc2;
}
static int cdrl_allreduce_float(MPI_Comm comm, float *buf, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, comm);
}
static int cdrl_allreduce_double(MPI_Comm comm, double *buf, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, comm);
}
static int cdrl_bcast_float(MPI_Comm comm, float *buf, int n, int root) {
	return MPI_Bcast(buf, n, MPI_FLOAT, root, comm);
}
static int cdrl_bcast_byte(MPI_Comm comm, void *buf, int n, int root) {
	return MPI_Bcast(buf, n, MPI_BYTE, root, comm);
}
static int cdrl_allgather_uint64(MPI_Comm comm, uint64_t v, uint64_t *out) {
	return MPI_Allgather(&v, 1, MPI_UINT64_T, out, 1, MPI_UINT64_T, comm);
}
static void cdrl_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// Available reports whether the binary was built with MPI support (the build tag mpi).
const Available = true

// abortWait is how long Abort waits for the MPI thread to take its MPI_Abort, and then for
// MPI_Abort to end the process, before it exits the process itself.
const abortWait = time.Second

// initialised is set by the first Init.
var initialised atomic.Bool

// Init joins the job that mpirun started (MPI_Init_thread), or makes a world of this process
// alone when it was started without mpirun. It starts the goroutine, locked to its OS thread,
// that makes all of the World's MPI calls. It may be called once per process.
func Init() (*World, error) {
	if !initialised.CompareAndSwap(false, true) {
		return nil, errors.New("mpi: init: MPI can be initialised only once per process")
	}
	w := &World{c: &comm{calls: make(chan func()), done: make(chan struct{})}}
	ready := make(chan error)
	go w.c.serve(w, ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return w, nil
}

// comm runs the World's MPI calls on the thread that initialised MPI.
type comm struct {
	calls     chan func()   // calls to run on the MPI thread
	done      chan struct{} // closed when the MPI thread has finalised MPI
	comm      C.MPI_Comm    // the World's duplicate of MPI_COMM_WORLD
	finalised bool          // set on the MPI thread by close
}

// serve initialises MPI, fills w's ranks, reports to ready and then runs the calls until close.
func (c *comm) serve(w *World, ready chan<- error) {
	// Never unlocked: MPI belongs to this thread, which ends with the goroutine.
	runtime.LockOSThread()
	if err := c.start(w); err != nil {
		ready <- err
		return
	}
	ready <- nil
	for !c.finalised {
		(<-c.calls)()
	}
	close(c.done)
}

// start initialises MPI and the World's communicator; on error MPI is finalised again.
func (c *comm) start(w *World) error {
	var provided C.int
	if err := mpiError("init", C.cdrl_init(&provided)); err != nil {
		return err
	}
	err := c.setup(w)
	if err == nil && provided < C.MPI_THREAD_FUNNELED {
		err = fmt.Errorf("mpi: init: the MPI library offers thread level %d, below MPI_THREAD_FUNNELED", provided)
	}
	if err != nil {
		C.MPI_Finalize()
	}
	return err
}

// setup makes the World's communicator and reads w's ranks.
func (c *comm) setup(w *World) error {
	var dup C.MPI_Comm
	if err := mpiError("init: duplicate MPI_COMM_WORLD", C.cdrl_dup_world(&dup)); err != nil {
		return err
	}
	c.comm = dup
	if err := mpiError("init: set MPI_ERRORS_RETURN", C.cdrl_errors_return(dup)); err != nil {
		return err
	}
	var rank, size, localRank, localSize C.int
	if err := mpiError("init: rank", C.MPI_Comm_rank(dup, &rank)); err != nil {
		return err
	}
	if err := mpiError("init: size", C.MPI_Comm_size(dup, &size)); err != nil {
		return err
	}
	if err := mpiError("init: processes on this machine", C.cdrl_local(dup, &localRank, &localSize)); err != nil {
		return err
	}
	w.rank, w.size, w.localRank, w.localSize = int(rank), int(size), int(localRank), int(localSize)
	return nil
}

// do runs call on the MPI thread and returns its result as an error.
func (c *comm) do(op string, call func() C.int) error {
	errc := make(chan error, 1)
	select {
	case c.calls <- func() { errc <- mpiError(op, call()) }:
		return <-errc
	case <-c.done:
		return ErrClosed
	}
}

// mpiError is nil for MPI_SUCCESS and otherwise an error with MPI's text for code.
func mpiError(op string, code C.int) error {
	if code == C.MPI_SUCCESS {
		return nil
	}
	var text [C.MPI_MAX_ERROR_STRING]C.char
	var n C.int
	if C.MPI_Error_string(code, &text[0], &n) != C.MPI_SUCCESS {
		return fmt.Errorf("mpi: %s: MPI error code %d", op, int(code))
	}
	return fmt.Errorf("mpi: %s: %s (MPI error code %d)", op, C.GoStringN(&text[0], n), int(code))
}

func (c *comm) allreduceFloat32(buf []float32) error {
	return c.do("allreduce", func() C.int {
		return C.cdrl_allreduce_float(c.comm, (*C.float)(unsafe.SliceData(buf)), C.int(len(buf)))
	})
}

func (c *comm) allreduceFloat64(buf []float64) error {
	return c.do("allreduce", func() C.int {
		return C.cdrl_allreduce_double(c.comm, (*C.double)(unsafe.SliceData(buf)), C.int(len(buf)))
	})
}

func (c *comm) broadcastFloat32(buf []float32, root int) error {
	return c.do("broadcast", func() C.int {
		return C.cdrl_bcast_float(c.comm, (*C.float)(unsafe.SliceData(buf)), C.int(len(buf)), C.int(root))
	})
}

func (c *comm) broadcastBytes(buf []byte, root int) error {
	return c.do("broadcast", func() C.int {
		return C.cdrl_bcast_byte(c.comm, unsafe.Pointer(unsafe.SliceData(buf)), C.int(len(buf)), C.int(root))
	})
}

func (c *comm) allgatherUint64(v uint64, n int) ([]uint64, error) {
	out := make([]uint64, n)
	err := c.do("allgather", func() C.int {
		return C.cdrl_allgather_uint64(c.comm, C.uint64_t(v), (*C.uint64_t)(unsafe.SliceData(out)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *comm) barrier() error {
	return c.do("barrier", func() C.int { return C.MPI_Barrier(c.comm) })
}

// abort hands MPI_Abort to the MPI thread and exits the process itself when the thread is busy
// (in a collective that may never end) or MPI_Abort is slow to end it; Open MPI then ends the
// other processes, since this one exits without MPI_Finalize.
func (c *comm) abort(code int) {
	select {
	case c.calls <- func() { C.cdrl_abort(C.int(code)) }:
		time.Sleep(abortWait)
	case <-time.After(abortWait):
	case <-c.done:
	}
	os.Exit(code)
}

func (c *comm) close() error {
	return c.do("close", func() C.int {
		c.finalised = true
		rc := C.MPI_Comm_free(&c.comm)
		if fin := C.MPI_Finalize(); rc == C.MPI_SUCCESS {
			rc = fin
		}
		return rc
	})
}
