// Command cdrl-eval regenerates every evaluation figure of the shipped models in one run and
// writes them as a Markdown report with PNG pictures.
//
// A points model (toy2d) is measured against the 8-squares set: the fraction of samples inside
// the squares and each square's share, the energy distance and MMD to fresh true samples, the
// learned level-0 density beside a scatter of the samples, and the sampling rate. An image
// model (mnist) is measured with the MNIST classifier of train/classifier: the class accuracy
// of guided samples for every guidance weight, the class histogram and a Frechet distance of
// unguided samples, inpainting agreement (null class, and with the class inferred from the
// known pixels at every guidance weight), digits kept when sampling back from each level, OOD
// AUROC against three kinds of outliers at every level, and the sampling rates; the best weight
// is reported as the recommended guidance_default, the weight that keeps the most inpainted
// digits (chosen on training digits) as the recommended inpaint_guidance and the level that
// separates outliers best (chosen on training digits) as the recommended ood_level. With
// --steps-table, a conditional image model also gets a table of sample quality against the
// Langevin steps K per level (K = 0: the initializer alone): guided accuracy at the manifest's
// guidance weight, the smallest unguided digit share, the Frechet distance, lower-half
// inpainting agreement with the class inferred, and the sampling rate. --samples judges .npy
// files of another program's digits (the PyTorch reference's, say) like unguided samples.
//
// Examples:
//
//	cdrl-eval
//	cdrl-eval --models toy2d --out /tmp/eval-toy
//	cdrl-eval --models runs/mnist/model --guidance-weights 0,1,2 --threads 2
//	cdrl-eval --models mnist --steps-table 15,8,5,3,1,0
//	cdrl-eval --models toy2d,runs/mnist/model --quick --out /tmp/eval-quick
//	cdrl-eval --samples out/mnist_train/samples_ema.npy --out /tmp/eval-peer
package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/infer/plot"
	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/runtime/atomicfile"
	"github.com/cdrl-go/cdrl/runtime/ort"
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	"github.com/cdrl-go/cdrl/train/classifier"
	ucli "github.com/urfave/cli/v2"
)

func main() { os.Exit(cli.Main(newApp(commandLine(os.Args)), os.Args)) }

// Flag categories of --help, beside cli.CategoryIO and cli.CategoryRuntime.
const (
	categoryModels = "models"
	categorySizes  = "sizes"
)

// Sizes of the evaluation: the defaults of --n and --inpaint, and what --quick uses instead.
const (
	defaultPointsN = 5000 // samples (and fresh true samples) per figure of a points model
	defaultImagesN = 1000 // samples per figure of an image model (N/classes per class)
	defaultInpaint = 100  // test digits inpainted with each mask
	quickPointsN   = 400
	quickImagesN   = 20
	quickInpaint   = 4
)

// defaultWeights is the default of --guidance-weights.
const defaultWeights = "0,0.5,1,2,3"

// options are the settings of one evaluation run.
type options struct {
	// Out is the folder that receives report.md and the PNGs.
	Out string
	// Models lists the models to evaluate: bundle folders or embedded model names.
	Models []string
	// Samples lists .npy files of generated digits (another program's) judged like unguided
	// samples.
	Samples []string
	// N is the number of samples per figure; 0 selects defaultPointsN or defaultImagesN (or
	// the quick sizes) by the model's kind.
	N int
	// Inpaint is the number of test digits inpainted with each mask; 0 selects the default.
	Inpaint int
	// Resample, when positive, adds inpainting figures with this resampling count
	// (infer.SampleOptions.Resample) to those of plain replacement.
	Resample int
	// Seed seeds every random draw of the run.
	Seed uint64
	// Weights are the guidance weights evaluated on conditional image models.
	Weights []float64
	// Quick selects small sizes (for tests and smoke runs) where N and Inpaint are 0.
	Quick bool
	// Digits is the data spec of the MNIST test digits image models are compared with.
	Digits string
	// Steps is the number of Langevin steps per level; 0 uses each model's.
	Steps int
	// StepsTable lists the Langevin steps K per level of the rows of the table of sample
	// quality against K (conditional image models; 0: no step); empty: no table.
	StepsTable []int
	// Batch is the number of samples per network call; 0 samples all at once, nil each
	// model's chunk size (infer.Sampler.DefaultBatch).
	Batch *int
	// Runtime holds the ONNX Runtime flags.
	Runtime cli.Runtime
	// Command is the command line, as the report quotes it.
	Command string
}

