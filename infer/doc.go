// Package infer holds the pure-Go heart of CDRL sampling: the noise schedule, the constants of
// every transition, and the Langevin arithmetic that refines samples between network calls.
//
// # Overview
//
// A Schedule (DefaultSchedule: 6 transitions, logSNR 9.8 down to -5.1) is the truncated-cosine
// logSNR schedule of the method doc; its level methods give lambda_k, abar_k, alpha_k and sbar_k
// for the marginal levels k = 0..Levels, computed in float64 from the angle theta_k so that
// 1 - abar_k keeps full precision. Transition t connects the noisier level t to level t-1;
// Schedule.Transition returns all its constants (r_t, sigma_t^2, btilde_t, m_t, the Langevin
// step sizes s_t and q_t, the loss weight w_t, the initializer noise std) under a Langevin
// setting: ImageSteps (b = 2e-4, c_t = sbar_{t-1}/sbar_0) or ToySteps (b = 1e-3,
// c_t = 1/sbar_0). Schedule.Tweedie gives the constants of the final denoising step. This
// package is the one place those numbers are computed; trainers, samplers and bundle
// manifests take them from here.
//
// The batch functions work on flat []float32 batches of n samples of dim elements each, with
// per-sample constants as length-n slices (PerSample.Fill makes them from each sample's
// transition). LangevinStep is one step y + 0.5*grad - q*(y - x) + s*noise, ScaleBy and
// Unscale move between a level and its scaled space y = sqrt(m_t) x_{t-1}, Tweedie.Denoise is
// the final step, Normal draws the noise from a caller-supplied *rand.Rand (math/rand/v2) and
// Schedule.Noise noises data to a level, alpha_k x + sbar_k e.
//
// # Sampling
//
// Sampler loads a trained bundle (models/bundle) into ONNX Runtime once and draws from it:
// Sample walks from noise down to data level by level (initializer proposal plus noise, K
// Langevin steps on the energy, unscaling, and the final Tweedie step for images), with
// classifier-free guidance for conditional models (the conditional and null-class halves run
// as one batch). SampleFrom continues given samples from any level (data noised to a level
// gives variations of it). Inpaint keeps known pixels (replacement at every level, exact in
// the output), ClassPosterior and InferClass say which class a partly known image shows (to
// guide its inpainting), Compose combines several classes, OOD scores inputs by the energy of
// the manifest's OOD level (level 0 unless the manifest says otherwise) and Energy returns
// energies and input gradients at any level. Every sample has its own noise stream seeded from
// (seed, index), so the same seed, N, chunk size, thread count and provider give the same
// output. SampleOptions.Batch splits large n into chunks, and SampleOptions.Stream hands each
// chunk out as soon as it is done instead of returning all n samples, so memory stays bounded
// by the chunk. Calls take a context that is checked between Langevin steps and inside ONNX
// Runtime runs. A Sampler is safe for concurrent use.
//
// # Defaults
//
// The model's defaults are resolved here, once, so that commands, services and evaluations
// ask the Sampler rather than re-derive them. The zero SampleOptions use the manifest's
// Langevin steps (Steps NoLangevin runs none: the initializer's proposals alone) and, for
// samples with a class, its guidance weight: guidance_default for Sample, SampleFrom and
// Compose (GuidanceWeight), its inpainting weight for Inpaint (InpaintGuidanceWeight);
// Weight(0) turns guidance off. Class AutoClass makes Inpaint infer the class from the known
// pixels and complete with it (InferClass; SampleOptions.Inferred reports it), ClassID maps a
// manifest label to a class id, and OOD scores with the manifest's OOD level.
//
// # Invariants
//
// Batch functions write only dst, never modify their inputs, allocate nothing, and accept dst
// aliasing the input it replaces elementwise. They compute in float32, as the ONNX programs
// they are the reference for. Transition constants are float64 and converted to float32 once,
// in PerSample.Fill.
//
// # Error handling
//
// Errors start with "infer: " (ClassID's, the manifest's, with "bundle: ") and name the value
// that was wrong: a schedule outside its limits, an unknown step mode, a transition outside
// 1..Levels, a slice whose length does not fit the batch. Nothing panics on bad input, with
// one exception stated where it applies: Normal needs a non-nil *rand.Rand. The level methods
// of Schedule return NaN rather than an error for an invalid schedule or level.
package infer
