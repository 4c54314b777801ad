package bundle

import (
	"fmt"
	"strconv"
	"strings"
)

// Format is the value of every manifest's "format" field.
const Format = "cdrl-bundle"

// Version is the manifest version this build writes and the newest it reads. Any change to the
// manifest, additions included, increases it (see the package doc, "Compatibility").
// Version 2 added ood_level, version 3 inpaint_guidance.
const Version = 3

// ManifestFile is the name of the manifest inside a bundle.
const ManifestFile = "manifest.json"

// Kinds of data a model generates (the manifest's "kind").
const (
	KindImage  = "image"  // images, shape [C, H, W], range [-1, 1] by convention (not enforced)
	KindPoints = "points" // points of a D-dimensional box, shape [D]
)

// Step-size modes of the Langevin sampler (the manifest's "langevin.c_mode"; cdrl-method.md 2.2).
const (
	CModeImage = "image" // c_t = sbar_{t-1} / sbar_0
	CModeToy   = "toy"   // c_t = 1 / sbar_0 at every level
)

// Graph roles: the keys of Write's graphs map, the arguments of ReadGraph, and the field names
// under the manifest's "graphs".
const (
	GraphEnergy      = "energy"      // energy.onnx: the energy and its input gradient
	GraphInitializer = "initializer" // initializer.onnx: the initializer's proposal mean
)

// Input and output names of the graphs (design.md section 6). A graph's manifest entry lists
// exactly these names; "class" appears if and only if the model has classes.
const (
	InputX       = "x"      // energy, initializer: the sample (N, ...shape)
	InputLogSNR  = "logsnr" // all graphs: the logSNR per sample (N)
	InputClass   = "class"  // all graphs, conditional models only: int64 class id per sample (N)
	OutputEnergy = "energy" // energy: f(x) per sample (N), higher = more probable
	OutputGrad   = "grad"   // energy: df/dx, shaped like x
	OutputY      = "y"      // initializer: the proposal mean
)

// NullClass is the internal class id of the null (unconditional) class.
const NullClass int64 = 0

// Manifest is the content of a bundle's manifest.json: what the model generates, the schedule
// and sampler it was trained with, its graphs and where it came from. Fields tagged omitempty
// may be left out of the JSON; every other field must be present.
type Manifest struct {
	// Format is always the constant Format.
	Format string `json:"format"`
	// Version is the manifest version the bundle was written with, 1..Version.
	Version int `json:"version"`
	// Kind is KindImage or KindPoints.
	Kind string `json:"kind"`
	// Shape is one sample's shape without the batch axis: [C, H, W] with C 1 or 3 for images,
	// [D] for points.
	Shape []int `json:"shape"`
	// Range is the data range [lo, hi]: [-1, 1] for images, the data box of every coordinate for
	// points.
	Range [2]float64 `json:"range"`
	// Classes are the user-facing class labels of a conditional model; the internal id of
	// Classes[i] is i+1 and id 0 is the null class. Empty for unconditional models.
	Classes []string `json:"classes,omitempty"`
	// Schedule holds the noise schedule's parameters.
	Schedule Schedule `json:"schedule"`
	// Langevin holds the Langevin sampler's parameters.
	Langevin Langevin `json:"langevin"`
	// GuidanceDefault is the classifier-free guidance weight w that gave the best measured
	// result; 0 for unconditional models.
	GuidanceDefault float64 `json:"guidance_default"`
	// OODLevel is the level 0..Levels-1 whose energy scores inputs for out-of-distribution
	// detection: the one that separated outliers best when the model was evaluated. Left out,
	// it is 0, the least noisy level (cdrl-method.md 8.1). Version 2 and later.
	OODLevel int `json:"ood_level,omitempty"`
	// InpaintGuidance, when set, is the guidance weight for inpainting with a class (given or
	// inferred from the known pixels): the one that kept the most digits when the model was
	// evaluated. The known pixels already pull a completion towards the image, so a weight
	// below GuidanceDefault can keep more of it. Nil: GuidanceDefault. Version 3 and later.
	InpaintGuidance *float64 `json:"inpaint_guidance,omitempty"`
	// Graphs names the graph files and their inputs and outputs.
	Graphs Graphs `json:"graphs"`
	// Provenance records how the model was made.
	Provenance Provenance `json:"provenance"`
}