// The flags, declared once.
var (
	outFlag = &ucli.StringFlag{
		Name: "out", Value: "out/eval", EnvVars: []string{"CDRL_EVAL_OUT"}, Category: cli.CategoryIO,
		Usage: "folder `DIR` for report.md and the PNGs (created; files of the same names are replaced)",
	}
	modelsFlag = &ucli.StringFlag{
		Name: "models", Value: "toy2d,mnist", EnvVars: []string{"CDRL_EVAL_MODELS"}, Category: categoryModels,
		Usage: "comma-separated `MODELS`: bundle folders or names of embedded models (toy2d, mnist)",
	}
	samplesFlag = &ucli.StringFlag{
		Name: "samples", EnvVars: []string{"CDRL_EVAL_SAMPLES"}, Category: categoryModels,
		Usage: "comma-separated .npy `FILES` of generated digits ((N, 1, 28, 28) float32 in [-1, 1], e.g. the PyTorch reference's), judged like unguided samples; " +
			"without --models only these are evaluated",
	}
	digitsFlag = &ucli.StringFlag{
		Name: "digits", Value: "mnist", EnvVars: []string{"CDRL_EVAL_DIGITS"}, Category: categoryModels,
		Usage: "data `SPEC` whose test split holds the real digits image models are compared with, and whose training split chooses the recommended ood_level (mnist or mnist:DIR)",
	}
	weightsFlag = &ucli.StringFlag{
		Name: "guidance-weights", Value: defaultWeights, EnvVars: []string{"CDRL_EVAL_GUIDANCE_WEIGHTS"}, Category: categoryModels,
		Usage: "comma-separated classifier-free guidance weights `W,...` (>= 0) evaluated on conditional image models",
	}
	nFlag = &ucli.IntFlag{
		Name: "n", EnvVars: []string{"CDRL_EVAL_N"}, Category: categorySizes,
		DefaultText: fmt.Sprintf("%d for points models, %d for image models", defaultPointsN, defaultImagesN),
		Usage:       "samples `N` per figure (image models: N/classes per class, N test digits, N inputs per OOD set)",
	}
	inpaintFlag = &ucli.IntFlag{
		Name: "inpaint", EnvVars: []string{"CDRL_EVAL_INPAINT"}, Category: categorySizes,
		DefaultText: strconv.Itoa(defaultInpaint),
		Usage:       "test digits `M` inpainted with each mask (image models; M training digits choose the recommended inpaint_guidance)",
	}
	resampleFlag = &ucli.IntFlag{
		Name: "resample", EnvVars: []string{"CDRL_EVAL_RESAMPLE"}, Category: categorySizes,
		Usage: "also inpaint with every level repeated `R` more times after noising its result back (0 = plain replacement only)",
	}
	quickFlag = &ucli.BoolFlag{
		Name: "quick", EnvVars: []string{"CDRL_EVAL_QUICK"}, Category: categorySizes,
		Usage: fmt.Sprintf("small sizes for smoke tests: N %d (points) or %d (images), M %d, where --n and --inpaint are unset", quickPointsN, quickImagesN, quickInpaint),
	}
	seedFlag = &ucli.Uint64Flag{
		Name: "seed", Value: 1, EnvVars: []string{"CDRL_EVAL_SEED"}, Category: categorySizes,
		Usage: "random seed of every draw (samples, true samples, test digits, masks, OOD sets)",
	}
	stepsFlag = &ucli.IntFlag{
		Name: "steps", EnvVars: []string{"CDRL_EVAL_STEPS"}, Category: categorySizes,
		Usage: "Langevin steps `K` per noise level; 0 = each model's own",
	}
	stepsTableFlag = &ucli.StringFlag{
		Name: "steps-table", EnvVars: []string{"CDRL_EVAL_STEPS_TABLE"}, Category: categorySizes,
		Usage: "comma-separated Langevin steps per level `K,...` (>= 0; 0 = the initializer alone): a table of guided accuracy, unguided digit share and " +
			"Frechet distance, lower-half inpainting agreement and sampling rate per K for conditional image models, e.g. 15,8,5,3,1,0 (empty = no table)",
	}
	batchFlag = &ucli.IntFlag{
		Name: "batch", EnvVars: []string{"CDRL_EVAL_BATCH"}, Category: cli.CategoryRuntime, DefaultText: "256 for images, 4096 for points",
		Usage: "at most `B` samples per network call (guidance doubles it); 0 = all at once",
	}
)

