// Package benchjson reads the figures that the PyTorch reference scripts (shared/bench) print
// on their BENCH_JSON line.
package benchjson

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Read finds the BENCH_JSON line of a reference script's output and returns its table[key],
// which must be a positive number.
func Read(stdout, key string) (float64, error) {
	for _, line := range strings.Split(stdout, "\n") {
		rest, ok := strings.CutPrefix(line, "BENCH_JSON ")
		if !ok {
			continue
		}
		// The scripts print Python's NaN for parts they skip; JSON has no NaN.
		rest = strings.ReplaceAll(rest, "NaN", "null")
		var res struct {
			Table map[string]*float64 `json:"table"`
		}
		if err := json.Unmarshal([]byte(rest), &res); err != nil {
			return 0, fmt.Errorf("reading BENCH_JSON: %w", err)
		}
		v := res.Table[key]
		if v == nil || *v <= 0 {
			return 0, fmt.Errorf("BENCH_JSON has no table.%s", key)
		}
		return *v, nil
	}
	return 0, fmt.Errorf("no BENCH_JSON line in the output")
}
