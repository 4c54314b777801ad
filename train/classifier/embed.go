package classifier

import (
	_ "embed"

	"github.com/cdrl-go/cdrl/runtime/ort"
)

// mnistModel is the trained classifier, made by tools/cdrl-classifier (see the package
// documentation for the command and its figures).
//
//go:embed mnist.onnx
var mnistModel []byte

// Load opens the classifier shipped with the package (mnist.onnx, embedded in the binary) with
// the given session settings; the zero SessionConfig runs on the CPU with ONNX Runtime's
// default threads. The caller must Close it.
func Load(cfg ort.SessionConfig) (*Classifier, error) {
	return New(mnistModel, cfg)
}

// ONNX returns a copy of the embedded model's bytes, e.g. to write it next to a report.
func ONNX() []byte {
	return append([]byte(nil), mnistModel...)
}
