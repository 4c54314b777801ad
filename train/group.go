package train

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/fnv"
	"math"
	"time"
)

// Group is the set of processes that train one run together by data parallelism: each takes
// its slice of the global batch, and gradients and metrics are averaged across the group
// before every update, so all members hold the same parameters. runtime/mpi's World is one;
// a nil Group in Options is the group of this process alone.
//
// Every call is collective: all members make it, in the same order.
type Group interface {
	// Rank is this process's index, 0..Size()-1; rank 0 writes the run's files.
	Rank() int
	// Size is the number of processes.
	Size() int
	// AllreduceSumFloat32 replaces buf by its element-wise sum over the group.
	AllreduceSumFloat32(buf []float32) error
	// AllreduceSumFloat64 replaces buf by its element-wise sum over the group.
	AllreduceSumFloat64(buf []float64) error
	// BroadcastBytes copies root's buf into every member's buf (all of the same length).
	BroadcastBytes(buf []byte, root int) error
	// AllgatherUint64 returns every member's v, by rank.
	AllgatherUint64(v uint64) ([]uint64, error)
}

// solo is the group of one process: every collective is the identity.
type solo struct{}

func (solo) Rank() int                                  { return 0 }
func (solo) Size() int                                  { return 1 }
func (solo) AllreduceSumFloat32([]float32) error        { return nil }
func (solo) AllreduceSumFloat64([]float64) error        { return nil }
func (solo) BroadcastBytes([]byte, int) error           { return nil }
func (solo) AllgatherUint64(v uint64) ([]uint64, error) { return []uint64{v}, nil }

// timedGroup adds up the time its group's allreduces take (the communication cost of data
// parallelism, reported per iteration).
type timedGroup struct {
	Group
	spent time.Duration
}

// AllreduceSumFloat32 implements Group.
func (g *timedGroup) AllreduceSumFloat32(buf []float32) error {
	defer g.add(time.Now())
	return g.Group.AllreduceSumFloat32(buf)
}

// AllreduceSumFloat64 implements Group.
func (g *timedGroup) AllreduceSumFloat64(buf []float64) error {
	defer g.add(time.Now())
	return g.Group.AllreduceSumFloat64(buf)
}

func (g *timedGroup) add(start time.Time) { g.spent += time.Since(start) }

// averageGrads replaces grads by their mean over the group with one allreduce over a flat
// buffer (flat is reused between calls and returned).
func averageGrads(g Group, grads [][]float32, flat []float32) ([]float32, error) {
	if g.Size() == 1 {
		return flat, nil
	}
	n := 0
	for _, x := range grads {
		n += len(x)
	}
	if cap(flat) < n {
		flat = make([]float32, n)
	}
	flat = flat[:n]
	off := 0
	for _, x := range grads {
		off += copy(flat[off:], x)
	}
	if err := g.AllreduceSumFloat32(flat); err != nil {
		return flat, fmt.Errorf("train: averaging gradients: %w", err)
	}
	inv := 1 / float32(g.Size())
	off = 0
	for _, x := range grads {
		for i := range x {
			x[i] = flat[off+i] * inv
		}
		off += len(x)
	}
	return flat, nil
}

// averageMetrics replaces each value by its mean over the group, and reports whether any
// member asked to stop (one allreduce).
func averageMetrics(g Group, stop bool, vals ...*float64) (bool, error) {
	if g.Size() == 1 {
		return stop, nil
	}
	buf := make([]float64, len(vals)+1)
	for i, v := range vals {
		buf[i] = *v
	}
	if stop {
		buf[len(vals)] = 1
	}
	if err := g.AllreduceSumFloat64(buf); err != nil {
		return false, fmt.Errorf("train: averaging metrics: %w", err)
	}
	for i, v := range vals {
		*v = buf[i] / float64(g.Size())
	}
	return buf[len(vals)] > 0, nil
}

// agreeStop reports whether any member of the group was interrupted and whether any found its
// time limit up (one allreduce).
func agreeStop(g Group, interrupted, timeUp bool) (stop, anyTimeUp bool, err error) {
	var up float64
	if timeUp {
		up = 1
	}
	stop, err = averageMetrics(g, interrupted, &up)
	return stop, up > 0, err
}

// checksum hashes the parameters of both networks and their EMAs (FNV-1a over the float32
// bits): equal on every rank while the ranks agree.
func (st *State) checksum() uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, p := range [][][]float32{st.EBM.Data, st.Init.Data, st.EBMEMA.Shadow, st.InitEMA.Shadow} {
		for _, xs := range p {
			for _, x := range xs {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
				h.Write(b[:])
			}
		}
	}
	return h.Sum64()
}

// verifyReplicas stops the run when the ranks' parameters differ.
func verifyReplicas(g Group, st *State) error {
	if g.Size() == 1 {
		return nil
	}
	sums, err := g.AllgatherUint64(st.checksum())
	if err != nil {
		return fmt.Errorf("train: comparing parameters across ranks: %w", err)
	}
	for r, s := range sums {
		if s != sums[0] {
			return fmt.Errorf("train: at step %d the parameters of rank %d differ from rank 0's (checksum %016x, rank 0 %016x); the ranks no longer train one model: stop, then continue from the last checkpoint with Options.Resume",
				st.Step, r, s, sums[0])
		}
	}
	return nil
}

// shareState sends rank 0's state to every rank (gob, length first) and returns it.
func shareState(g Group, st *State) (*State, error) {
	if g.Size() == 1 {
		return st, nil
	}
	var payload []byte
	if g.Rank() == 0 {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(st); err != nil {
			return nil, fmt.Errorf("train: encoding the state for the other ranks: %w", err)
		}
		payload = buf.Bytes()
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(payload)))
	if err := g.BroadcastBytes(n[:], 0); err != nil {
		return nil, fmt.Errorf("train: sharing the state: %w", err)
	}
	if g.Rank() != 0 {
		payload = make([]byte, binary.LittleEndian.Uint64(n[:]))
	}
	if err := g.BroadcastBytes(payload, 0); err != nil {
		return nil, fmt.Errorf("train: sharing the state: %w", err)
	}
	if g.Rank() == 0 {
		return st, nil
	}
	var got State
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&got); err != nil {
		return nil, fmt.Errorf("train: decoding rank 0's state: %w", err)
	}
	return &got, nil
}
