// Package bundle reads and writes model bundles, the contract between training and inference
// (design.md section 6). It is a leaf package: it imports nothing from the project and nothing
// outside the standard library, and it does not parse ONNX; the inference package checks the
// graphs' inputs and outputs against what ONNX Runtime sees in them.
//
// # Overview
//
// A bundle is a folder, or an fs.FS such as an embedded one, holding:
//
//	manifest.json      what the model generates, its schedule and sampler, its graphs, provenance
//	energy.onnx        inputs x, logsnr [, class] -> outputs energy, grad
//	initializer.onnx   inputs x, logsnr [, class] -> output y
//
// The graph file names are whatever the manifest's graphs section says; those above are the
// usual ones. The Input* and Output* constants name the graphs' inputs and outputs; class is
// present exactly when the manifest lists classes. A user-facing class label
// Classes[i] has the internal id i+1, and id 0 (NullClass) is the null class; ClassID and Label
// translate.
//
// Read and ReadDir parse and validate manifest.json and check that each graph file exists and
// is not empty; ReadGraph then returns a graph's bytes. Write validates a manifest and writes it
// with its graphs, atomically, replacing an earlier bundle in the same folder.
//
// # Compatibility
//
// Version is the manifest's major version. A reader refuses a manifest with a newer version,
// before looking at its other fields, with an error that says so (errors.Is ErrNewerVersion).
//
// There are no minor versions: a field this build does not know is an error, not something to
// skip. A reader that skipped a new field could sample with the wrong schedule or step sizes
// and never notice, so every change to the manifest, additions included, increases Version;
// strictness also catches misspelt fields in hand-edited manifests. Field names match exactly,
// including case. Measurements and remarks of any kind go in provenance.figures and
// provenance.notes, which need no change of format.
//
// # Invariants
//
// A manifest returned by Read, or accepted by Validate, has: format "cdrl-bundle" and version
// 1..Version; kind "image" with shape [C, H, W] (C 1 or 3, H and W positive) or kind "points"
// with shape [D] (D positive), at most 2^28 values per sample; a finite range with lo < hi;
// class labels that are unique, non-empty, free of surrounding space, commas and control
// characters; at least one level with logsnr_min < logsnr_max; at least one Langevin step,
// b > 0 and c_mode "image" or "toy"; a finite guidance weight, 0 or above, and 0 without
// classes; an OOD level 0..levels-1 (set in version 2 and later); an inpainting guidance weight,
// when set, that is finite, 0 or above, and 0 without classes (version 3 and later); energy and
// initializer graphs in distinct files with plain names ending in ".onnx" (no
// folders, no "..", not hidden from go:embed, only letters, digits, '.', '-' and '_'), each
// listing exactly its required input and output names;
// an RFC 3339 provenance date when there is one, and finite figures. A bundle returned by Read
// also has every graph file present as a non-empty regular file.
//
// # Concurrency
//
// A Bundle is not modified after Read returns it; many goroutines may use it at once if its
// FS allows concurrent reads, as os.DirFS and embed.FS do.
//
// # Error handling
//
// Errors start with "bundle: ". Problems with a bundle's content are *Error values naming the
// file (its path, for a bundle read from a folder) and, for manifest problems, the field path,
// and saying what was expected, as in
//
//	bundle: manifest.json: langevin.c_mode: "foo" is not one of image, toy
//
// Reading and validating report every problem found at once, joined with errors.Join. JSON
// syntax errors give the line and column; truncated files are called truncated. Malformed input
// never makes the package panic.
package bundle
