// Package plot draws the pictures people look at while training and using CDRL models: sample
// grids, 2-D point clouds, energy heatmaps, score histograms and the panels that put them side
// by side. It is pure Go: it imports only the standard library and nothing from the project.
//
// # Overview
//
// ImageGrid tiles NCHW float32 images in [-1, 1] into one picture. Scatter draws 2-D points in a
// square box, one colour per series. Heatmap colours a function sampled on a grid with ColorMap,
// a perceptually ordered map computed in the OKLab colour space whose lightness rises evenly;
// Enlarge blows a coarse picture up without blurring. Histogram overlays the histograms of
// several score sets. Panels arranges pictures in a grid with titles, and WritePNG writes any of
// them to a file atomically. Palette gives the series colours that Scatter and Histogram use, so
// callers can refer to them, e.g. in a title.
//
// Text (tick labels, legends, titles) is drawn with a small built-in 5 x 7 pixel font of
// digits, upper-case letters and common punctuation; lower-case letters are shown in upper case
// and characters it lacks as '?'.
//
// # Invariants
//
// The functions never modify their inputs and keep no state, so they are safe for concurrent
// use. The pictures they return have bounds starting at (0, 0), are opaque, and are at most
// MaxPixels pixels. Geometry is exact and documented on each function (e.g. ImageGrid's size
// formula and Scatter's point-to-pixel mapping), so tests and callers can find things by pixel.
//
// # Error handling
//
// Errors start with "plot: " and the name of the picture, and name the argument and the value
// that was wrong (a length that does not match the stated shape, a channel count other than 1
// or 3, a non-positive size, a picture larger than MaxPixels). Values in the data are not
// errors: out-of-range image values are clamped, points outside a Scatter box are left out, and
// NaN or infinite values are drawn grey or skipped as each function documents; the one exception
// is a Histogram without a single finite value, which has no range to draw. Nothing panics on
// bad input.
package plot
