package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/tools/internal/benchjson"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
)

// TestTable runs the command's logic briefly and checks the table it prints.
func TestTable(t *testing.T) {
	var out bytes.Buffer
	if err := runBench(context.Background(), benchOptions{Runtime: cli.Runtime{Threads: 1}, Seconds: 0.01}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, w := range []string{"| MatMul peak | 2048 |", "| toy EBM energy+grad | 2500 |", "| MNIST conv EBM energy+grad | 64 |", "100%"} {
		if !strings.Contains(s, w) {
			t.Errorf("table lacks %q:\n%s", w, s)
		}
	}
	if err := runBench(context.Background(), benchOptions{}, &out); err == nil || !strings.Contains(err.Error(), "--seconds") {
		t.Errorf("error %v, want one naming --seconds", err)
	}
}

// TestFLOPCount pins the per-sample forward multiply-accumulates of the two networks against
// hand counts (toy: 2*128 + 2*128^2 + (128*256 + 256^2 + 128*256) + 2*(2*256^2) + 256;
// conv: each layer's Cout*Hout*Wout*Cin*9).
func TestFLOPCount(t *testing.T) {
	toy, err := toyWorkload(1)
	if err != nil {
		t.Fatal(err)
	}
	wantToy := 2*128 + 2*128*128 + (128*256 + 256*256 + 128*256) + 2*(2*256*256) + 256
	if got := toy.FLOPs / 4; got != float64(wantToy) {
		t.Errorf("toy MACs %g, want %d", got, wantToy)
	}
	conv, err := convWorkload(1)
	if err != nil {
		t.Fatal(err)
	}
	wantConv := 32*28*28*1*9 + 64*14*14*32*9 + 128*7*7*64*9 + 128*4*4*128*9
	if got := conv.FLOPs / 4; got != float64(wantConv) {
		t.Errorf("conv MACs %g, want %d", got, wantConv)
	}
}

func benchWorkload(b *testing.B, build func() (*workload, error)) {
	w, err := build()
	if err != nil {
		b.Fatal(err)
	}
	model, err := onnx.Marshal(w.Graph, onnx.Options{Params: onnx.BakeParams})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := ort.NewSession(model, ort.SessionConfig{IntraOpThreads: 2, InterOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	bound, err := sess.Bind(w.Shapes)
	if err != nil {
		b.Fatal(err)
	}
	defer bound.Close()
	fillInputs(bound)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := bound.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if w.FLOPs > 0 {
		b.ReportMetric(w.FLOPs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
}

func BenchmarkMatMul2048(b *testing.B) {
	benchWorkload(b, func() (*workload, error) { return matmulWorkload(2048) })
}

func BenchmarkToyEnergyGrad2500(b *testing.B) {
	benchWorkload(b, func() (*workload, error) { return toyWorkload(2500) })
}

func BenchmarkConvEnergyGrad64(b *testing.B) {
	benchWorkload(b, func() (*workload, error) { return convWorkload(64) })
}

func TestParsePeer(t *testing.T) {
	out := "noise\nBENCH_JSON {\"table\": {\"langevin_step_s\": 0.018, \"train_iter_s\": NaN}}\n"
	if v, err := benchjson.Read(out, "langevin_step_s"); err != nil || v != 0.018 {
		t.Errorf("got %v, %v; want 0.018", v, err)
	}
	if _, err := benchjson.Read(out, "train_iter_s"); err == nil {
		t.Error("a NaN entry must be an error")
	}
	if _, err := benchjson.Read("nothing here", "x"); err == nil {
		t.Error("missing BENCH_JSON must be an error")
	}
	if _, err := runPeers(context.Background(), "/usr/bin/python3", t.TempDir()); err == nil || !strings.Contains(err.Error(), "--peer-dir") {
		t.Errorf("error %v, want one naming --peer-dir", err)
	}
}

// TestRunPeersRelativeDir runs stand-in reference scripts (shell scripts that print a
// BENCH_JSON line, run by sh in place of Python) from a --peer-dir given relative to the
// working directory, the form the README's command uses.
func TestRunPeersRelativeDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "bench")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, p := range peerRuns {
		script := fmt.Sprintf("echo 'BENCH_JSON {\"table\": {\"%s\": 0.0%d}}'\n", p.key, i+1)
		if err := os.WriteFile(filepath.Join(dir, p.script), []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(root)
	got, err := runPeers(context.Background(), "sh", "bench")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range peerRuns {
		if want := time.Duration(i+1) * 10 * time.Millisecond; got[p.workload] != want {
			t.Errorf("%s: %v, want %v", p.workload, got[p.workload], want)
		}
	}
}
