// Package atomicfile writes files that readers see whole or not at all: the content goes to a
// temporary file beside the target (".NAME.tmp-*", hidden), which is synced to disk and then
// renamed over the target, and the folder is synced so that the rename survives a crash. A
// crash or an error leaves the old file (or none) and no temporary file behind, except after
// a crash between the write and the rename, when the hidden temporary file stays. Every file
// writer of the project goes through it; bundles, which are folders, have their own swap in
// models/bundle.
package atomicfile

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
)

// Write creates or replaces the file path, mode 0644, with what write writes to the writer it
// is given (buffered). The folder must exist. On error, including one returned by write, the
// temporary file is removed and an existing file at path is left as it was.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
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
	// Make the rename durable; not every file system allows syncing a folder, and the file is
	// complete either way.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteBytes is Write of data.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// RemoveStale removes the temporary files that writes killed before their rename left in the
// folder dir (hidden files named ".NAME.tmp-*") and returns their paths. It must not run while
// a write into dir is in progress. A missing folder holds nothing to remove.
func RemoveStale(dir string) ([]string, error) {
	stale, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, path := range stale {
		if info, err := os.Lstat(path); err != nil || !info.Mode().IsRegular() {
			continue
		}
		if err := os.Remove(path); err != nil {
			return removed, err
		}
		removed = append(removed, path)
	}
	return removed, nil
}