func newApp(command string) *ucli.App {
	return &ucli.App{
		Name:  "cdrl-eval",
		Usage: "evaluate the shipped CDRL models: a Markdown report with tables and PNG figures",
		Description: `Evaluates every --models entry (a bundle folder or an embedded model's name) and writes
DIR/report.md, one table per model (metric | value | target), and the PNGs it links to.
Points models are compared with the 8-squares toy set; image models must generate 1x28x28
digits (class labels "0".."9" for conditional models) and are scored with the MNIST
classifier of train/classifier against the test digits of --digits; the recommended
inpaint_guidance and ood_level are chosen on its training digits. --samples files of
generated digits (another program's) are judged like unguided samples, against as many test
digits.

Examples:
   cdrl-eval
   cdrl-eval --models toy2d --out /tmp/eval-toy
   cdrl-eval --models runs/mnist/model --guidance-weights 0,1,2 --threads 2
   cdrl-eval --models mnist --steps-table 15,8,5,3,1,0
   cdrl-eval --models toy2d,runs/mnist/model --quick --out /tmp/eval-quick
   cdrl-eval --samples out/mnist_train/samples_ema.npy --out /tmp/eval-peer`,
		Flags: append([]ucli.Flag{outFlag, modelsFlag, samplesFlag, digitsFlag, weightsFlag, nFlag, inpaintFlag, resampleFlag, quickFlag, seedFlag, stepsFlag, stepsTableFlag, batchFlag},
			cli.RuntimeFlags()...),
		Action: func(c *ucli.Context) error {
			o, err := optionsFrom(c)
			if err != nil {
				return err
			}
			o.Command = command
			return run(c.Context, o, c.App.Writer)
		},
		// Usage text is printed for flag errors only; run errors get one line and a hint.
		OnUsageError: func(c *ucli.Context, err error, _ bool) error {
			_ = ucli.ShowAppHelp(c)
			return err
		},
	}
}

