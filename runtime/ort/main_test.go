package ort

import (
	"fmt"
	"os"
	"testing"
)

// TestMain stops the package's tests with one clear message when no ONNX Runtime library can be
// found, instead of a failure per test: every test but the pure discovery ones needs it.
func TestMain(m *testing.M) {
	if _, err := FindLibrary(""); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: runtime/ort tests need ONNX Runtime %s: %v\n", LibraryVersion, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
