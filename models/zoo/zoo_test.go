package zoo

import (
	"strings"
	"testing"
)

func TestOpenEveryEmbeddedBundle(t *testing.T) {
	if len(Names()) == 0 {
		t.Fatal("no embedded bundles")
	}
	for _, name := range Names() {
		b, err := Open(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, role := range []string{"energy", "initializer"} {
			data, err := b.ReadGraph(role)
			if err != nil || len(data) == 0 {
				t.Errorf("%s: graph %s: %v", name, role, err)
			}
		}
		if b.Manifest.Provenance.Command == "" {
			t.Errorf("%s: the manifest does not say how the model was made", name)
		}
	}
	if _, err := Open("nope"); err == nil || !strings.Contains(err.Error(), "toy2d") {
		t.Errorf("error %v, want one listing the embedded models", err)
	}
}
