package classifier

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/cdrl-go/cdrl/infer/metrics"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// evalBatch is the number of digits per ONNX Runtime call when classifying.
const evalBatch = 250

// Classifier runs a trained classifier in ONNX Runtime.
//
// Classify is safe for concurrent use; Close waits for running calls (see ort.Session).
type Classifier struct {
	sess *ort.Session
}

// New opens an ONNX classifier model (as Model.Marshal writes it): input "x" (N, 1, 28, 28),
// outputs "logits" (N, 10) and "features" (N, 128). The caller must Close it.
func New(model []byte, cfg ort.SessionConfig) (*Classifier, error) {
	cfg.Inputs, cfg.Outputs = []string{InputX}, []string{OutLogits, OutFeatures}
	sess, err := ort.NewSession(model, cfg)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	if err := checkIO(sess); err != nil {
		sess.Close()
		return nil, err
	}
	return &Classifier{sess: sess}, nil
}

// checkIO verifies the declared shapes of the model's input and outputs.
func checkIO(s *ort.Session) error {
	want := map[string]tensor.Shape{
		InputX:      {-1, 1, Side, Side},
		OutLogits:   {-1, Classes},
		OutFeatures: {-1, Features},
	}
	infos := append(s.Inputs(), s.Outputs()...)
	for _, in := range infos {
		w := want[in.Name]
		if in.DType != tensor.Float32 || len(in.Shape) != len(w) {
			return fmt.Errorf("classifier: model %s is %v%v, want float32%v", in.Name, in.DType, in.Shape, w)
		}
		for k := 1; k < len(w); k++ {
			if in.Shape[k] != w[k] {
				return fmt.Errorf("classifier: model %s is %v%v, want float32%v", in.Name, in.DType, in.Shape, w)
			}
		}
	}
	return nil
}

// Classify classifies the n digits in x (n*784 pixels in [-1, 1], digit i at
// [i*784, (i+1)*784), the layout of data.Dataset batches) and returns each digit's label
// 0..9 (the argmax; the dataset class id is label + 1), the class probabilities (softmax of
// the logits, n*10 values) and the penultimate-layer features (n*128 values, for
// metrics.Frechet). It runs in batches of 250. It returns an error when n is not positive,
// len(x) is not n*784, a pixel is not finite, or the run fails (ctx done included).
func (c *Classifier) Classify(ctx context.Context, x []float32, n int) (labels []int, probs, features []float32, err error) {
	if c == nil || c.sess == nil {
		return nil, nil, nil, errors.New("classifier: classify: nil classifier")
	}
	if n <= 0 {
		return nil, nil, nil, fmt.Errorf("classifier: classify: %d digits, want at least 1", n)
	}
	if len(x) != n*Side*Side {
		return nil, nil, nil, fmt.Errorf("classifier: classify: x has %d values, want %d digits of %d pixels = %d", len(x), n, Side*Side, n*Side*Side)
	}
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, nil, nil, fmt.Errorf("classifier: classify: pixel %d (digit %d) is %v", i, i/(Side*Side), v)
		}
	}
	logits, features, err := runBatches(ctx, c.sess, nil, x, n)
	if err != nil {
		return nil, nil, nil, err
	}
	return argmax(logits), softmax(logits), features, nil
}

// Accuracy classifies the n digits in x and returns the fraction whose label equals digits[i].
// It returns Classify's errors and an error when len(digits) is not n.
func (c *Classifier) Accuracy(ctx context.Context, x []float32, digits []int) (float64, error) {
	if len(digits) == 0 {
		return 0, errors.New("classifier: accuracy: no digits")
	}
	labels, _, _, err := c.Classify(ctx, x, len(digits))
	if err != nil {
		return 0, err
	}
	acc, err := metrics.Accuracy(labels, digits)
	if err != nil {
		return 0, fmt.Errorf("classifier: %w", err)
	}
	return acc, nil
}

// Close releases the ONNX Runtime session. It is safe to call on nil and more than once.
func (c *Classifier) Close() error {
	if c == nil || c.sess == nil {
		return nil
	}
	return c.sess.Close()
}

// runBatches runs sess on x (n digits) in batches of evalBatch, adding extra feeds (params fed
// as inputs during training), and returns the concatenated logits and features.
func runBatches(ctx context.Context, sess *ort.Session, extra map[string]*tensor.Tensor, x []float32, n int) (logits, features []float32, err error) {
	logits = make([]float32, 0, n*Classes)
	features = make([]float32, 0, n*Features)
	feeds := make(map[string]*tensor.Tensor, len(extra)+1)
	for k, v := range extra {
		feeds[k] = v
	}
	const size = Side * Side
	for lo := 0; lo < n; lo += evalBatch {
		hi := min(lo+evalBatch, n)
		feeds[InputX] = tensor.FromFloat32(x[lo*size:hi*size], hi-lo, 1, Side, Side)
		out, err := sess.Run(ctx, feeds)
		if err != nil {
			return nil, nil, fmt.Errorf("classifier: run digits %d..%d: %w", lo, hi-1, err)
		}
		l, f := out[OutLogits], out[OutFeatures]
		if l == nil || len(l.Float32) != (hi-lo)*Classes {
			return nil, nil, fmt.Errorf("classifier: run digits %d..%d: no (%d, %d) logits", lo, hi-1, hi-lo, Classes)
		}
		logits = append(logits, l.Float32...)
		if f != nil {
			features = append(features, f.Float32...)
		}
	}
	return logits, features, nil
}

// argmax returns the index of the largest of each row of Classes logits (the first on ties).
func argmax(logits []float32) []int {
	n := len(logits) / Classes
	out := make([]int, n)
	for i := range out {
		row := logits[i*Classes : (i+1)*Classes]
		best := 0
		for k, v := range row {
			if v > row[best] {
				best = k
			}
		}
		out[i] = best
	}
	return out
}

// softmax returns the row-wise softmax of rows of Classes logits, computed in float64 after
// subtracting each row's maximum.
func softmax(logits []float32) []float32 {
	out := make([]float32, len(logits))
	for i := 0; i+Classes <= len(logits); i += Classes {
		row := logits[i : i+Classes]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		for k, v := range row {
			out[i+k] = float32(math.Exp(float64(v)-m) / s)
		}
	}
	return out
}