// Schedule holds the parameters of the truncated-cosine logSNR schedule (cdrl-method.md 1.2).
type Schedule struct {
	// Levels is the number of transitions T: marginal levels 0..T, energies at levels 0..T-1.
	Levels int `json:"levels"`
	// LogSNRMin is lambda_min, the logSNR of the noisiest level T.
	LogSNRMin float64 `json:"logsnr_min"`
	// LogSNRMax is lambda_max, the logSNR of level 0.
	LogSNRMax float64 `json:"logsnr_max"`
}

// Langevin holds the parameters of the Langevin sampler (cdrl-method.md 2.2, 2.3 and 6).
type Langevin struct {
	// Steps is K, the number of Langevin steps per level the model was trained with.
	Steps int `json:"steps"`
	// B is the step-size constant b.
	B float64 `json:"b"`
	// CMode selects c_t: CModeImage or CModeToy.
	CMode string `json:"c_mode"`
	// Tweedie says whether sampling ends with the Tweedie denoising step.
	Tweedie bool `json:"tweedie"`
}

// Graphs names the graph files of a bundle. There is no fused K-step Langevin graph: samplers
// run the steps from Go between energy runs (a fused program measured hardly faster on the
// CPU; README "Benchmarks").
type Graphs struct {
	// Energy is the energy graph (required).
	Energy Graph `json:"energy"`
	// Initializer is the initializer graph (required).
	Initializer Graph `json:"initializer"`
}

// Graph is one graph file of a bundle and the names of its inputs and outputs.
type Graph struct {
	// File is the file's name in the bundle folder: a plain name ending in ".onnx".
	File string `json:"file"`
	// Inputs lists the graph's input names, in any order.
	Inputs []string `json:"inputs"`
	// Outputs lists the graph's output names, in any order.
	Outputs []string `json:"outputs"`
}

// Provenance records how a model was made. All of it is optional and informational; Figures
// and Notes take any measurement or remark without a change of format.
type Provenance struct {
	// Command is the command line that trained the model.
	Command string `json:"command,omitempty"`
	// Seed is the training run's random seed.
	Seed int64 `json:"seed,omitempty"`
	// Iterations is the number of training iterations.
	Iterations int `json:"iterations,omitempty"`
	// Date is when the bundle was written, in RFC 3339 form.
	Date string `json:"date,omitempty"`
	// Figures are measured results by name (for example "fid" or "accuracy_guided").
	Figures map[string]float64 `json:"figures,omitempty"`
	// Notes is free text.
	Notes string `json:"notes,omitempty"`
}

// maxListedClasses bounds how many labels an error message lists.
const maxListedClasses = 20

// ClassID returns the internal class id of a user-facing label: its index in Classes plus one.
// The error lists the valid labels, or says that the model has no classes.
func (m *Manifest) ClassID(label string) (int64, error) {
	for i, c := range m.Classes {
		if c == label {
			return int64(i) + 1, nil
		}
	}
	if len(m.Classes) == 0 {
		return 0, fmt.Errorf("bundle: class %q: the model is unconditional (%s lists no classes)", label, ManifestFile)
	}
	quoted := make([]string, 0, min(len(m.Classes), maxListedClasses))
	for _, c := range m.Classes[:cap(quoted)] {
		quoted = append(quoted, strconv.Quote(c))
	}
	list := strings.Join(quoted, ", ")
	if len(m.Classes) > maxListedClasses {
		list += fmt.Sprintf(", ... (%d in all)", len(m.Classes))
	}
	return 0, fmt.Errorf("bundle: class %q is not one of the model's classes: %s", label, list)
}

// Label returns the user-facing label of an internal class id, or "" for the null class and
// for ids the model does not have.
func (m *Manifest) Label(id int64) string {
	if id < 1 || id > int64(len(m.Classes)) {
		return ""
	}
	return m.Classes[id-1]
}

// graphRole is one graph of a manifest with its role.
type graphRole struct {
	role string
	g    *Graph
}

// graphList returns the manifest's graphs in role order: energy, then initializer.
func (m *Manifest) graphList() []graphRole {
	return []graphRole{{GraphEnergy, &m.Graphs.Energy}, {GraphInitializer, &m.Graphs.Initializer}}
}

// graph returns the graph of a role, or nil for a name that is not a graph role.
func (m *Manifest) graph(role string) *Graph {
	for _, gr := range m.graphList() {
		if gr.role == role {
			return gr.g
		}
	}
	return nil
}

// InpaintGuidanceWeight returns the guidance weight for inpainting with a class:
// InpaintGuidance when set, else GuidanceDefault.
func (m *Manifest) InpaintGuidanceWeight() float64 {
	if m.InpaintGuidance != nil {
		return *m.InpaintGuidance
	}
	return m.GuidanceDefault
}
