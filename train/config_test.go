package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestValidateLevelWeights checks the errors for transition weights that cannot be used.
func TestValidateLevelWeights(t *testing.T) {
	cases := []struct {
		weights []float64
		want    string
	}{
		{[]float64{1, 2}, "want one weight per transition (6)"},
		{[]float64{1, 1, 1, -1, 1, 1}, "must be finite, >= 0 and not all 0"},
		{[]float64{0, 0, 0, 0, 0, 0}, "not all 0"},
		{[]float64{1, 1, 1, math.Inf(1), 1, 1}, "must be finite"},
	}
	for _, c := range cases {
		cfg := Defaults("mnist")
		cfg.LevelWeights = c.weights
		err := cfg.Validate()
		var se *SettingError
		if !errors.As(err, &se) || se.Field != "Config.LevelWeights" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("weights %v: error %v; want a SettingError of Config.LevelWeights saying %q", c.weights, err, c.want)
		}
	}
	cfg := Defaults("mnist")
	cfg.LevelWeights = []float64{1, 1, 1, 3, 3, 3}
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid weights rejected: %v", err)
	}
}

// TestValidateNamesFields checks that each invalid value is refused with a SettingError that
// names the Config field and its value, in the package's own terms.
func TestValidateNamesFields(t *testing.T) {
	cases := []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.Data = "" }, `train: Config.Data "": a dataset is needed`},
		{func(c *Config) { c.InitGraph = "init.onnx" }, "train: Config.EBMGraph: needed with Config.InitGraph"},
		{func(c *Config) { c.EBMGraph = "ebm.onnx" }, "train: Config.InitGraph: needed with Config.EBMGraph"},
		{func(c *Config) { c.Levels = 0 }, "train: Config.Levels 0: must be at least 1"},
		{func(c *Config) { c.LogSNRMin, c.LogSNRMax = 5, 5 }, "train: Config.LogSNRMin 5: must be below Config.LogSNRMax 5"},
		{func(c *Config) { c.LangevinSteps = 0 }, "train: Config.LangevinSteps 0: must be at least 1"},
		{func(c *Config) { c.Iters = 0 }, "train: Config.Iters 0: must be at least 1"},
		{func(c *Config) { c.Batch = 0 }, "train: Config.Batch 0: must be at least 1"},
		{func(c *Config) { c.LabelDropout = 1 }, "train: Config.LabelDropout 1: must be in [0, 1)"},
		{func(c *Config) { c.EBMLR = math.NaN() }, "train: Config.EBMLR NaN: must be finite and >= 0"},
		{func(c *Config) { c.InitLR = -1 }, "train: Config.InitLR -1: must be finite and >= 0"},
		{func(c *Config) { c.EMA = 1 }, "train: Config.EMA 1: must be in [0, 1)"},
		{func(c *Config) { c.Clip = -1 }, "train: Config.Clip -1: must be >= 0"},
		{func(c *Config) { c.MaxEnergy = 0 }, "train: Config.MaxEnergy 0: must be > 0"},
		{func(c *Config) { c.LogEvery = 0 }, "train: Config.LogEvery 0: must be at least 1"},
		{func(c *Config) { c.SampleEvery = -1 }, "train: Config.SampleEvery -1: must be >= 0"},
		{func(c *Config) { c.CheckpointEvery = -1 }, "train: Config.CheckpointEvery -1: must be >= 0"},
		{func(c *Config) { c.KeepCheckpoints = 0 }, "train: Config.KeepCheckpoints 0: must be at least 1"},
		{func(c *Config) { c.SampleCount = 0 }, "train: Config.SampleCount 0: must be at least 1"},
	}
	for _, c := range cases {
		cfg := Defaults("toy2d")
		c.set(&cfg)
		err := cfg.Validate()
		var se *SettingError
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "--") {
			t.Errorf("got %v, want a SettingError starting %q", err, c.want)
			continue
		}
		if field := strings.Fields(strings.TrimPrefix(c.want, "train: "))[0]; se.Field != strings.TrimSuffix(field, ":") {
			t.Errorf("%v: Field %q, want %q", err, se.Field, field)
		}
	}
}

