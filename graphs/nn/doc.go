// Package nn holds the layers the CDRL networks are made of, written as composites of graphs
// primitives so that their gradients come from autodiff and need no rule of their own.
//
// # Overview
//
// Layers come in two forms. The functional form takes every tensor it uses as a value:
// Linear, GroupNormalize, Attention, AttentionBlock, SpectralNormalize, SiLU, TimeEmbedding,
// AvgPool2x2 and Upsample2x. The layer form (Dense, Conv2D, GroupNorm, SelfAttention) creates
// its parameters in a Scope and calls the functional form, so model code reads
// Dense(s.Sub("lin1"), x, 512, DenseOpts{Bias: true}).
//
// Tensors are NCHW. The batch dimension may be dynamic: reshapes copy it with a 0 entry, never
// with -1, so channel and spatial sizes stay known when the graph is built. Channel, feature and
// spatial sizes must be known.
//
// # Parameters and names
//
// A Scope names parameters hierarchically ("ebm/block0/conv1/w") and draws their initial values
// from its seeded *rand.Rand in creation order, so the same build with the same seed gives the
// same parameters. Weights and biases follow PyTorch's defaults (uniform in ±1/sqrt(fan_in));
// ZeroInit options zero a layer's weights and keep the default bias, as the initializer UNet's
// output convolutions do. Weights use PyTorch's layouts: (out, in) for Dense and
// (out, in, kh, kw) for Conv2D, so checkpoints map one to one.
//
// # Spectral normalisation
//
// A layer built with Spectral divides its weight W by sigma = u^T W_mat v, where W_mat is W
// reshaped to (out, in*kh*kw) and u, v are graph inputs named "<weight>/sn_u" and
// "<weight>/sn_v". The caller keeps u and v, updates them with PowerIteration in Go and feeds
// them; being inputs, they carry no gradient, which gives PyTorch's semantics. SpectralParams
// lists the triples a graph holds. An inference graph can instead be built without Spectral and
// given W/sigma as the weight: the parameter names are the same.
//
// # Error handling
//
// Builders never panic. Misuse (an unknown channel count, groups that do not divide the
// channels, an odd embedding size) is recorded in the graph like any build error and surfaces
// from graphs.Grad, graphs.Evaluate or export. A nil input gives a nil result.
package nn
