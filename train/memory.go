package train

import (
	"fmt"

	"github.com/cdrl-go/cdrl/infer"
)

// trainBytesPerValue is the bytes an iteration needs at least per value of a batch sample,
// besides one float32 per Langevin step for the step noise: the iteration's own float32
// buffers (data, noised pairs, chains, gradients, noise) and a modest share for ONNX Runtime's
// activations and their gradients. It is a lower bound, so only a batch that cannot fit is
// refused.
const trainBytesPerValue = 4 * 80

// checkMemory refuses a configuration whose batch buffers, for samples of dim values, exceed
// the memory the system reports available, before any program is built.
func checkMemory(cfg Config, dim int) error {
	avail, ok := infer.AvailableMemory()
	if !ok {
		return nil
	}
	need := int64(cfg.Batch) * int64(dim) * (trainBytesPerValue + 4*int64(cfg.LangevinSteps))
	if need <= avail {
		return nil
	}
	return configError("Batch", cfg.Batch, fmt.Sprintf("a batch of %d samples of %d values needs about %.1f GB, but the system has %.1f GB available; use a smaller Config.Batch",
		cfg.Batch, dim, float64(need)/1e9, float64(avail)/1e9))
}
