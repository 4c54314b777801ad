package onnx

// The versions every model written by this package declares. They are pinned here and nowhere
// else: the graph IR mirrors the operators of exactly this opset, so changing Opset means
// revisiting every op's emission in package graphs.
const (
	// IRVersion is the ONNX IR (file format) version written into ModelProto.ir_version.
	IRVersion = 8
	// Opset is the version of the default operator set domain ("" = ai.onnx) the models import.
	Opset = 17
	// ProducerName is written into ModelProto.producer_name.
	ProducerName = "cdrl-go"
)
