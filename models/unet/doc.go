// Package unet builds the initializer networks g_phi(x_t, lambda_t) of CDRL as graphs: the
// image UNet of cdrl-method.md 5.4, the 2-D toy MLP of 5.5 and the small UNet of the PyTorch
// MNIST reference. Every network returns y = x + Net(x), the proposal mean in the scaled target
// space, with its last layer zero-initialised so that it starts near the identity.
//
// # Overview
//
// The time path embeds the logSNR (nn.Time), runs it through an MLP and gives each block a
// per-channel scale and shift. Without classes it runs on the rows an nn.Time supplies (a level
// table or the samples) and each block's features are mapped to the batch; with classes the
// MLP output is mapped to the batch first and the class embedding added (5.6).
//
// # Dropout
//
// The image UNet applies dropout in its residual blocks only when built with Config.Train.
// Graphs hold no random ops. By default each block gets a float32 input named
// "<block>/dropout" (see DropoutSuffix, DropoutInputs) of the block's activation shape
// (N, C, H, W), which the caller fills with independent uniform draws in [0, 1). With
// Config.KeyedDropout the graph instead takes one int64 input "dropout_key" (DropoutKey) of
// shape (N) and computes every block's draws from it with a counter-based generator
// (nn.CounterUniform, one stream per block, in building order), so only a key per sample
// crosses to the runtime: the form for a GPU, where the draws are cheap and the host-to-device
// copies are not; on a CPU the caller's draws are cheaper than the generator's integer
// arithmetic. Either way an activation is dropped where its draw is below Config.Dropout and
// the kept ones are scaled by 1/(1 - Dropout), PyTorch's inverted dropout, and the caller's
// seeded draws or keys make a run reproducible.
//
// # Error handling
//
// Builders never panic: an invalid config (naming the field), a mismatched input or
// conditioning is recorded in the graph with Graph.Fail and the builder returns nil.
package unet