// optionsFrom reads the flags.
func optionsFrom(c *ucli.Context) (options, error) {
	o := options{
		Out: c.String(outFlag.Name), N: c.Int(nFlag.Name), Inpaint: c.Int(inpaintFlag.Name), Resample: c.Int(resampleFlag.Name),
		Seed: c.Uint64(seedFlag.Name), Quick: c.Bool(quickFlag.Name), Digits: c.String(digitsFlag.Name),
		Steps: c.Int(stepsFlag.Name), Runtime: cli.RuntimeFrom(c),
	}
	if c.IsSet(batchFlag.Name) {
		b := c.Int(batchFlag.Name)
		o.Batch = &b
	}
	var err error
	o.Samples = splitList(c.String(samplesFlag.Name))
	if len(o.Samples) == 0 || c.IsSet(modelsFlag.Name) {
		if o.Models, err = parseModels(c.String(modelsFlag.Name)); err != nil {
			return options{}, err
		}
	}
	if o.Weights, err = parseWeights(c.String(weightsFlag.Name)); err != nil {
		return options{}, err
	}
	if o.StepsTable, err = parseStepsTable(c.String(stepsTableFlag.Name)); err != nil {
		return options{}, err
	}
	return o, nil
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseModels splits --models.
func parseModels(s string) ([]string, error) {
	out := splitList(s)
	if len(out) == 0 {
		return nil, fmt.Errorf("--models %q: no model given; pass bundle folders or embedded model names, e.g. toy2d,mnist", s)
	}
	return out, nil
}

// parseWeights parses --guidance-weights: distinct finite weights >= 0, in the given order.
func parseWeights(s string) ([]float64, error) {
	out, err := cli.ParseWeights("guidance-weights", s)
	if err != nil {
		return nil, err
	}
	for i, w := range out {
		if slices.Contains(out[:i], w) {
			return nil, fmt.Errorf("--guidance-weights %q: weight %g is listed twice", s, w)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--guidance-weights %q: no weight given, e.g. %s", s, defaultWeights)
	}
	return out, nil
}

// parseStepsTable parses --steps-table: distinct Langevin step counts K >= 0, in the given
// order; "" gives none (no table).
func parseStepsTable(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		k, err := strconv.Atoi(f)
		if err != nil || k < 0 {
			return nil, fmt.Errorf("--steps-table %q: %q is not a step count K >= 0", s, f)
		}
		if slices.Contains(out, k) {
			return nil, fmt.Errorf("--steps-table %q: K = %d is listed twice", s, k)
		}
		out = append(out, k)
	}
	return out, nil
}

// check validates the options that do not depend on a model.
func (o options) check() error {
	switch {
	case o.Out == "":
		return errors.New("--out: no folder given")
	case len(o.Models) == 0 && len(o.Samples) == 0:
		return errors.New("--models: no model given (nor --samples)")
	case len(o.Weights) == 0:
		return errors.New("--guidance-weights: no weight given")
	case o.N < 0:
		return fmt.Errorf("--n %d: want at least 1 (or 0 for the defaults)", o.N)
	case o.Inpaint < 0:
		return fmt.Errorf("--inpaint %d: want at least 1 (or 0 for the default %d)", o.Inpaint, defaultInpaint)
	case o.Resample < 0:
		return fmt.Errorf("--resample %d: want 0 (plain replacement) or more", o.Resample)
	case o.Steps < 0:
		return fmt.Errorf("--steps %d: want 0 (each model's own) or more", o.Steps)
	case o.Batch != nil && *o.Batch < 0:
		return fmt.Errorf("--batch %d: want 0 (all at once) or more", *o.Batch)
	}
	return nil
}

// pointsN returns the samples per figure of a points model.
func (o options) pointsN() int {
	switch {
	case o.N > 0:
		return o.N
	case o.Quick:
		return quickPointsN
	}
	return defaultPointsN
}

// imagesN returns the samples per figure of an image model.
func (o options) imagesN() int {
	switch {
	case o.N > 0:
		return o.N
	case o.Quick:
		return quickImagesN
	}
	return defaultImagesN
}

// inpaintM returns the number of test digits inpainted with each mask.
func (o options) inpaintM() int {
	switch {
	case o.Inpaint > 0:
		return o.Inpaint
	case o.Quick:
		return quickInpaint
	}
	return defaultInpaint
}

// sampleOptions returns the sampler options every stage of model m starts from.
func (o options) sampleOptions(m *model) infer.SampleOptions {
	batch := m.s.DefaultBatch()
	if o.Batch != nil {
		batch = *o.Batch
	}
	return infer.SampleOptions{Seed: o.Seed, Steps: o.Steps, Batch: batch}
}

// evaluator carries what the stages of a run share.
type evaluator struct {
	o      options
	w      io.Writer
	wrote  []string               // the files written so far, in order
	cfg    ort.SessionConfig      // the session settings of the runtime flags
	digits *classifier.Classifier // the MNIST classifier, loaded by the first image model
}

// run evaluates every model of o and writes the report, printing progress, the files written
// and the total time to w.
func run(ctx context.Context, o options, w io.Writer) error {
	start := time.Now()
	if err := o.check(); err != nil {
		return err
	}
	// Read every bundle first, so a wrong --models entry fails before any long stage runs.
	var models []*model
	names := map[string]bool{}
	for _, spec := range o.Models {
		b, err := cli.ReadModel("--models", spec)
		if err != nil {
			return err
		}
		models = append(models, &model{spec: spec, b: b, name: uniqueName(slug(spec), names)})
	}
	var samples []sampleFile
	for _, path := range o.Samples {
		x, n, err := readSamples(path)
		if err != nil {
			return err
		}
		samples = append(samples, sampleFile{path: path, name: samplesName(path, names), x: x, n: n})
	}
	cfg, err := o.Runtime.Init()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", o.Out, err)
	}
	e := &evaluator{o: o, w: w, cfg: cfg}
	defer func() { e.digits.Close() }() // the classifier is loaded by the first image model
	rep := &report{command: o.Command, machine: machineOf(o.Runtime), seed: o.Seed, date: start}
	for _, m := range models {
		sec, err := e.evaluate(ctx, m)
		if err != nil {
			return err
		}
		rep.sections = append(rep.sections, sec)
	}
	for _, f := range samples {
		fmt.Fprintf(e.w, "judging the digits of %s\n", f.path)
		sec, err := e.evalSamples(ctx, f)
		if err != nil {
			return err
		}
		rep.sections = append(rep.sections, sec)
	}
	rep.elapsed = time.Since(start)
	path := filepath.Join(o.Out, reportFile)
	if err := atomicfile.WriteBytes(path, rep.markdown()); err != nil {
		return fmt.Errorf("--out %s: %w", o.Out, err)
	}
	e.wrote = append(e.wrote, path)
	cli.Done(w, start, e.wrote...)
	return nil
}

