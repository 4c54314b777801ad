package plot

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// WritePNG encodes img as a PNG file at path, creating the folder (and its parents) when it is
// missing. The file is written under a temporary name in the same folder, flushed to disk and
// renamed over path, so readers see either the old file or the complete new one, never part of
// one; on error nothing is left behind and an existing file at path is untouched.
func WritePNG(path string, img image.Image) (err error) {
	if img == nil {
		return fmt.Errorf("plot: write png %s: nil picture", path)
	}
	dir, base := filepath.Split(path)
	if base == "" {
		return fmt.Errorf("plot: write png %s: path names a folder", path)
	}
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plot: write png %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("plot: write png %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("plot: write png %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := png.Encode(bw, img); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable; not every file system allows syncing a folder.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
