// Package traintest trains tiny bundles for the tests of other packages, as net/http/httptest
// serves HTTP for them: it is imported by _test.go files only.
//
// # Overview
//
// Bundles trains, each once and on first use, a toy 2-D bundle (Toy) and a class-conditional
// image bundle on synthetic digits (Digits) into a folder, its own temporary one or the
// caller's, and returns their bundle folders. They train for a few iterations only: the samples
// are poor, the plumbing (training, export, manifest, ONNX Runtime sessions) is real.
// WriteDigits writes the synthetic digit data set, DigitImage one of its pictures.
//
// A test binary shares one Bundles, in a temporary folder that TestMain removes:
//
//	var bundles = traintest.NewBundles("")
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		bundles.Close()
//		os.Exit(code)
//	}
//
// # Error handling
//
// Toy and Digits fail the calling test (tb.Fatal) when training fails, with the training log
// in the message; a failed training is not retried, so every later caller fails the same way.
// WriteDigits returns the file system's errors.
package traintest
