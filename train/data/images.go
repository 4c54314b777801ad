package data

import (
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/disintegration/imaging"
)

// maxImageSide bounds the common size an images spec may ask for.
const maxImageSide = 4096

// imageOptions are the options of an images:DIR@OPTS spec.
type imageOptions struct {
	width, height int // 0: the first image's size
	flip          bool
}

func (o imageOptions) String() string {
	s := fmt.Sprintf("%dx%d", o.width, o.height)
	if o.flip {
		s += ",flip"
	}
	return s
}

// parseImageOptions parses the comma-separated options after the '@' of an images spec.
func parseImageOptions(s string) (imageOptions, error) {
	var o imageOptions
	for _, opt := range strings.Split(s, ",") {
		if opt == "flip" {
			o.flip = true
			continue
		}
		ws, hs, ok := strings.Cut(opt, "x")
		w, errW := strconv.Atoi(ws)
		h, errH := strconv.Atoi(hs)
		if !ok || errW != nil || errH != nil || w < 1 || h < 1 || w > maxImageSide || h > maxImageSide {
			return o, fmt.Errorf("option %q: want WIDTHxHEIGHT (1..%d each) or flip", opt, maxImageSide)
		}
		o.width, o.height = w, h
	}
	return o, nil
}

// imageFile is one image of an images:DIR folder and its internal class id.
type imageFile struct {
	path  string
	label int64
}

func openImages(arg string) (Dataset, error) {
	dir, opts := arg, imageOptions{}
	if at := strings.LastIndex(arg, "@"); at >= 0 {
		o, err := parseImageOptions(arg[at+1:])
		switch {
		case err == nil:
			dir, opts = arg[:at], o
		case !exists(arg):
			return nil, fmt.Errorf("data: open %q: %w", "images:"+arg, err)
		}
	}
	files, classes, err := listImages(dir)
	if err != nil {
		return nil, err
	}
	if opts.width == 0 {
		first, err := decodeImage(files[0].path)
		if err != nil {
			return nil, err
		}
		b := first.Bounds()
		opts.width, opts.height = b.Dx(), b.Dy()
	}
	pix, channels, err := loadImages(files, opts.width, opts.height)
	if err != nil {
		return nil, err
	}
	s := &pixelSet{
		name:    "images:" + dir + "@" + opts.String(),
		shape:   []int{channels, opts.height, opts.width},
		pix:     pix,
		classes: classes,
		flip:    opts.flip,
	}
	if classes != nil {
		s.labels = make([]int64, len(files))
		for i, f := range files {
			s.labels[i] = f.label
		}
	}
	return s, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// listImages lists the PNG and JPEG files of dir: either all directly in dir (unlabelled,
// classes nil) or all in its subfolders, one class per subfolder in name order, each searched
// recursively. Names starting with '.' are skipped.
func listImages(dir string) (files []imageFile, classes []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("data: images: %w", err)
	}
	var top []imageFile
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		if !e.IsDir() {
			if isImageName(name) {
				top = append(top, imageFile{path: path})
			}
			continue
		}
		classes = append(classes, name)
		label := int64(len(classes))
		n := len(files)
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != path && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && isImageName(d.Name()) {
				files = append(files, imageFile{path: p, label: label})
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("data: images: %w", err)
		}
		if len(files) == n {
			return nil, nil, fmt.Errorf("data: images: class folder %s has no PNG or JPEG files", path)
		}
	}
	switch {
	case len(top) > 0 && len(classes) > 0:
		return nil, nil, fmt.Errorf("data: images: %s holds both images (unlabelled) and class subfolders (labelled), want one or the other", dir)
	case len(top) > 0:
		return top, nil, nil
	case len(files) == 0:
		return nil, nil, fmt.Errorf("data: images: %s has no PNG or JPEG files (.png, .jpg, .jpeg)", dir)
	}
	return files, classes, nil
}

func isImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// decodeImage reads an image file, applying a JPEG's EXIF orientation.
func decodeImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: images: %w", err)
	}
	defer f.Close()
	img, err := imaging.Decode(f, imaging.AutoOrientation(true))
	if err != nil {
		return nil, fmt.Errorf("data: images: decode %s: %w", path, err)
	}
	if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 {
		return nil, fmt.Errorf("data: images: %s is empty (%dx%d)", path, b.Dx(), b.Dy())
	}
	return img, nil
}

// loadImages decodes the files in parallel, brings each to width x height (imaging.Fill:
// Lanczos resampling to cover the size, then a centred crop), composites it onto black and
// stores it as 8-bit CHW pixels. It returns 1 channel when every image is grey (R = G = B at
// every pixel after resizing), else 3.
func loadImages(files []imageFile, width, height int) (pix []uint8, channels int, err error) {
	plane := width * height
	pix = make([]uint8, len(files)*3*plane)
	grey := make([]bool, len(files))
	errs := make([]error, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = loadImage(pix[3*i*plane:3*(i+1)*plane], &grey[i], files[i].path, width, height)
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, 0, err
		}
	}
	for _, g := range grey {
		if !g {
			return pix, 3, nil
		}
	}
	// All grey: keep the red plane of each image. The copy moves data towards the front of the
	// slice, never over an image not yet moved.
	for i := range files {
		copy(pix[i*plane:(i+1)*plane], pix[3*i*plane:3*i*plane+plane])
	}
	return pix[:len(files)*plane], 1, nil
}

// loadImage decodes one file into dst (3 planes of width*height bytes) and reports in grey
// whether all its pixels are grey.
func loadImage(dst []uint8, grey *bool, path string, width, height int) error {
	img, err := decodeImage(path)
	if err != nil {
		return err
	}
	nrgba := imaging.Fill(img, width, height, imaging.Center, imaging.Lanczos)
	plane := width * height
	isGrey := true
	for y := range height {
		row := nrgba.Pix[y*nrgba.Stride : y*nrgba.Stride+4*width]
		for x := range width {
			p := row[4*x : 4*x+4]
			r, g, b := overBlack(p[0], p[3]), overBlack(p[1], p[3]), overBlack(p[2], p[3])
			k := y*width + x
			dst[k], dst[plane+k], dst[2*plane+k] = r, g, b
			isGrey = isGrey && r == g && g == b
		}
	}
	*grey = isGrey
	return nil
}

// overBlack composites a non-premultiplied channel value with alpha a onto black, rounding.
func overBlack(v, a uint8) uint8 {
	return uint8((uint32(v)*uint32(a) + 127) / 255)
}
