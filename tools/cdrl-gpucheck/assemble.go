package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cdrl-go/cdrl/runtime/atomicfile"
)

// providerFile is the CUDA execution provider library ONNX Runtime loads from the folder of its
// core library.
const providerFile = "libonnxruntime_providers_cuda.so"

// providerSHA256 is the sha256 of providerFile pinned in the Makefile (ORT_GPU_FILES); a test
// keeps the two equal.
const providerSHA256 = "56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037"

// partMarker separates a part's file name from its number, as `split -d` names the parts
// with the prefix FILE.part-: FILE.part-00, FILE.part-01, ...
const partMarker = ".part-"

// part is one piece of a split file.
type part struct {
	path string
	num  int
}

// listParts returns the *.part-NN files of dir in order. They must share one name before
// partMarker and be numbered from 0 without gaps.
func listParts(dir string) ([]part, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--assemble: %w", err)
	}
	var parts []part
	base := ""
	for _, e := range entries {
		i := strings.LastIndex(e.Name(), partMarker)
		if i < 0 || e.IsDir() {
			continue
		}
		num, err := strconv.Atoi(e.Name()[i+len(partMarker):])
		if err != nil || num < 0 {
			continue
		}
		if base != "" && e.Name()[:i] != base {
			return nil, fmt.Errorf("--assemble %s: parts of two files, %s and %s; keep one file's parts in the folder", dir, base, e.Name()[:i])
		}
		base = e.Name()[:i]
		parts = append(parts, part{path: filepath.Join(dir, e.Name()), num: num})
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("--assemble %s: no *%sNN files (make them with `split -b 60M -d -a 2 %s %s%s`)", dir, partMarker, providerFile, providerFile, partMarker)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].num < parts[j].num })
	for i, p := range parts {
		if p.num != i {
			return nil, fmt.Errorf("--assemble %s: part %d of %s is missing (found %s)", dir, i, base, filepath.Base(p.path))
		}
	}
	return parts, nil
}

// assembleProvider joins the parts in dir (listParts) into the file dst, which appears only
// when the sha256 of the whole is want (hex); otherwise dst is left as it was. A dst that
// already has that sha256 is kept and 0 is returned; else the number of parts joined.
func assembleProvider(dst, dir, want string) (int, error) {
	want = strings.ToLower(strings.TrimSpace(want))
	if b, err := hex.DecodeString(want); err != nil || len(b) != sha256.Size {
		return 0, fmt.Errorf("--provider-sha256 %q: want 64 hex digits", want)
	}
	if got, err := fileSHA256(dst); err == nil && got == want {
		return 0, nil
	}
	parts, err := listParts(dir)
	if err != nil {
		return 0, err
	}
	err = atomicfile.Write(dst, func(w io.Writer) error {
		h := sha256.New()
		mw := io.MultiWriter(w, h)
		for _, p := range parts {
			f, err := os.Open(p.path)
			if err != nil {
				return err
			}
			_, err = io.Copy(mw, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", p.path, err)
			}
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return fmt.Errorf("%w: the %d parts join to sha256 %s, want %s; a part is damaged or missing, copy the parts again",
				errChecksum, len(parts), got, want)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("--assemble %s: %w", dir, err)
	}
	return len(parts), nil
}

// errChecksum marks joined parts whose sha256 is not the pinned one.
var errChecksum = errors.New("checksum mismatch")

// fileSHA256 returns the hex sha256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// shortHash abbreviates a hex digest for the report.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "..."
	}
	return h
}
