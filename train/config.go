package train

import (
	"fmt"
	"math"
)

// Config is a training run's configuration (cdrl-train's flags). The fields above Runtime
// define the model and are fixed for a run: a resumed run keeps the stored values. The rest may
// change on resume.
type Config struct {
	Data          string  // dataset spec (train/data.Open)
	Arch          string  // network preset (models/cdrl.Arch); "imported" with EBMGraph
	EBMGraph      string  // user-supplied EBM ONNX file (design.md section 3 contract)
	InitGraph     string  // user-supplied initializer ONNX file
	IO            string  // name map for the user graphs, e.g. "x=input_0,energy=output_0"
	Freeze        string  // regexp of user-graph initializers kept constant
	Levels        int     // T, the number of transitions
	LogSNRMin     float64 // schedule range
	LogSNRMax     float64
	StepMode      string  // Langevin step sizes: "image" or "toy"
	Conditional   bool    // class-conditional (needs labelled data)
	LabelDropout  float64 // probability of replacing a label by the null class
	Seed          uint64  // the run's random source and the initial weights
	LangevinSteps int     // K during training

	// LevelWeights, when not empty, are the relative frequencies of the transitions t = 1..T
	// in a batch (one weight per transition); empty means uniform (cdrl-method.md 4.2).
	// Raising the noisier transitions spends more of each batch where a model learns slowest.
	LevelWeights []float64

	Iters            int     // total iterations of the run
	Batch            int     // samples per iteration
	EBMLR            float64 // Adam learning rate of the EBM
	InitLR           float64 // AdamW learning rate of the initializer
	EBMWarmup        int     // EBM warmup iterations (factor min(1, n/EBMWarmup))
	InitWarmup       int     // initializer warmup iterations
	InitWarmupOffset int     // initializer warmup offset (factor min(1, (n+offset)/InitWarmup))
	EMA              float64 // EMA decay of both networks
	Clip             float64 // global gradient-norm clip of both networks
	MaxEnergy        float64 // a mean energy beyond this magnitude is reported as divergence
	Fused            bool    // run the K Langevin steps as one ONNX Runtime program (see FusedSet)
	// FusedSet says that Fused was chosen explicitly. Otherwise the device decides: on CUDA the
	// K steps run fused, which keeps the chain on the device and hands the parameters over once,
	// and on the CPU they run from Go, which measured as fast there.
	FusedSet        bool
	LogEvery        int // iterations between metrics lines
	SampleEvery     int // iterations between sample pictures (0 = only at the end)
	CheckpointEvery int // iterations between checkpoints (0 = only at the end)
	KeepCheckpoints int // checkpoints kept in OUT/checkpoint
	SampleCount     int // samples drawn for each picture
}

// Validate checks the values a run needs.
func (c Config) Validate() error {
	bad := func(flag string, v any, want string) error {
		return fmt.Errorf("train: --%s %v: %s", flag, v, want)
	}
	switch {
	case c.Data == "":
		return bad("data", `""`, "a dataset is needed")
	case (c.EBMGraph == "") != (c.InitGraph == ""):
		return fmt.Errorf("train: --ebm and --initializer go together")
	case c.Levels < 1:
		return bad("levels", c.Levels, "must be at least 1")
	case !(c.LogSNRMin < c.LogSNRMax):
		return fmt.Errorf("train: logSNR range [%g, %g] is empty", c.LogSNRMin, c.LogSNRMax)
	case c.LangevinSteps < 1:
		return bad("langevin-steps", c.LangevinSteps, "must be at least 1")
	case c.Iters < 1:
		return bad("iters", c.Iters, "must be at least 1")
	case c.Batch < 1:
		return bad("batch", c.Batch, "must be at least 1")
	case len(c.LevelWeights) > 0 && len(c.LevelWeights) != c.Levels:
		return bad("level-weights", c.LevelWeights, fmt.Sprintf("want one weight per transition (%d)", c.Levels))
	case len(c.LevelWeights) > 0 && !validWeights(c.LevelWeights):
		return bad("level-weights", c.LevelWeights, "weights must be finite, >= 0 and not all 0")
	case c.LabelDropout < 0 || c.LabelDropout >= 1:
		return bad("label-dropout", c.LabelDropout, "must be in [0, 1)")
	case !(c.EBMLR >= 0) || !(c.InitLR >= 0) || math.IsInf(c.EBMLR, 0) || math.IsInf(c.InitLR, 0):
		return fmt.Errorf("train: learning rates %g, %g must be finite and >= 0", c.EBMLR, c.InitLR)
	case c.EMA < 0 || c.EMA >= 1:
		return bad("ema", c.EMA, "must be in [0, 1)")
	case c.Clip < 0:
		return bad("clip", c.Clip, "must be >= 0 (0 = no clipping)")
	case !(c.MaxEnergy > 0):
		return bad("max-energy", c.MaxEnergy, "must be > 0")
	case c.LogEvery < 1:
		return bad("log-every", c.LogEvery, "must be at least 1")
	case c.SampleEvery < 0 || c.CheckpointEvery < 0:
		return fmt.Errorf("train: intervals must be >= 0")
	case c.KeepCheckpoints < 1:
		return bad("keep-checkpoints", c.KeepCheckpoints, "must be at least 1")
	case c.SampleCount < 1:
		return bad("sample-count", c.SampleCount, "must be at least 1")
	}
	return nil
}

