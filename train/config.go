package train

import (
	"fmt"
	"math"
	"reflect"
	"sort"
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

// Validate checks the values a run needs. Its errors are *SettingError.
func (c Config) Validate() error {
	bad := configError
	switch {
	case c.Data == "":
		return bad("Data", "", "a dataset is needed")
	case c.EBMGraph == "" && c.InitGraph != "":
		return bad("EBMGraph", nil, "needed with Config.InitGraph: the two graphs go together")
	case c.EBMGraph != "" && c.InitGraph == "":
		return bad("InitGraph", nil, "needed with Config.EBMGraph: the two graphs go together")
	case c.Levels < 1:
		return bad("Levels", c.Levels, "must be at least 1")
	case !(c.LogSNRMin < c.LogSNRMax):
		return bad("LogSNRMin", c.LogSNRMin, fmt.Sprintf("must be below Config.LogSNRMax %g", c.LogSNRMax))
	case c.LangevinSteps < 1:
		return bad("LangevinSteps", c.LangevinSteps, "must be at least 1")
	case c.Iters < 1:
		return bad("Iters", c.Iters, "must be at least 1")
	case c.Batch < 1:
		return bad("Batch", c.Batch, "must be at least 1")
	case len(c.LevelWeights) > 0 && len(c.LevelWeights) != c.Levels:
		return bad("LevelWeights", c.LevelWeights, fmt.Sprintf("want one weight per transition (%d)", c.Levels))
	case len(c.LevelWeights) > 0 && !validWeights(c.LevelWeights):
		return bad("LevelWeights", c.LevelWeights, "weights must be finite, >= 0 and not all 0")
	case c.LabelDropout < 0 || c.LabelDropout >= 1:
		return bad("LabelDropout", c.LabelDropout, "must be in [0, 1)")
	case !(c.EBMLR >= 0) || math.IsInf(c.EBMLR, 0):
		return bad("EBMLR", c.EBMLR, "must be finite and >= 0")
	case !(c.InitLR >= 0) || math.IsInf(c.InitLR, 0):
		return bad("InitLR", c.InitLR, "must be finite and >= 0")
	case c.EMA < 0 || c.EMA >= 1:
		return bad("EMA", c.EMA, "must be in [0, 1)")
	case c.Clip < 0:
		return bad("Clip", c.Clip, "must be >= 0 (0 = no clipping)")
	case !(c.MaxEnergy > 0):
		return bad("MaxEnergy", c.MaxEnergy, "must be > 0")
	case c.LogEvery < 1:
		return bad("LogEvery", c.LogEvery, "must be at least 1")
	case c.SampleEvery < 0:
		return bad("SampleEvery", c.SampleEvery, "must be >= 0 (0 = only at the end)")
	case c.CheckpointEvery < 0:
		return bad("CheckpointEvery", c.CheckpointEvery, "must be >= 0 (0 = only at the end)")
	case c.KeepCheckpoints < 1:
		return bad("KeepCheckpoints", c.KeepCheckpoints, "must be at least 1")
	case c.SampleCount < 1:
		return bad("SampleCount", c.SampleCount, "must be at least 1")
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

// Resumable lists the Config fields that a resumed run may change: they steer the
// optimisation, not the model.
var Resumable = []string{"Iters", "Batch", "LangevinSteps", "LevelWeights", "LabelDropout", "EBMLR", "InitLR", "EBMWarmup", "InitWarmup",
	"EMA", "Clip", "MaxEnergy", "Fused", "LogEvery", "SampleEvery", "CheckpointEvery", "KeepCheckpoints", "SampleCount"}

// fixed lists the Config fields that define the model: given on resume, they must match the
// stored values.
var fixed = []string{"Data", "Arch", "EBMGraph", "InitGraph", "IO", "Freeze", "Conditional", "Levels", "Seed"}

// mergeResume returns the stored config with the Resumable fields named in set taken from
// given, and a description of each change. A model-defining field named in set whose value
// differs from the stored one is an error rather than silently ignored.
func mergeResume(stored, given Config, set map[string]bool) (Config, []string, error) {
	was, now := reflect.ValueOf(stored), reflect.ValueOf(given)
	var unknown []string
	for name, ok := range set {
		if _, field := now.Type().FieldByName(name); ok && !field {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return stored, nil, &SettingError{Field: "Options.Set", Value: unknown, Problem: "not Config fields"}
	}
	for _, name := range fixed {
		if g, s := fmt.Sprint(now.FieldByName(name)), fmt.Sprint(was.FieldByName(name)); set[name] && g != s {
			return stored, nil, configError(name, g, fmt.Sprintf("differs from the run's %s; the model settings are fixed for a run "+
				"(start a new run in another Options.Out, or use Options.Force to replace this one)", s))
		}
	}
	out := stored
	if out.MaxEnergy == 0 { // checkpoints written before the field existed
		out.MaxEnergy = given.MaxEnergy
	}
	dst := reflect.ValueOf(&out).Elem()
	var changes []string
	for _, name := range Resumable {
		if !set[name] {
			continue
		}
		if a, b := fmt.Sprint(dst.FieldByName(name)), fmt.Sprint(now.FieldByName(name)); a != b {
			changes = append(changes, fmt.Sprintf("Config.%s %s -> %s", name, a, b))
		}
		dst.FieldByName(name).Set(now.FieldByName(name))
	}
	if set["Fused"] {
		out.FusedSet = true
	}
	return out, changes, nil
}
