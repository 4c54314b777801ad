package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/cdrl-go/cdrl/runtime/ort"
)

// Metrics is one logged step; it is written as one JSON line of OUT/metrics.jsonl.
type Metrics struct {
	Step     int     `json:"step"`
	EBMLoss  float64 `json:"ebm_loss"`
	InitLoss float64 `json:"init_loss"`
	FPos     float64 `json:"f_pos"`
	FNeg     float64 `json:"f_neg"`
	EBMNorm  float64 `json:"ebm_grad_norm"`
	InitNorm float64 `json:"init_grad_norm"`
	// Displacement is the mean per-sample ||y^K - y^0|| of the Langevin chains (it shrinks
	// as the initializer learns).
	Displacement float64 `json:"langevin_displacement"`
	EBMLR        float64 `json:"ebm_lr"`
	InitLR       float64 `json:"init_lr"`
	Seconds      float64 `json:"seconds"` // wall time since the run (or resume) started
	// WorldSize is the number of processes training the run (data parallel): the global batch
	// is WorldSize times Config.Batch.
	WorldSize int `json:"world_size"`
	// AllreduceSeconds is the time the iteration spent averaging across the processes (0 for
	// one process).
	AllreduceSeconds float64 `json:"allreduce_seconds"`
	// Traffic is what the iteration's runs handed to ONNX Runtime and took back (ort.Traffic):
	// with a GPU provider, the bytes copied between host and device per iteration.
	Traffic ort.Traffic `json:"traffic"`
	// ProgramTraffic splits Traffic by training program.
	ProgramTraffic map[string]ort.Traffic `json:"program_traffic"`
}

// metricsLog appends Metrics as JSON lines.
type metricsLog struct {
	f   *os.File
	enc *json.Encoder
}

func openMetrics(path string) (*metricsLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: metrics: %w", err)
	}
	return &metricsLog{f: f, enc: json.NewEncoder(f)}, nil
}

func (m *metricsLog) write(x Metrics) error {
	if err := m.enc.Encode(x); err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	return nil
}

func (m *metricsLog) Close() error { return m.f.Close() }

// progress prints a one-line status with rate and ETA.
type progress struct {
	w     io.Writer
	start time.Time
	from  int // step at start (resume)
	total int
	limit time.Duration // Options.TimeLimit (0: none)
}

func (p *progress) line(m Metrics) {
	done := m.Step - p.from
	el := time.Since(p.start).Seconds()
	rate := float64(done) / math.Max(el, 1e-9)
	eta := "?"
	if rate > 0 {
		left := time.Duration(float64(p.total-m.Step) / rate * float64(time.Second))
		if p.limit > 0 {
			left = min(left, max(p.limit-time.Since(p.start), 0))
		}
		eta = left.Round(time.Second).String()
	}
	comm := ""
	if m.WorldSize > 1 {
		comm = fmt.Sprintf("  allreduce %.1f ms/it", m.AllreduceSeconds*1e3)
	}
	fmt.Fprintf(p.w, "step %d/%d  %.2f it/s  ETA %s  ebm %.4g  init %.4g  f+ %.4g  f- %.4g  |dy| %.3g  runtime i/o %s/it%s\n",
		m.Step, p.total, rate, eta, m.EBMLoss, m.InitLoss, m.FPos, m.FNeg, m.Displacement, megabytes(m.Traffic.Bytes()), comm)
}

// megabytes formats a byte count in MB (10^6 bytes), with more digits below 10 MB.
func megabytes(n int64) string {
	mb := float64(n) / 1e6
	if mb < 10 {
		return fmt.Sprintf("%.2f MB", mb)
	}
	return fmt.Sprintf("%.0f MB", mb)
}

// trimMetrics drops the metrics lines after step (written by a run that was killed after its
// last checkpoint), so a resumed run does not log those steps twice.
func trimMetrics(path string, step int) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	var keep []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		var m struct {
			Step int `json:"step"`
		}
		if json.Unmarshal(line, &m) != nil || m.Step > step {
			continue
		}
		keep = append(keep, line...)
	}
	if err := os.WriteFile(path, keep, 0o644); err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	return nil
}
