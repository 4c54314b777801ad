// Package tensor holds dense host tensors (float32, int64 and float64) with their shapes, and
// reads and writes them as NumPy .npy files. It is a leaf package: it imports nothing from the
// project, and nothing outside the standard library.
//
// # Overview
//
// A Tensor is a row-major array: a DType (whose values are the ONNX element-type codes), a
// Shape, and one data slice selected by the DType. New allocates a zero tensor; FromFloat32,
// FromInt64 and FromFloat64 wrap existing slices without copying. Validate checks that the shape
// is known and matches the data; CheckFinite finds the first NaN or infinity.
//
// ReadNpy and WriteNpy (and their File variants) exchange tensors with NumPy: '<f4', '<f8' and
// '<i8' arrays map to Float32, Float64 and Int64, and '<i4' arrays are read as Int64. Only
// C-order arrays are read; WriteNpyFile replaces its file atomically. NpyWriter writes a float32
// array piece by piece after a header with its full shape, for arrays too large to hold.
//
// # Concurrency
//
// A Tensor is plain data with no locking: many goroutines may read one, but a goroutine that
// writes it must not share it meanwhile. The functions of this package keep no state.
//
// # Error handling
//
// Errors start with "tensor: " and say what is wrong; .npy errors name the file (when there is
// one) and the problem: bad magic, unsupported version or dtype, Fortran order, malformed
// header, or truncated data. Readers never panic on malformed input.
package tensor
