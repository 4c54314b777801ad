package main

import (
	"os"
	"testing"

	"github.com/cdrl-go/cdrl/train/traintest"
)

// bundles trains the tiny test bundles (toy and digits) in a temporary folder.
var bundles = traintest.NewBundles("")

// TestMain removes the test bundles after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	bundles.Close()
	os.Exit(code)
}
