package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/onnx"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// gpuLibrary is where `make setup-gpu` puts the CUDA build of ONNX Runtime, below the user
// cache folder (the Makefile's ORT_GPU_DIR).
const gpuLibrary = "cdrl-go/onnxruntime-gpu-1.29.0/libonnxruntime.so.1"

// sharedProviderFile is the provider bridge ONNX Runtime loads before the CUDA provider, from
// the core library's folder.
const sharedProviderFile = "libonnxruntime_providers_shared.so"

// probeCUDA creates a one-node session on cfg's CUDA device, runs it and checks its answer. It
// returns the device as ONNX Runtime took it ("cuda:0"), or why CUDA cannot be used: for a
// provider that does not load, ORT's error, which names the library it could not open.
func probeCUDA(ctx context.Context, cfg ort.SessionConfig) (string, error) {
	g := graphs.New("probe")
	x := graphs.Input(g, "x", tensor.Float32, 1, 4)
	g.Output("y", graphs.Add(x, graphs.Scalar(g, 1)))
	if err := g.Err(); err != nil {
		return "", err
	}
	model, err := onnx.Marshal(g, onnx.Options{Params: onnx.BakeParams})
	if err != nil {
		return "", err
	}
	sess, err := ort.NewSession(model, cfg)
	if err != nil {
		return "", err
	}
	defer sess.Close()
	out, err := sess.Run(ctx, map[string]*tensor.Tensor{"x": tensor.FromFloat32([]float32{1, 2, 3, 4}, 1, 4)})
	if err != nil {
		return "", fmt.Errorf("run on %s: %w", sess.Provider(), err)
	}
	got := out["y"].Float32
	for i, want := range []float32{2, 3, 4, 5} {
		if got[i] != want {
			return "", fmt.Errorf("run on %s: x + 1 gave %v, want [2 3 4 5]", sess.Provider(), got)
		}
	}
	return sess.Provider(), nil
}

// cudaAdvice says what to do when the CUDA provider does not load with the core library lib.
func cudaAdvice(lib string) string {
	setup := "run `make setup-gpu` and pass --ort-lib " + defaultGPULibrary() +
		", or copy the core library, " + sharedProviderFile + " and the parts of " + providerFile +
		" into one folder and pass --ort-lib FOLDER/libonnxruntime.so.1 --assemble PARTS"
	dir := filepath.Dir(lib)
	for _, name := range []string{sharedProviderFile, providerFile} {
		if !isFile(filepath.Join(dir, name)) {
			return fmt.Sprintf("%s has no %s beside it (the CPU library of `make setup` has none): %s", lib, name, setup)
		}
	}
	return "the provider needs the CUDA 13 runtime (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, " +
		"libcurand.so.10) and cuDNN 9 on the library path, e.g. LD_LIBRARY_PATH=.../site-packages/nvidia/*/lib " +
		"of PyTorch's CUDA 13 wheels, and a GPU that nvidia-smi lists"
}

// defaultGPULibrary is the core library `make setup-gpu` installs, spelled for the user.
func defaultGPULibrary() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, gpuLibrary)
	}
	return filepath.Join("~/.cache", gpuLibrary)
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// nvidiaSMI returns the GPUs `nvidia-smi --query-gpu=name,memory.total --format=csv` lists, one
// "name, memory" per GPU joined by "; ", or why there is no answer.
func nvidiaSMI(ctx context.Context) string {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return "no nvidia-smi on PATH"
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "--query-gpu=name,memory.total", "--format=csv")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stdout.String() + " " + stderr.String())
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = "no answer in 20 s"
		}
		return fmt.Sprintf("nvidia-smi failed (%v): %s", err, tail(msg, 300))
	}
	return parseNvidiaSMI(stdout.String())
}

// parseNvidiaSMI turns nvidia-smi's CSV (a header line, then one line per GPU) into
// "name, memory; name, memory".
func parseNvidiaSMI(csv string) string {
	var gpus []string
	for i, line := range strings.Split(strings.TrimSpace(csv), "\n") {
		line = strings.TrimSpace(line)
		if i == 0 && strings.HasPrefix(line, "name") || line == "" {
			continue
		}
		gpus = append(gpus, line)
	}
	if len(gpus) == 0 {
		return "nvidia-smi lists no GPU"
	}
	return strings.Join(gpus, "; ")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
