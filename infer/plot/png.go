package plot

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/cdrl-go/cdrl/runtime/atomicfile"
)

// WritePNG encodes img as a PNG file at path, creating the folder (and its parents) when it is
// missing. The file is written atomically (runtime/atomicfile): readers see either the old
// file or the complete new one; on error an existing file at path is untouched.
func WritePNG(path string, img image.Image) error {
	if img == nil {
		return fmt.Errorf("plot: write png %s: nil picture", path)
	}
	dir, base := filepath.Split(path)
	if base == "" {
		return fmt.Errorf("plot: write png %s: path names a folder", path)
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("plot: write png %s: %w", path, err)
		}
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return fmt.Errorf("plot: write png %s: %w", path, err)
	}
	return nil
}
