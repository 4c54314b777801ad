package ort

import "sync/atomic"

// Traffic counts what runs handed to ONNX Runtime and took back from it: BytesIn is the data
// of the input tensors of every run, which ORT copies to the device when the provider is not
// the CPU, and BytesOut the data of the outputs, which come back to the host. On the CPU
// nothing is copied, and the same counts say what would cross to a GPU. Runs is the number of
// runs counted.
type Traffic struct {
	Runs     int64 `json:"runs"`
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

// Add returns the sum of two counts.
func (t Traffic) Add(u Traffic) Traffic {
	return Traffic{Runs: t.Runs + u.Runs, BytesIn: t.BytesIn + u.BytesIn, BytesOut: t.BytesOut + u.BytesOut}
}

// Sub returns t - u: the traffic between an earlier count u and a later one t.
func (t Traffic) Sub(u Traffic) Traffic {
	return Traffic{Runs: t.Runs - u.Runs, BytesIn: t.BytesIn - u.BytesIn, BytesOut: t.BytesOut - u.BytesOut}
}

// Bytes returns BytesIn + BytesOut.
func (t Traffic) Bytes() int64 { return t.BytesIn + t.BytesOut }

// trafficCounter accumulates a session's Traffic; safe for concurrent use.
type trafficCounter struct {
	runs, in, out atomic.Int64
}

// add counts one finished run with in bytes of inputs and out bytes of outputs.
func (c *trafficCounter) add(in, out int64) {
	c.runs.Add(1)
	c.in.Add(in)
	c.out.Add(out)
}

// load returns the counts so far.
func (c *trafficCounter) load() Traffic {
	return Traffic{Runs: c.runs.Load(), BytesIn: c.in.Load(), BytesOut: c.out.Load()}
}
