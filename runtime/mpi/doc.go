// Package mpi is the communication layer of data-parallel training: a World of processes started
// by mpirun that sum buffers across processes (allreduce), copy one process's buffer to all
// (broadcast), gather one value from each (allgather) and wait for each other (barrier).
//
// # Overview
//
// Built with the tag mpi (`go build -tags mpi`, `make mpi`), the package binds to Open MPI's C
// library through cgo (pkg-config name ompi-c) and Init joins the job that mpirun started; run
// without mpirun, the process is a world of one (MPI's singleton start). Built without the tag,
// nothing links to MPI, Available is false and Init returns a world of one process whose
// collectives leave their buffers as they are; but when the environment shows that an MPI
// launcher started the process as one of several (OMPI_COMM_WORLD_SIZE > 1 and the like), Init
// refuses with an error wrapping ErrNoMPI, because each process would run on its own.
//
// Rank, Size, LocalRank and LocalSize are read once by Init. LocalRank is the process's index
// among the LocalSize processes on the same machine (MPI_Comm_split_type with
// MPI_COMM_TYPE_SHARED, whatever the launcher): the index to pick a GPU with, and the count to
// share the machine's cores by.
//
// The collectives (AllreduceSumFloat32, AllreduceSumFloat64, BroadcastFloat32, BroadcastBytes,
// AllgatherUint64, Barrier) block until every process of the world has made the same call, so
// every process must make the same calls in the same order, with buffers of the same length.
// Buffers are used in place: an allreduce leaves the sum in buf on every process, a broadcast
// leaves root's buf in everyone's buf. The World communicates over its own duplicate of
// MPI_COMM_WORLD, so other users of MPI in the process do not mix with its messages.
//
// # Threads
//
// MPI is initialised with MPI_THREAD_FUNNELED: only the OS thread that initialised it may call
// it. Go moves goroutines between OS threads, so Init starts one goroutine locked to its thread
// that initialises MPI and then makes every MPI call of the World; the methods hand their call
// to it and wait for the result. The methods may therefore be called from any goroutine. The
// hand-over costs about 15 µs per call on a busy 2-core machine (a 4-byte allreduce between two
// processes took 1 µs in C and 15-19 µs through a World), nothing next to the milliseconds of
// an allreduce of a network's gradients. Calls from several goroutines at once run one after
// another in an order that may differ between processes, which breaks the rule above: let one
// goroutine drive the collectives.
//
// # Ending a job
//
// Close (MPI_Finalize) must be called before a process exits normally: Open MPI treats a
// process that exits without it as failed and ends the whole job. A process that cannot go on
// calls Abort, which ends every process of the job at once (MPI_Abort) instead of leaving them
// waiting in a collective. If the World's MPI thread is busy in a collective that will not
// finish, Abort exits the process after a second; mpirun then ends the others. Init may be
// called only once per process in an MPI build: MPI cannot be initialised again, even after
// Close.
//
// # Error handling
//
// Errors start with "mpi: " and name the call. The World's communicator returns MPI's errors
// rather than aborting (MPI_ERRORS_RETURN), and they carry MPI's own text (MPI_Error_string)
// and code. A root outside [0, Size) and buffers longer than MPI's int count are refused before
// MPI sees them. Calls after Close return ErrClosed; Close is nil-safe and idempotent. An error
// from a collective usually means the processes are out of step, so the caller should Abort.
//
// # Testing
//
// TestUnderMPIRun builds the package's tests with the tag and runs them under
// `mpirun -np 2` (when mpirun and Open MPI's pkg-config file are present): the collectives,
// a rank that exits or aborts while another waits, and the allreduce's speed, which
// `go test -run TestUnderMPIRun -v ./runtime/mpi` prints.
package mpi
