package onnx

import (
	"fmt"
	"strings"
)

// ParseIO parses a name map such as "x=input_0,energy=output_0" (contract name = the graph's
// name) for ImportOptions.IO. The contract names are x, logsnr, class, energy and y.
func ParseIO(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	known := map[string]bool{"x": true, "logsnr": true, "class": true, "energy": true, "y": true}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--io: %q is not NAME=GRAPHNAME", part)
		}
		if !known[k] {
			return nil, fmt.Errorf("--io: unknown contract name %q (want x, logsnr, class, energy or y)", k)
		}
		m[k] = v
	}
	return m, nil
}
