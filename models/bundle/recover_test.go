package bundle

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRecover stages what a killed Write leaves, an unfinished new bundle and an old one put
// aside, with and without a bundle in place, and checks that Recover keeps the last complete
// bundle and nothing else.
func TestRecover(t *testing.T) {
	for _, inPlace := range []bool{true, false} {
		root := t.TempDir()
		dir := filepath.Join(root, "model")
		m := testManifest(false)
		if inPlace {
			if err := Write(dir, m, testGraphs(m)); err != nil {
				t.Fatal(err)
			}
		}
		writeFiles(t, filepath.Join(root, ".model.tmp-123"), map[string]string{"energy.onnx": "half"})
		old := testManifest(true)
		if err := os.Mkdir(filepath.Join(root, ".model.old-456"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := Write(filepath.Join(root, ".model.old-456", "model"), old, testGraphs(old)); err != nil {
			t.Fatal(err)
		}
		actions, err := Recover(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := listDir(t, root); !slices.Equal(got, []string{"model"}) {
			t.Errorf("in place %v: the parent holds %q after Recover (%q), want only the bundle", inPlace, got, actions)
		}
		b, err := ReadDir(dir)
		if err != nil {
			t.Fatalf("in place %v: %v", inPlace, err)
		}
		// The bundle in place wins; without one, the old bundle comes back.
		if conditional := len(b.Manifest.Classes) > 0; conditional == inPlace {
			t.Errorf("in place %v: Recover kept the wrong bundle (classes %v)", inPlace, b.Manifest.Classes)
		}
		if len(actions) != 2 || !strings.Contains(actions[0], "unfinished") {
			t.Errorf("in place %v: actions %q", inPlace, actions)
		}
	}
	if actions, err := Recover(filepath.Join(t.TempDir(), "none")); err != nil || actions != nil {
		t.Errorf("nothing to recover: %q, %v", actions, err)
	}
}
