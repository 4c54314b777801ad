package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/models/zoo"
)

// ReadModel reads the bundle a model flag names: a bundle folder, or else the name of a model
// embedded in the binaries (models/zoo). flag names the flag in error messages.
func ReadModel(flag, spec string) (*bundle.Bundle, error) {
	if spec == "" {
		return nil, fmt.Errorf("%s: no model given; pass a bundle folder or an embedded model's name (%s)", flag, strings.Join(zoo.Names(), ", "))
	}
	info, err := os.Stat(spec)
	switch {
	case err == nil && !info.IsDir():
		return nil, fmt.Errorf("%s %s: not a folder; a bundle is a folder holding %s and its graphs", flag, spec, bundle.ManifestFile)
	case err == nil:
		b, err := bundle.ReadDir(spec)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", flag, spec, err)
		}
		return b, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s %s: %w", flag, spec, err)
	case strings.ContainsAny(spec, `/\`) || strings.HasPrefix(spec, "."):
		return nil, fmt.Errorf("%s %s: no such folder", flag, spec)
	}
	b, err := zoo.Open(spec)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w; pass a bundle folder (e.g. the model/ folder of a cdrl-train run) instead", flag, spec, err)
	}
	return b, nil
}
