// Package zoo holds the trained bundles that ship inside the cdrl-go binaries, so that
// `cdrl-infer sample` and the Go API work with no files at all. Each bundle's manifest records
// the command that made it (`make models` reruns them) and the figures measured on it.
package zoo

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/cdrl-go/cdrl/models/bundle"
)

//go:embed toy2d mnist
var files embed.FS

// Names lists the embedded bundles.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

// Open returns the embedded bundle of the given name.
func Open(name string) (*bundle.Bundle, error) {
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("zoo: no embedded model %q (embedded: %s)", name, strings.Join(Names(), ", "))
	}
	sub, err := fs.Sub(files, name)
	if err != nil {
		return nil, fmt.Errorf("zoo: %w", err)
	}
	b, err := bundle.Read(sub)
	if err != nil {
		return nil, fmt.Errorf("zoo: %s: %w", name, err)
	}
	return b, nil
}
