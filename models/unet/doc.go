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
// Graphs hold no random ops: each block then gets a float32 graph input named
// "<block>/dropout" (see DropoutSuffix, DropoutInputs) of the block's activation shape
// (N, C, H, W), which the caller fills with independent uniform draws in [0, 1). An activation
// is dropped where its draw is below Config.Dropout and the kept ones are scaled by
// 1/(1 - Dropout), PyTorch's inverted dropout, so the caller's seeded generator makes a run
// reproducible.
//
// # Error handling
//
// Builders never panic: an invalid config (naming the field), a mismatched input or
// conditioning is recorded in the graph with Graph.Fail and the builder returns nil.
package unet
