// Package classifier is a small MNIST digit classifier, trained with the project's own engine
// and shipped as an embedded ONNX model, for scoring generated digits: the class histogram and
// mean top probability of samples (cdrl-method.md 10.2) and a Frechet distance between the
// features of samples and of real digits (infer/metrics.Frechet).
//
// # Overview
//
// The network is LeNet-like, built with graphs/nn: conv 5x5 1->32, ReLU, 2x2 average pool,
// conv 5x5 32->64, ReLU, 2x2 average pool, dense 1024->128, ReLU (the 128 "features"),
// dense 128->10 (the "logits"); 184,586 params (a 740 kB ONNX file).
//
// Train runs the training graph (mean cross-entropy, with log-softmax written from ReduceMean,
// Exp, ReduceSum and Log, and its gradients from graphs.Grad) in ONNX Runtime with the params
// fed as inputs, and updates them with train/optim's Adam under a half-cosine learning-rate
// decay. Model.Marshal and Model.Write export the inference graph with the trained weights
// baked in: input "x" (N, 1, 28, 28) in [-1, 1], outputs "logits" (N, 10) and "features"
// (N, 128). Draw takes distinct labelled digits from a data.Dataset.
//
// Load opens the embedded mnist.onnx; New opens any model with the same inputs and outputs.
// Classifier.Classify returns labels 0..9 (the digit itself: the class id of train/data is
// the digit + 1), softmax probabilities and features as flat slices.
//
// # The shipped model
//
// mnist.onnx was made on a 2-core CPU (AMD EPYC, ONNX Runtime 1.24.3, 2 threads) with
//
//	go run ./tools/cdrl-classifier --threads 2
//
// that is 3 epochs (2,814 steps) of batches of 64, Adam with peak learning rate 1e-3, seed 1.
// Training took 4 min 3 s (about 11 steps/s); the test accuracy on all 10,000 MNIST test digits
// is 0.9903 (0.9805 after the first epoch, 0.9896 after the second). Runs are seeded, but ONNX
// Runtime's multi-threaded reductions may make a rerun differ in the last bits.
//
// # Error handling
//
// Errors start with "classifier: " and name what is wrong: a dataset of the wrong shape or
// class count, a config value out of range, an input of the wrong size or with a non-finite
// pixel, a model whose inputs or outputs do not match, a diverged training step. ONNX Runtime
// errors (a missing library included) are wrapped. Nothing panics.
package classifier
