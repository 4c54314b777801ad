package main

import (
	"fmt"

	"github.com/cdrl-go/cdrl/infer"
)

// imageJob is what the commands that start from one input image (inpaint, vary) share: the
// open image model, the --image read at its size, the checked output format and the sampler
// options with the class set: an id, or infer.AutoClass when inpaint infers it from the known
// pixels (a conditional model and no --class, or --class auto).
type imageJob struct {
	m       *model
	img     []float32
	c, h, w int
	ext     string
	so      infer.SampleOptions
	note    string // a remark on --image for the command's output, or ""
}

// openImageJob checks the shared flags, opens the model, checks that it generates images for
// the command op, and reads --out's format, --image and the class flags. On success the caller
// closes job.m.
func openImageJob(op string, o genOptions, class, image string) (*imageJob, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	m, err := openModel(o.Model, o.Runtime)
	if err != nil {
		return nil, err
	}
	j := &imageJob{m: m}
	if err := j.read(op, o, class, image); err != nil {
		m.Close()
		return nil, err
	}
	return j, nil
}

func (j *imageJob) read(op string, o genOptions, class, image string) error {
	var err error
	if j.c, j.h, j.w, err = j.m.image(op); err != nil {
		return err
	}
	if j.ext, err = outputFormat(o.Out, extPNG, extNPY); err != nil {
		return err
	}
	if j.ext == extPNG && o.N > 1 {
		if err := checkGrid(o.Out, o.N, o.N, j.h, j.w, gridCols(o.N)); err != nil {
			return err
		}
	}
	if j.img, err = infer.ReadImage(image, j.c, j.h, j.w); err != nil {
		return fmt.Errorf("--image: %w", err)
	}
	if j.c == 1 {
		if color, err := infer.HasColor(image, j.h, j.w); err == nil && color {
			j.note = fmt.Sprintf("note: --image %s is in color; the model reads grayscale, so it got the image's luma", image)
		}
	}
	j.so = o.sampleOptions(j.m)
	if op == "inpaint" {
		switch {
		case class == nullClass:
			class = ""
		case class == "" && len(j.m.b.Classes) > 0:
			class = autoClass
		}
	}
	if class == autoClass {
		if op != "inpaint" {
			return fmt.Errorf("--class %s: only inpaint infers the class (from the kept pixels); give a label", autoClass)
		}
		if len(j.m.b.Classes) == 0 {
			return fmt.Errorf("--class %s: %s is unconditional (its manifest lists no classes); leave --class out", autoClass, j.m.spec)
		}
		j.so.Class = infer.AutoClass
		return checkGuidance(o.Guidance, j.so.Class)
	}
	if j.so.Class, err = j.m.classID(class); err != nil {
		return err
	}
	return checkGuidance(o.Guidance, j.so.Class)
}
