// Package ebm builds the energy networks f(y, lambda) of CDRL as graphs: the 2-D toy MLP of
// cdrl-method.md 5.3 and the small convolutional EBM that the PyTorch MNIST reference uses.
// Higher f means more probable.
//
// Every network splits into a time path (the logSNR embedding through MLPs, giving per-block
// features) and the x path; the time path runs on the rows an nn.Time supplies.
package ebm
