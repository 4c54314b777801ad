package nn

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Time supplies the sinusoidal logSNR embedding rows to a network's time path and maps the
// resulting features to the batch. The time path depends only on the noise level, of which a
// run has a handful, so it can run on a small table of levels and be gathered per sample
// (TableTime) or run per sample from a logSNR input (SampleTime); both give the same values.
type Time interface {
	// Embedding returns the (R, dim) embedding rows the time path runs on.
	Embedding(g *graphs.Graph, dim int) *graphs.Value
	// PerSample maps a (R, ...) feature to the batch (N, ...).
	PerSample(f *graphs.Value) *graphs.Value
	// Samples returns the logSNR of every sample, shape (N), for networks that take it as an
	// input (imported graphs).
	Samples(g *graphs.Graph) *graphs.Value
}

// SampleTime computes the embedding per sample from a logSNR input of shape (N).
type SampleTime struct{ LogSNR *graphs.Value }

// Embedding implements Time.
func (t SampleTime) Embedding(g *graphs.Graph, dim int) *graphs.Value {
	return TimeEmbedding(t.LogSNR, dim)
}

// PerSample implements Time: rows already are samples.
func (t SampleTime) PerSample(f *graphs.Value) *graphs.Value { return f }

// Samples implements Time.
func (t SampleTime) Samples(g *graphs.Graph) *graphs.Value { return t.LogSNR }

// TableTime runs the time path once per level of a fixed table of logSNR values and gathers
// the rows by the int64 level index of each sample (shape (N)).
type TableTime struct {
	Levels []float64
	Level  *graphs.Value
}

// Embedding implements Time.
func (t TableTime) Embedding(g *graphs.Graph, dim int) *graphs.Value {
	rows := make([]float32, 0, len(t.Levels)*dim)
	for _, l := range t.Levels {
		rows = append(rows, EmbeddingTable(l, dim)...)
	}
	if len(t.Levels) == 0 || len(rows) != len(t.Levels)*dim {
		g.Fail(fmt.Errorf("nn: invalid time table (%d levels, embedding size %d)", len(t.Levels), dim))
		return graphs.Const(g, tensor.New(tensor.Float32, 1, dim))
	}
	return graphs.Const(g, tensor.FromFloat32(rows, len(t.Levels), dim))
}

// PerSample implements Time: gather the table rows by level.
func (t TableTime) PerSample(f *graphs.Value) *graphs.Value { return graphs.Gather(f, t.Level, 0) }

// Samples implements Time: the table's logSNR gathered by level.
func (t TableTime) Samples(g *graphs.Graph) *graphs.Value {
	ls := make([]float32, len(t.Levels))
	for i, l := range t.Levels {
		ls[i] = float32(l)
	}
	return graphs.Gather(graphs.Const(g, tensor.FromFloat32(ls, len(ls))), t.Level, 0)
}

// NearestLevel returns the TableTime whose level per sample is the table entry nearest to the
// logSNR input (shape (N)). Graphs exported for sampling use it to keep the logSNR input of the
// bundle contract while running the time path on the table: a model is defined at its
// schedule's levels, and other logSNR values snap to the nearest one.
func NearestLevel(levels []float64, logsnr *graphs.Value) TableTime {
	ls := make([]float32, len(levels))
	for i, l := range levels {
		ls[i] = float32(l)
	}
	g := logsnr.Graph()
	d := graphs.Abs(graphs.Sub(graphs.Unsqueeze(logsnr, []int{1}), graphs.Const(g, tensor.FromFloat32(ls, 1, len(ls)))))
	return TableTime{Levels: levels, Level: graphs.ArgMin(d, 1, false)}
}
