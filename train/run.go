package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/infer/plot"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/models/cdrl"
	"github.com/cdrl-go/cdrl/runtime/atomicfile"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"github.com/cdrl-go/cdrl/train/data"
)

// Options say where a run writes and how it treats an existing output folder.
type Options struct {
	// Out is the run folder: checkpoint/, model/, samples/ and metrics.jsonl.
	Out string
	// Resume continues from the newest checkpoint in Out; the stored model configuration wins
	// over Config, which may change the Resumable fields (iterations, batch, Langevin steps,
	// learning rates, intervals, ...).
	Resume bool
	// Force starts afresh in an existing, non-empty Out (its old checkpoints are removed).
	Force bool
	// Set names the Config fields given explicitly ("Iters", "LangevinSteps", ...). On resume
	// the Resumable ones replace the stored values, and a model-defining one (Data, Arch,
	// Seed, ...) must match the run's. A name that is not a Config field is an error.
	Set map[string]bool
	// Session configures ONNX Runtime (provider and threads).
	Session ort.SessionConfig
	// Stdout receives the progress lines (nil: discard).
	Stdout io.Writer
	// TimeLimit, when positive, ends the run at the first iteration boundary after this much
	// time since Run started, as if Config.Iters had been reached there: the final checkpoint,
	// metrics, bundle and pictures are written and Run returns nil. A resumed run counts its
	// own time.
	TimeLimit time.Duration
	// Group is the set of processes training this run together (nil: this process alone).
	// Cfg.Batch is then each process's batch; rank 0 prepares the run folder, shares its state
	// with the others and alone writes files. When Run returns an error other than an
	// interruption in a group of several, the caller must end the whole group (MPI_Abort):
	// the other ranks may be waiting in a collective call.
	Group Group
}

