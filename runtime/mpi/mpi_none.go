//go:build !mpi

package mpi

import (
	"fmt"
	"os"
	"strconv"
)

// Available reports whether the binary was built with MPI support (the build tag mpi).
const Available = false

// Init returns a world of this process alone. When the environment shows that an MPI launcher
// started the process as one of several, it returns an error wrapping ErrNoMPI instead.
func Init() (*World, error) {
	if err := refuseLaunch(); err != nil {
		return nil, err
	}
	return &World{size: 1, localSize: 1, c: &comm{}}, nil
}

// launchVars are the environment variables by which MPI launchers tell a process the size of
// its job (isSize) or its rank in it: Open MPI's mpirun, PMIx launchers (Open MPI 5, Slurm's
// srun --mpi=pmix) and Hydra (MPICH, Intel MPI).
var launchVars = []struct {
	name   string
	isSize bool
}{
	{"OMPI_COMM_WORLD_SIZE", true},
	{"PMI_SIZE", true},
	{"OMPI_COMM_WORLD_RANK", false},
	{"PMIX_RANK", false},
	{"PMI_RANK", false},
}

// refuseLaunch returns the error for a process that an MPI launcher started as one of several,
// and nil for any other.
func refuseLaunch() error {
	for _, v := range launchVars {
		n, err := strconv.Atoi(os.Getenv(v.name))
		if err != nil || (v.isSize && n <= 1) || (!v.isSize && n <= 0) {
			continue
		}
		many := "several"
		if v.isSize {
			many = strconv.Itoa(n)
		}
		return fmt.Errorf("%w, but %s=%d shows that an MPI launcher started it as one of %s processes, "+
			"which would run %s independent trainings writing into the same output folder; "+
			"build the binaries with MPI support with `make mpi` (into bin/) and launch those",
			ErrNoMPI, v.name, n, many, many)
	}
	return nil
}

// comm is the single-process world's: every collective leaves its buffer as it is.
type comm struct{}

func (*comm) allreduceFloat32([]float32) error                  { return nil }
func (*comm) allreduceFloat64([]float64) error                  { return nil }
func (*comm) broadcastFloat32([]float32, int) error             { return nil }
func (*comm) broadcastBytes([]byte, int) error                  { return nil }
func (*comm) allgatherUint64(v uint64, _ int) ([]uint64, error) { return []uint64{v}, nil }
func (*comm) barrier() error                                    { return nil }
func (*comm) abort(code int)                                    { os.Exit(code) }
func (*comm) close() error                                      { return nil }
