// Command cdrl-bench measures the engine on this machine and prints a Markdown table: per-Run
// overhead of a tiny graph, a MatMul peak, and the forward + input-gradient throughput of the
// toy EBM (batch 2500) and of the MNIST conv EBM of the PyTorch reference (batch 64), each also
// as a fraction of the MatMul peak measured in the same run.
//
// With --peer-dir it also runs the PyTorch reference scripts (Debian's python3-torch, tuned by
// the scripts themselves) on the same networks, batch sizes and machine, and adds the ratio of
// their seconds per Langevin step to ours.
//
// Examples:
//
//	cdrl-bench --threads 2 --seconds 3
//	cdrl-bench --threads 2 --peer-dir ../shared/bench
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

func main() { os.Exit(cli.Main(newApp(), os.Args)) }

func newApp() *ucli.App {
	return &ucli.App{
		Name:  "cdrl-bench",
		Usage: "time the engine's ONNX Runtime programs and print a Markdown table",
		Flags: append([]ucli.Flag{
			&ucli.Float64Flag{Name: "seconds", Value: 3, Usage: "time spent on each workload"},
			&ucli.StringFlag{Name: "peer-dir", Usage: "also run the PyTorch reference scripts in `DIR` (e.g. ../shared/bench) and add ratio columns"},
			&ucli.StringFlag{Name: "python", Value: "/usr/bin/python3", Usage: "the Python that runs the reference scripts (Debian's, with python3-torch)"},
		}, cli.RuntimeFlags()...),
		Action: func(c *ucli.Context) error {
			return runBench(c.Context, benchOptions{
				Runtime: cli.RuntimeFrom(c), Seconds: c.Float64("seconds"),
				PeerDir: c.String("peer-dir"), Python: c.String("python"),
			}, c.App.Writer)
		},
	}
}

// result is the timing of one workload.
type result struct {
	w      *workload
	median time.Duration
	runs   int
}

// benchOptions are the command's flags.
type benchOptions struct {
	Runtime         cli.Runtime
	Seconds         float64
	PeerDir, Python string
}

func runBench(ctx context.Context, o benchOptions, out io.Writer) error {
	if o.Seconds <= 0 {
		return fmt.Errorf("--seconds must be positive, got %g", o.Seconds)
	}
	cfg, err := o.Runtime.Init()
	if err != nil {
		return err
	}
	builders := []func() (*workload, error){
		tinyWorkload,
		func() (*workload, error) { return matmulWorkload(2048) },
		func() (*workload, error) { return toyWorkload(2500) },
		func() (*workload, error) { return convWorkload(64) },
	}
	var results []result
	for _, build := range builders {
		w, err := build()
		if err != nil {
			return err
		}
		r, err := timeWorkload(ctx, w, cfg, time.Duration(o.Seconds*float64(time.Second)))
		if err != nil {
			return fmt.Errorf("%s: %w", w.Name, err)
		}
		fmt.Fprintf(os.Stderr, "%-32s %10s/run (%d runs)\n", w.Name, r.median, r.runs)
		results = append(results, r)
	}
	var peers map[string]time.Duration
	if o.PeerDir != "" {
		if peers, err = runPeers(ctx, o.Python, o.PeerDir); err != nil {
			return err
		}
	}
	peak := results[1].w.FLOPs / results[1].median.Seconds()
	fmt.Fprintf(out, "| workload | batch | time per Run | GFLOP/s | of MatMul peak |")
	if peers != nil {
		fmt.Fprintf(out, " PyTorch (tuned) | PyTorch time / cdrl-go time |")
	}
	fmt.Fprintf(out, "\n|---|---|---|---|---|")
	if peers != nil {
		fmt.Fprintf(out, "---|---|")
	}
	fmt.Fprintln(out)
	for _, r := range results {
		gf, frac := "-", "-"
		if r.w.FLOPs > 0 {
			rate := r.w.FLOPs / r.median.Seconds()
			gf = fmt.Sprintf("%.1f", rate/1e9)
			frac = fmt.Sprintf("%.0f%%", 100*rate/peak)
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s | %s |", r.w.Name, r.w.Batch, fmtDur(r.median), gf, frac)
		if peers != nil {
			if p, ok := peers[r.w.Name]; ok {
				fmt.Fprintf(out, " %s | %.2f |", fmtDur(p), p.Seconds()/r.median.Seconds())
			} else {
				fmt.Fprintf(out, " - | - |")
			}
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "\nONNX Runtime %s, provider %s, threads %d\n", ort.Version(), cfg.Provider, o.Runtime.Threads)
	return nil
}

// timeWorkload runs w through the preallocated fast path until budget is spent (at least 5
// runs after 2 warm-ups) and returns the median time per Run.
func timeWorkload(ctx context.Context, w *workload, cfg ort.SessionConfig, budget time.Duration) (result, error) {
	model, err := onnx.Marshal(w.Graph, onnx.Options{Params: onnx.BakeParams})
	if err != nil {
		return result{}, err
	}
	sess, err := ort.NewSession(model, cfg)
	if err != nil {
		return result{}, err
	}
	defer sess.Close()
	b, err := sess.Bind(w.Shapes)
	if err != nil {
		return result{}, err
	}
	defer b.Close()
	fillInputs(b)
	var times []time.Duration
	start := time.Now()
	for i := 0; i < 2 || len(times) < 5 || time.Since(start) < budget; i++ {
		t0 := time.Now()
		if err := b.Run(ctx); err != nil {
			return result{}, err
		}
		if i >= 2 {
			times = append(times, time.Since(t0))
		}
		if len(times) >= 100000 {
			break
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return result{w: w, median: times[len(times)/2], runs: len(times)}, nil
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
}

// fillInputs puts deterministic values in the bound inputs (valid level indices for int64 ones).
func fillInputs(b *ort.Bound) {
	for _, in := range b.Inputs() {
		if in.DType == tensor.Int64 {
			data := b.InputInt64(in.Name)
			for i := range data {
				data[i] = int64(i % len(benchLevels))
			}
			continue
		}
		data := b.Input(in.Name)
		for i := range data {
			data[i] = float32(i%7) * 0.1
		}
	}
}
