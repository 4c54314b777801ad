// Package ebm builds the energy networks f(y, lambda) of CDRL as graphs: the 2-D toy MLP of
// cdrl-method.md 5.3, the image ResNet of 5.2 (with the small MNIST tiers of 10.2 and the
// paper's CIFAR-10 sizes as presets) and the small convolutional EBM that the PyTorch MNIST
// reference uses. Higher f means more probable.
//
// Every network splits into a time path (the logSNR embedding through MLPs, giving per-block
// features) and the x path; the time path runs on the rows an nn.Time supplies. Class
// conditioning (Cond; id 0 = the null class) adds a class embedding to the time features, for
// classifier-free guidance (5.6).
package ebm
