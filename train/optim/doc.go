// Package optim holds the optimisers and parameter bookkeeping of CDRL training: Adam and AdamW,
// global gradient-norm clipping, learning-rate warmup, the exponential moving average (EMA) of
// the weights and a finiteness check for divergence reports. Everything is pure Go over
// []float32; ONNX Runtime computes the gradients, this package applies them.
//
// # Overview
//
// A network's parameters are a Params: ordered, named float32 tensors. Optimisers and the EMA
// work on the Data field, a [][]float32 with one slice per tensor, so gradient buffers only
// need the same layout (the same number of tensors, each with the same number of values). One
// iteration of the method (cdrl-method.md, Section 4.2) reads
//
//	norm := optim.ClipGlobalNorm(grads, 1.0)
//	if math.IsNaN(norm) || math.IsInf(norm, 0) { /* report divergence */ }
//	err := adam.Step(params.Data, grads, baseLR*warmup.Factor(n))
//	err = ema.Update(params.Data)
//
// where n counts the scheduler steps taken before this one, starting at 0.
//
// # Semantics
//
// The formulas are PyTorch's: torch.optim.Adam and AdamW (bias correction with the step count
// starting at 1, decoupled weight decay applied before the Adam update),
// torch.nn.utils.clip_grad_norm_ and torch_ema's ExponentialMovingAverage with its
// num-updates warmup. Moments and weights are stored as float32 like PyTorch's; each element's
// update is computed in float64 and rounded once, and norms accumulate in float64, so results
// agree with PyTorch to float32 rounding (the tests compare with a torch fixture to 1e-6).
//
// # Invariants
//
// The complete state of an optimiser is a plain struct with exported fields (AdamState,
// EMAState) from State and accepted back by SetState. Encoding it (encoding/gob, for
// example) and restoring it into a fresh optimiser built with the same configuration continues
// the run bit for bit. State and SetState copy, so a saved state never aliases live buffers.
//
// # Error handling
//
// Functions return errors prefixed "optim: " naming the value that was wrong: mismatched
// layouts, out-of-range hyperparameters, a negative learning rate. Nothing panics on bad
// input. ClipGlobalNorm has no error: it returns a NaN or infinite norm as is and leaves the
// gradients alone, and the caller reports the divergence; AllFinite locates the first bad value.
//
// # Concurrency
//
// An Adam or an EMA is not safe for concurrent use; distinct ones are independent.
package optim