// Run trains a CDRL model until cfg.Iters iterations are done or ctx is cancelled. A
// checkpoint, a metrics line and the inference bundle are always written at the last step
// and when ctx is cancelled (SIGINT/SIGTERM in the command) before Run returns.
func Run(ctx context.Context, cfg Config, o Options) (err error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	g := o.Group
	if g == nil {
		g = solo{}
	}
	if g.Rank() != 0 {
		return follow(ctx, o.Session, g)
	}
	if o.Out == "" {
		return &SettingError{Field: "Options.Out", Value: "", Problem: "no folder given"}
	}
	if o.TimeLimit < 0 {
		return &SettingError{Field: "Options.TimeLimit", Value: o.TimeLimit, Problem: "negative; use 0 for no limit"}
	}
	_, statErr := os.Stat(o.Out)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return &SettingError{Field: "Options.Out", Err: err}
	}
	lock, err := lockRun(o.Out)
	if err != nil {
		if created {
			os.RemoveAll(o.Out)
		}
		return err
	}
	defer func() {
		if err != nil && created && onlyLock(o.Out) { // a failed start leaves nothing behind
			os.RemoveAll(o.Out)
		}
		lock.release()
	}()
	ckptDir := filepath.Join(o.Out, "checkpoint")
	var st *State
	switch {
	case o.Resume:
		path, err := LatestCheckpoint(ckptDir)
		if errors.Is(err, ErrNoCheckpoint) {
			return &SettingError{Field: "Options.Resume", Err: fmt.Errorf("%w in %s; start without Options.Resume", ErrNoCheckpoint, ckptDir)}
		}
		if err != nil {
			return err
		}
		if st, err = LoadCheckpoint(path); err != nil {
			return err
		}
		var changes []string
		if cfg, changes, err = mergeResume(st.Config, cfg, o.Set); err != nil {
			return err
		}
		if err := trimMetrics(filepath.Join(o.Out, "metrics.jsonl"), st.Step); err != nil {
			return err
		}
		recovered, err := bundle.Recover(filepath.Join(o.Out, "model"))
		if err != nil {
			return fmt.Errorf("train: resuming: %w", err)
		}
		for _, dir := range []string{o.Out, ckptDir, filepath.Join(o.Out, "samples")} {
			stale, err := atomicfile.RemoveStale(dir)
			if err != nil {
				return fmt.Errorf("train: resuming: %w", err)
			}
			for _, path := range stale {
				recovered = append(recovered, "removed the unfinished file "+path)
			}
		}
		for _, a := range recovered {
			fmt.Fprintf(o.Stdout, "  %s (left by a killed run)\n", a)
		}
		fmt.Fprintf(o.Stdout, "resuming %s at step %d\n", path, st.Step)
		if was := max(st.WorldSize, 1); was != g.Size() {
			changes = append(changes, fmt.Sprintf("processes %d -> %d (global batch %d -> %d)", was, g.Size(), was*st.Config.Batch, g.Size()*cfg.Batch))
		}
		for _, c := range changes {
			fmt.Fprintf(o.Stdout, "  changed: %s\n", c)
		}
	default:
		if !onlyLock(o.Out) {
			if !o.Force {
				return &SettingError{Field: "Options.Out", Value: o.Out,
					Problem: "exists and is not empty; use Options.Resume to continue it or Options.Force to start afresh"}
			}
			for _, sub := range []string{"checkpoint", "samples", "model", "metrics.jsonl"} {
				if err := os.RemoveAll(filepath.Join(o.Out, sub)); err != nil {
					return fmt.Errorf("train: starting afresh: %w", err)
				}
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if st != nil && st.Step >= cfg.Iters {
		return configError("Iters", cfg.Iters, fmt.Sprintf("the checkpoint is at step %d; raise Config.Iters above it to train further", st.Step))
	}
	ds, err := data.Open(cfg.Data)
	if err != nil {
		return &SettingError{Field: "Config.Data", Err: err}
	}
	if err := checkMemory(cfg, tensor.Shape(ds.Shape()).Size()); err != nil {
		return err
	}
	t, err := newTrainer(cfg, ds, st, o.Session, g)
	if err != nil {
		return err
	}
	defer t.Close()
	if err := t.snapshot(); err != nil {
		return err
	}
	if _, err := shareState(g, t.st); err != nil {
		return err
	}
	x, err := t.nets.Exporter(t.levels)
	if err != nil {
		return err
	}
	metrics, err := openMetrics(filepath.Join(o.Out, "metrics.jsonl"))
	if err != nil {
		return err
	}
	defer metrics.Close()
	batch := fmt.Sprintf("batch %d", cfg.Batch)
	if g.Size() > 1 {
		batch = fmt.Sprintf("batch %d per process x %d processes = %d", cfg.Batch, g.Size(), cfg.Batch*g.Size())
	}
	fmt.Fprintf(o.Stdout, "training %s on %s: %s, %d Langevin steps, %d iterations; ONNX Runtime %s on %s\n",
		cfg.Arch, cfg.Data, batch, cfg.LangevinSteps, cfg.Iters, ort.Version(), t.ebmStep.sess.Provider())
	return t.loop(ctx, o, x, metrics)
}

// follow is Run on a rank other than 0: it takes rank 0's state and configuration, trains its
// slice of every global batch and writes nothing.
func follow(ctx context.Context, sess ort.SessionConfig, g Group) error {
	st, err := shareState(g, nil)
	if err != nil {
		return err
	}
	ds, err := data.Open(st.Config.Data)
	if err != nil {
		return fmt.Errorf("train: rank %d: %w", g.Rank(), err)
	}
	t, err := newTrainer(st.Config, ds, st, sess, g)
	if err != nil {
		return fmt.Errorf("train: rank %d: %w", g.Rank(), err)
	}
	defer t.Close()
	return t.loop(ctx, Options{Stdout: io.Discard}, nil, nil)
}

// loop trains until the configured iterations are done or any rank is interrupted, then
// writes the final checkpoint, metrics and bundle (rank 0; x and metrics are nil elsewhere).
func (t *trainer) loop(ctx context.Context, o Options, x *cdrl.Exporter, metrics *metricsLog) error {
	cfg := t.cfg
	ckptDir := filepath.Join(o.Out, "checkpoint")
	writer := t.group.Rank() == 0
	start := time.Now()
	prog := &progress{w: o.Stdout, start: start, from: t.st.Step, total: cfg.Iters, limit: o.TimeLimit}
	b := t.newBatch(cfg.Batch)
	var last Metrics
	// finish writes the checkpoint, metrics and bundle of the current state.
	finish := func(reason string) error {
		last.Seconds = time.Since(start).Seconds()
		if last.Step > 0 && writer {
			if err := metrics.write(last); err != nil {
				return err
			}
		}
		if err := t.checkpoint(ckptDir, x, o.Out); err != nil {
			return err
		}
		fmt.Fprintf(o.Stdout, "%s at step %d: wrote %s and %s\n", reason, t.st.Step, ckptDir, filepath.Join(o.Out, "model"))
		return nil
	}
	reason := "finished"
	for t.st.Step < cfg.Iters {
		// Every rank stops at the same iteration when any of them is interrupted (mpirun
		// forwards SIGINT and SIGTERM to all of them, not at the same moment) or when rank 0's
		// time limit is up.
		stop, timeUp, err := agreeStop(t.group, ctx.Err() != nil, o.TimeLimit > 0 && time.Since(start) >= o.TimeLimit)
		if err != nil {
			return err
		}
		if timeUp && !stop {
			reason = fmt.Sprintf("time limit %v reached", o.TimeLimit)
			break
		}
		if stop {
			if err := finish("interrupted"); err != nil {
				return err
			}
			return fmt.Errorf("train: interrupted; continue with Options.Resume: %w", context.Canceled)
		}
		m, err := t.step(context.WithoutCancel(ctx), b)
		if err != nil {
			// The state of this iteration is not saved: the last checkpoint stays the last good one.
			return err
		}
		last = m
		step := t.st.Step
		if step%cfg.LogEvery == 0 || step == cfg.Iters {
			m.Seconds = time.Since(start).Seconds()
			if writer {
				if err := metrics.write(m); err != nil {
					return err
				}
			}
			prog.line(m)
			last.Step = 0 // already written
		}
		if cfg.CheckpointEvery > 0 && step%cfg.CheckpointEvery == 0 && step < cfg.Iters {
			if err := t.checkpoint(ckptDir, x, o.Out); err != nil {
				return err
			}
		}
		if writer && cfg.SampleEvery > 0 && step%cfg.SampleEvery == 0 && step < cfg.Iters {
			if err := t.pictures(ctx, o.Out, o.Session); err != nil {
				return err
			}
		}
	}
	if err := finish(reason); err != nil {
		return err
	}
	if !writer {
		return nil
	}
	return t.pictures(ctx, o.Out, o.Session)
}

// checkpoint saves the state and the EMA bundle (rank 0), after checking that every rank
// holds the same parameters.
func (t *trainer) checkpoint(dir string, x *cdrl.Exporter, out string) error {
	if err := t.snapshot(); err != nil {
		return err
	}
	if err := verifyReplicas(t.group, t.st); err != nil {
		return err
	}
	if t.group.Rank() != 0 {
		return nil
	}
	if _, err := saveCheckpoint(dir, t.st, t.cfg.KeepCheckpoints); err != nil {
		return err
	}
	graphs, err := t.bundleGraphs(x)
	if err != nil {
		return err
	}
	if err := bundle.Write(filepath.Join(out, "model"), t.manifest(), graphs); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// pictures samples from the bundle just written and saves OUT/samples/step-NNNNNN.png: an
// image grid, or for 2-D data the samples of every level beside the level-0 density.
func (t *trainer) pictures(ctx context.Context, out string, sess ort.SessionConfig) error {
	b, err := bundle.ReadDir(filepath.Join(out, "model"))
	if err != nil {
		return fmt.Errorf("train: samples: %w", err)
	}
	s, err := infer.NewSampler(b, sess)
	if err != nil {
		return fmt.Errorf("train: samples: %w", err)
	}
	defer s.Close()
	opts := infer.SampleOptions{Seed: 1}
	var levels [][]float32
	opts.Levels = &levels
	n := t.cfg.SampleCount
	if t.classes > 0 {
		// One row per class, guided with the manifest's weight (the options' default).
		n = t.classes * max(1, t.cfg.SampleCount/t.classes)
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = int64(1 + i*t.classes/n)
		}
		opts.Classes = ids
	}
	xs, err := s.Sample(ctx, n, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return fmt.Errorf("train: samples: %w", err)
	}
	path := filepath.Join(out, "samples", fmt.Sprintf("step-%06d.png", t.st.Step))
	img, err := t.picture(ctx, s, xs, levels, n)
	if err != nil {
		return fmt.Errorf("train: samples: %w", err)
	}
	return plot.WritePNG(path, img)
}