// TestSettingError checks the wording of a SettingError without each of its parts and that
// it unwraps to its cause.
func TestSettingError(t *testing.T) {
	cause := errors.New("permission denied")
	cases := []struct {
		err  *SettingError
		want string
	}{
		{&SettingError{Field: "Config.Batch", Value: 0, Problem: "must be at least 1"}, "train: Config.Batch 0: must be at least 1"},
		{&SettingError{Field: "Config.Data", Value: "", Problem: "a dataset is needed"}, `train: Config.Data "": a dataset is needed`},
		{&SettingError{Field: "Options.Out", Value: "runs/x", Problem: "lock", Err: cause}, "train: Options.Out runs/x: lock: permission denied"},
		{&SettingError{Field: "Options.Out", Err: cause}, "train: Options.Out: permission denied"},
		{&SettingError{Field: "Config.LevelWeights", Value: []float64{1, 2}}, "train: Config.LevelWeights [1 2]"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	err := fmt.Errorf("wrapped: %w", &SettingError{Field: "Options.Out", Err: ErrLocked})
	var se *SettingError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &se) || se.Field != "Options.Out" {
		t.Errorf("%v: want errors.Is ErrLocked and errors.As a SettingError of Options.Out", err)
	}
}

// TestMergeResume checks what a resume takes from the given config: the Resumable fields named
// in Set, reported as changes; a different model-defining field is refused; a name that is not
// a Config field is refused.
func TestMergeResume(t *testing.T) {
	stored := Defaults("toy2d")
	given := stored
	given.Iters, given.LangevinSteps, given.Batch, given.EBMWarmup, given.Fused = stored.Iters+10, 3, 7, 1, true
	given.LevelWeights = []float64{1, 1, 1, 3, 3, 3}
	got, changes, err := mergeResume(stored, given, map[string]bool{"Iters": true, "LangevinSteps": true, "EBMWarmup": true, "LevelWeights": true, "Fused": true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Iters != given.Iters || got.LangevinSteps != 3 || got.EBMWarmup != 1 || got.Batch != stored.Batch || !got.Fused || !got.FusedSet ||
		len(got.LevelWeights) != 6 {
		t.Errorf("merged iters %d, K %d, EBM warmup %d, batch %d, fused %v (set %v), level weights %v; want %d, 3, 1, %d, true (true), 6 weights",
			got.Iters, got.LangevinSteps, got.EBMWarmup, got.Batch, got.Fused, got.FusedSet, got.LevelWeights, given.Iters, stored.Batch)
	}
	want := []string{fmt.Sprintf("Config.Iters %d -> %d", stored.Iters, given.Iters), fmt.Sprintf("Config.LangevinSteps %d -> 3", stored.LangevinSteps),
		"Config.LevelWeights [] -> [1 1 1 3 3 3]", fmt.Sprintf("Config.EBMWarmup %d -> 1", stored.EBMWarmup), "Config.Fused false -> true"}
	if fmt.Sprint(changes) != fmt.Sprint(want) {
		t.Errorf("changes %q, want %q", changes, want)
	}

	given = stored
	given.Arch = "toy-official"
	_, _, err = mergeResume(stored, given, map[string]bool{"Arch": true})
	var se *SettingError
	if !errors.As(err, &se) || se.Field != "Config.Arch" ||
		!strings.HasPrefix(err.Error(), "train: Config.Arch toy-official: differs from the run's toy-small") || strings.Contains(err.Error(), "--") {
		t.Errorf("another Arch: got %v, want a SettingError of Config.Arch naming both values", err)
	}
	if _, _, err := mergeResume(stored, given, map[string]bool{"Arch": false}); err != nil {
		t.Errorf("another Arch not in Set: %v", err)
	}
	_, _, err = mergeResume(stored, stored, map[string]bool{"iters": true, "Iters": true, "langevin-steps": true})
	if !errors.As(err, &se) || se.Field != "Options.Set" || err.Error() != "train: Options.Set [iters langevin-steps]: not Config fields" {
		t.Errorf("flag names in Set: got %v", err)
	}
}

// TestDrawTransition checks that transitions are drawn with the frequencies of the weights
// (and uniformly without weights), within 4 standard deviations of 60,000 draws.
func TestDrawTransition(t *testing.T) {
	for _, ws := range [][]float64{nil, {0, 1, 0, 0, 0, 3}, {1, 1, 1, 3, 3, 3}} {
		tr := &trainer{cfg: Config{Levels: 6, LevelWeights: ws}}
		rng := rand.New(rand.NewPCG(1, 2))
		const n = 60000
		count := make([]int, 7)
		for range n {
			count[tr.drawTransition(rng)]++
		}
		if count[0] != 0 {
			t.Fatalf("weights %v: drew transition 0", ws)
		}
		sum := 0.0
		for _, w := range ws {
			sum += w
		}
		for k := 1; k <= 6; k++ {
			p := 1.0 / 6
			if ws != nil {
				p = ws[k-1] / sum
			}
			got := float64(count[k]) / n
			if tol := 4 * math.Sqrt(p*(1-p)/n); math.Abs(got-p) > tol || (p == 0 && count[k] > 0) {
				t.Errorf("weights %v: transition %d drawn with frequency %.4f, want %.4f", ws, k, got, p)
			}
		}
	}
}
