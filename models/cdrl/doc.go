// Package cdrl builds the graph programs that CDRL runs: from an energy network (built in Go or
// imported from ONNX) it derives the score program (energy and its input gradient) and, in
// later stages, the training programs.
//
// # Error handling
//
// Build errors of the underlying graphs are returned with the program's name.
package cdrl
