// Package ebm builds the energy networks f(y, lambda) of CDRL as graphs: the 2-D toy MLP of
// cdrl-method.md 5.3 and the small convolutional EBM that the PyTorch MNIST reference uses.
// Higher f means more probable.
//
// # Time conditioning
//
// Every network splits into a time path (the logSNR embedding through MLPs, giving per-block
// features) and the x path. The time path depends only on the noise level, of which a run has a
// handful, so it can run on a small table of levels and be gathered per sample (TableTime) or
// run per sample from a logSNR input (SampleTime); both give the same energies.
package ebm
