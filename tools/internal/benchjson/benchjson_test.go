package benchjson

import "testing"

func TestRead(t *testing.T) {
	out := "warming up\nBENCH_JSON {\"table\": {\"train_iter_s\": 1.25, \"sample_s\": NaN, \"zero\": 0}}\n"
	if v, err := Read(out, "train_iter_s"); err != nil || v != 1.25 {
		t.Errorf("train_iter_s: %v, %v; want 1.25", v, err)
	}
	for _, key := range []string{"sample_s", "zero", "missing"} {
		if _, err := Read(out, key); err == nil {
			t.Errorf("%s: no error for a skipped, zero or missing figure", key)
		}
	}
	if _, err := Read("no figures\n", "train_iter_s"); err == nil {
		t.Error("no error without a BENCH_JSON line")
	}
	if _, err := Read("BENCH_JSON {broken\n", "train_iter_s"); err == nil {
		t.Error("no error for a broken BENCH_JSON line")
	}
}