// evaluate opens a sampler on m and runs the stages of its kind.
func (e *evaluator) evaluate(ctx context.Context, m *model) (*section, error) {
	s, err := infer.NewSampler(m.b, e.cfg)
	if err != nil {
		return nil, fmt.Errorf("--models %s: %w", m.spec, err)
	}
	defer s.Close()
	m.s = s
	fmt.Fprintf(e.w, "evaluating %s\n", m.describe())
	switch m.b.Kind {
	case bundle.KindPoints:
		return e.evalPoints(ctx, m)
	case bundle.KindImage:
		return e.evalImages(ctx, m)
	}
	return nil, fmt.Errorf("--models %s: kind %q is neither %q nor %q", m.spec, m.b.Kind, bundle.KindPoints, bundle.KindImage)
}

// writePNG writes a picture into the output folder as name and records the file; it returns
// name, the link the report uses.
func (e *evaluator) writePNG(name string, img image.Image) (string, error) {
	path := filepath.Join(e.o.Out, name)
	if err := plot.WritePNG(path, img); err != nil {
		return "", fmt.Errorf("--out %s: %w", e.o.Out, err)
	}
	e.wrote = append(e.wrote, path)
	return name, nil
}

// classifier returns the MNIST classifier, loading it on first use; run closes it.
func (e *evaluator) classifier() (*classifier.Classifier, error) {
	if e.digits == nil {
		c, err := classifier.Load(e.cfg)
		if err != nil {
			return nil, err
		}
		e.digits = c
	}
	return e.digits, nil
}

// cpuModel returns the CPU model name from /proc/cpuinfo, or "" when it cannot be read.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// machineOf describes the machine and the runtime settings for the report; ONNX Runtime must
// be initialised.
func machineOf(rt cli.Runtime) machine {
	threads := strconv.Itoa(rt.Threads)
	if rt.Threads == 0 {
		threads = fmt.Sprintf("0 (ONNX Runtime's default, one per core: %d)", runtime.NumCPU())
	}
	device := rt.Device
	if device == "" {
		device = "cpu"
	}
	return machine{os: runtime.GOOS, arch: runtime.GOARCH, cpu: cpuModel(), cores: runtime.NumCPU(), ort: ort.Version(), threads: threads, device: device}
}

// commandLine returns the command line of args as a shell would read it, with the program's
// base name first.
func commandLine(args []string) string {
	if len(args) == 0 {
		return "cdrl-eval"
	}
	parts := []string{filepath.Base(args[0])}
	for _, a := range args[1:] {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,=:+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
