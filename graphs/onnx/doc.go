// Package onnx writes graphs built with package graphs as ONNX models, with its own protobuf
// encoder (onnx-go has none), and imports third-party ONNX models (e.g. an EBM exported with
// torch.onnx.export) into the graph IR so they can be differentiated, trained and sampled.
//
// # Import
//
// Import and ImportFile decode a model with onnx-go's public decoder (onnx.NewModel with a
// backend of ours that receives nodes, attributes and initializers) and read what that decoder
// drops (opset, node names, symbolic input dimensions, external data) with the package's own
// protobuf reader, the one its tests read Marshal's output with. Opsets 13 to 18 are supported. Inputs and outputs are mapped to the EBM/initializer
// contract names (x, logsnr, class; energy, y) through ImportOptions.IO. Float initializers on
// a gradient-carrying path to an output become params (trainable) unless ImportOptions.Freeze
// matches them; everything else becomes a constant. An unsupported op is an error naming the
// op type and node; a corrupt file is an error, never a panic.
//
// # Export
//
// Marshal turns a graph into the bytes of an ONNX ModelProto; Write stores them in a file
// atomically. Only the graph's declared outputs and the nodes they need are written. Every IR
// node maps to one ONNX node of the default domain at opset Opset (IR version IRVersion): the
// IR already spells operators, attributes and inputs the way that opset does. The IR's sources
// become:
//   - "Input": a graph input, in creation order, whether or not an output needs it;
//   - "Param": with ParamsAsInputs (training graphs, where Go owns and updates the values) a
//     graph input after the Inputs; with BakeParams (inference graphs) an initializer holding
//     its initial value or the value given in Options.Overrides. Params no output needs are
//     left out in both modes;
//   - "Constant": an initializer.
//
// Tensor data is written as little-endian raw_data. Input shapes mark a dynamic leading
// dimension with the symbolic name "N" (the batch) and other dynamic dimensions with distinct
// names "d0", "d1", ...; dynamic output dimensions are left unnamed, since the IR does not
// record which input dimension they follow. Outputs are named as declared with
// graphs.Graph.Output; a node whose value is exported takes the output's name for it, and an
// output that is a source or is exported twice goes through an Identity node.
//
// # Invariants
//
// Marshal is deterministic: the same graph and Options give the same bytes (attributes are
// written sorted by name). Node names are "<Op>_<id>" with the IR node's id, so they are unique.
//
// # Error handling
//
// Nothing panics. Marshal and Write return errors prefixed "onnx: " for a graph with a build
// error (graphs.Graph.Err), a graph without outputs, an unknown element type, an attribute of
// an unsupported Go type, an override that names no param or has the wrong shape or type, and
// clashing value names. Write leaves no file behind when it fails.
package onnx
