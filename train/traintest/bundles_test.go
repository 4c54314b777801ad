package traintest_test

import (
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/train/traintest"
)

// TestBundles trains the toy bundle into a temporary folder of Bundles' own, once, and checks
// that Close removes that folder but leaves alone a folder the caller gave.
func TestBundles(t *testing.T) {
	b := traintest.NewBundles("")
	dir := b.Toy(t)
	got, err := bundle.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Manifest.Kind != bundle.KindPoints {
		t.Errorf("toy bundle of kind %q, want %q", got.Manifest.Kind, bundle.KindPoints)
	}
	if again := b.Toy(t); again != dir {
		t.Errorf("second Toy: %s, want the first's %s", again, dir)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close, %s: %v; want it removed", dir, err)
	}

	root := t.TempDir()
	if err := traintest.NewBundles(root).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("Close removed the caller's folder: %v", err)
	}
}
