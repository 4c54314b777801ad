package train

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/train/data"
)

// benchConfigs mirror the PyTorch references in shared/bench: peer_toy.py (official toy
// networks, batch 2500, K = 15) and peer_mnist.py (its conv EBM and small UNet, batch 64,
// K = 15), both with spectral norm; mnist-s-b32 is cdrl-train's MNIST default.
func benchConfigs() map[string]Config {
	toy := Defaults("toy2d")
	toy.Arch, toy.Batch, toy.LangevinSteps = "toy-official", 2500, 15
	mnist := Defaults("mnist")
	mnist.Arch, mnist.Batch, mnist.LangevinSteps = "mnist-peer", 64, 15
	return map[string]Config{"toy-official-b2500": toy, "mnist-peer-b64": mnist, "mnist-s-b32": Defaults("mnist")}
}

// BenchmarkIteration times one CDRL training iteration on two threads, with the K Langevin
// steps run one score program per step with the EBM's weights baked in (steps=baked, the CPU's
// default) or fed to every step (steps=fed), or fused in one program (steps=fused). It also reports the time of the
// refinement alone per Langevin step and the bytes an iteration hands to ONNX Runtime and
// takes back (Metrics.Traffic).
func BenchmarkIteration(b *testing.B) {
	for _, name := range []string{"toy-official-b2500", "mnist-peer-b64", "mnist-s-b32"} {
		for _, steps := range []string{"baked", "fed", "fused"} {
			cfg := benchConfigs()[name]
			cfg.Fused, cfg.FusedSet = steps == "fused", true
			b.Run(fmt.Sprintf("%s/steps=%s", name, steps), func(b *testing.B) {
				defer func(f func(string, []int) bool) { bakeSteps = f }(bakeSteps)
				bakeSteps = func(string, []int) bool { return steps == "baked" }
				ds, err := data.Open(cfg.Data)
				if err != nil {
					b.Skip(err)
				}
				tr, err := newTrainer(cfg, ds, nil, ort.SessionConfig{IntraOpThreads: 2, InterOpThreads: 1}, nil)
				if err != nil {
					b.Fatal(err)
				}
				defer tr.Close()
				bt := tr.newBatch(cfg.Batch)
				ctx := context.Background()
				if _, err := tr.step(ctx, bt); err != nil { // warm-up
					b.Fatal(err)
				}
				var refine time.Duration
				var traffic ort.Traffic
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					m, err := tr.step(ctx, bt)
					if err != nil {
						b.Fatal(err)
					}
					traffic = m.Traffic
					b.StopTimer()
					t0 := time.Now()
					if err := tr.refine(ctx, bt, tr.foldSpectral(tr.st.EBM), levelTensor(bt), classTensor(bt)); err != nil {
						b.Fatal(err)
					}
					refine += time.Since(t0)
					b.StartTimer()
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/iter")
				b.ReportMetric(refine.Seconds()*1e3/float64(b.N*cfg.LangevinSteps), "ms/langevin-step")
				b.ReportMetric(float64(traffic.BytesIn)/1e6, "MB-in/iter")
				b.ReportMetric(float64(traffic.BytesOut)/1e6, "MB-out/iter")
			})
		}
	}
}