func validWeights(ws []float64) bool {
	sum := 0.0
	for _, w := range ws {
		if !(w >= 0) || math.IsInf(w, 0) {
			return false
		}
		sum += w
	}
	return sum > 0
}

// Resumable lists the Config fields (by flag name) that a resumed run may change: they
// steer the optimisation, not the model.
var Resumable = []string{"iters", "batch", "langevin-steps", "level-weights", "label-dropout", "ebm-lr", "init-lr", "warmup", "ema",
	"clip", "max-energy", "fused", "log-every", "sample-every", "checkpoint-every", "keep-checkpoints", "sample-count"}

// fixed lists the flags that define the model, with the stored value they must match on resume.
var fixed = []struct {
	flag  string
	value func(Config) string
}{
	{"data", func(c Config) string { return c.Data }},
	{"arch", func(c Config) string { return c.Arch }},
	{"ebm", func(c Config) string { return c.EBMGraph }},
	{"initializer", func(c Config) string { return c.InitGraph }},
	{"io", func(c Config) string { return c.IO }},
	{"freeze", func(c Config) string { return c.Freeze }},
	{"conditional", func(c Config) string { return fmt.Sprint(c.Conditional) }},
	{"levels", func(c Config) string { return fmt.Sprint(c.Levels) }},
	{"seed", func(c Config) string { return fmt.Sprint(c.Seed) }},
}

// mergeResume returns the stored config with the resumable fields named in set taken from
// flags, and a description of each change. A model-defining flag named in set whose value
// differs from the stored one is an error rather than silently ignored.
func mergeResume(stored, flags Config, set map[string]bool) (Config, []string, error) {
	for _, f := range fixed {
		if set[f.flag] && f.value(flags) != f.value(stored) {
			return stored, nil, fmt.Errorf("train: --resume: --%s %s differs from the run's %s; the model settings are fixed for a run "+
				"(start a new run with another --out, or --force to replace this one)", f.flag, f.value(flags), f.value(stored))
		}
	}
	out := stored
	if out.MaxEnergy == 0 { // checkpoints written before the field existed
		out.MaxEnergy = flags.MaxEnergy
	}
	var changes []string
	setI := func(name string, dst *int, v int) {
		if set[name] && *dst != v {
			changes = append(changes, fmt.Sprintf("%s %d -> %d", name, *dst, v))
			*dst = v
		}
	}
	setF := func(name string, dst *float64, v float64) {
		if set[name] && *dst != v {
			changes = append(changes, fmt.Sprintf("%s %g -> %g", name, *dst, v))
			*dst = v
		}
	}
	setI("iters", &out.Iters, flags.Iters)
	setI("batch", &out.Batch, flags.Batch)
	setI("langevin-steps", &out.LangevinSteps, flags.LangevinSteps)
	if set["level-weights"] && fmt.Sprint(out.LevelWeights) != fmt.Sprint(flags.LevelWeights) {
		changes = append(changes, fmt.Sprintf("level-weights %v -> %v", out.LevelWeights, flags.LevelWeights))
		out.LevelWeights = flags.LevelWeights
	}
	setF("label-dropout", &out.LabelDropout, flags.LabelDropout)
	setF("ebm-lr", &out.EBMLR, flags.EBMLR)
	setF("init-lr", &out.InitLR, flags.InitLR)
	setI("warmup", &out.EBMWarmup, flags.EBMWarmup)
	setI("warmup", &out.InitWarmup, flags.InitWarmup)
	setF("ema", &out.EMA, flags.EMA)
	setF("clip", &out.Clip, flags.Clip)
	setF("max-energy", &out.MaxEnergy, flags.MaxEnergy)
	setI("log-every", &out.LogEvery, flags.LogEvery)
	setI("sample-every", &out.SampleEvery, flags.SampleEvery)
	setI("checkpoint-every", &out.CheckpointEvery, flags.CheckpointEvery)
	setI("keep-checkpoints", &out.KeepCheckpoints, flags.KeepCheckpoints)
	setI("sample-count", &out.SampleCount, flags.SampleCount)
	if set["fused"] {
		if out.Fused != flags.Fused {
			changes = append(changes, fmt.Sprintf("fused %v -> %v", out.Fused, flags.Fused))
		}
		out.Fused, out.FusedSet = flags.Fused, true
	}
	return out, changes, nil
}
