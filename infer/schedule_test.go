package infer

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// printed parses a number as the method doc prints it ("0.0072028", "2.5434e-5") and returns
// its value and the tolerance a correct computation must meet: one unit of the last printed
// digit. The doc's numbers are sometimes truncated rather than rounded (sigma_1 = 0.2521594 is
// printed 0.252160, the image s_6 = 0.2188166 as 0.218816), so half a unit is too strict; one
// unit is still far tighter than 1e-4 relative.
func printed(t *testing.T, s string) (v, tol float64) {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad table entry %q: %v", s, err)
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		if exp, err = strconv.Atoi(s[i+1:]); err != nil {
			t.Fatalf("bad exponent in %q: %v", s, err)
		}
	}
	dec := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		dec = len(mant) - i - 1
	}
	return v, math.Pow(10, float64(exp-dec))
}

// checkPrinted fails when got is further from the printed value than printed's tolerance.
func checkPrinted(t *testing.T, name string, got float64, want string) {
	t.Helper()
	checkPrintedFloor(t, name, got, want, 0)
}

// checkPrintedFloor is checkPrinted with a tolerance of at least floor.
func checkPrintedFloor(t *testing.T, name string, got float64, want string, floor float64) {
	t.Helper()
	v, tol := printed(t, want)
	tol = math.Max(tol, floor)
	if d := math.Abs(got - v); !(d <= tol) {
		t.Errorf("%s = %.10g, want %s (off by %.3g, tolerance %.3g)", name, got, want, d, tol)
	}
}

// Method doc section 1.2, first table: k, lambda_k, abar_k, alpha_k, sbar_k, tau_k.
var levelTable = [][6]string{
	{"0", "9.800000", "0.99994455", "0.999972", "0.007446", "0.004741"},
	{"1", "2.688820", "0.93636370", "0.967659", "0.252262", "0.162349"},
	{"2", "1.196880", "0.76796940", "0.876339", "0.481696", "0.319958"},
	{"3", "0.141071", "0.53520940", "0.731580", "0.681756", "0.477566"},
	{"4", "-0.876073", "0.29399220", "0.542210", "0.840243", "0.635175"},
	{"5", "-2.172388", "0.10225760", "0.319777", "0.947493", "0.792784"},
	{"6", "-5.100000", "0.00605980", "0.077845", "0.996965", "0.950392"},
}

func TestScheduleLevels(t *testing.T) {
	s := DefaultSchedule()
	for _, row := range levelTable {
		k, _ := strconv.Atoi(row[0])
		checkPrinted(t, "lambda_"+row[0], s.LogSNR(k), row[1])
		// abar is printed to 8 decimals but was computed in float32 (abar_5 = 0.102257630 is
		// printed 0.10225760): its digits hold to float32's 6e-8 near 1, not to 1e-8.
		checkPrintedFloor(t, "abar_"+row[0], s.AlphaBar(k), row[2], 1e-7)
		checkPrinted(t, "alpha_"+row[0], s.Alpha(k), row[3])
		checkPrinted(t, "sbar_"+row[0], s.SigmaBar(k), row[4])
		checkPrinted(t, "tau_"+row[0], s.Theta(k)/(math.Pi/2), row[5])
	}
}

// Method doc section 1.2, second table: t, r_t, sigma_t^2, btilde_t, sqrt(btilde_t m_t), w_t.
var transitionTable = [][6]string{
	{"1", "0.936416", "0.0635844", "5.5403e-5", "0.0072028", "1.0000"},
	{"2", "0.820161", "0.179839", "0.0493222", "0.201127", "0.5946"},
	{"3", "0.696915", "0.303085", "0.151305", "0.324725", "0.4580"},
	{"4", "0.549303", "0.450697", "0.296710", "0.403713", "0.3756"},
	{"5", "0.347824", "0.652176", "0.512888", "0.422368", "0.3122"},
	{"6", "0.059260", "0.940740", "0.849691", "0.921787", "0.2600"},
}

func TestScheduleTransitions(t *testing.T) {
	s := DefaultSchedule()
	for _, row := range transitionTable {
		k, _ := strconv.Atoi(row[0])
		tr, err := s.Transition(k, Langevin{Mode: ImageSteps})
		if err != nil {
			t.Fatalf("Transition(%d): %v", k, err)
		}
		checkPrinted(t, "r_"+row[0], tr.R, row[1])
		checkPrinted(t, "sigma2_"+row[0], tr.Sigma2, row[2])
		checkPrinted(t, "btilde_"+row[0], tr.BTilde, row[3])
		checkPrinted(t, "initstd_"+row[0], tr.InitStd, row[4])
		checkPrinted(t, "w_"+row[0], tr.W, row[5])
		if got, want := tr.Final, k == 6; got != want {
			t.Errorf("transition %d: Final = %v, want %v", k, got, want)
		}
		wantM := tr.R
		if tr.Final {
			wantM = 1
		}
		if tr.M != wantM {
			t.Errorf("transition %d: M = %v, want %v", k, tr.M, wantM)
		}
		if tr.LogSNRIn != s.LogSNR(k) || tr.LogSNROut != s.LogSNR(k-1) {
			t.Errorf("transition %d: logSNR in/out = %v/%v, want %v/%v", k, tr.LogSNRIn, tr.LogSNROut, s.LogSNR(k), s.LogSNR(k-1))
		}
	}
}

// Method doc section 2.2: t, c_t image, s_t^2 image, s_t image, q_t image, s_t^2 toy, s_t toy,
// q_t toy.
var stepTable = [][8]string{
	{"1", "1.0000", "2.5434e-5", "0.005043", "2.0000e-4", "0.017078", "0.13068", "0.134294"},
	{"2", "33.8772", "2.4370e-3", "0.049366", "6.7754e-3", "0.048302", "0.21978", "0.134294"},
	{"3", "64.6886", "7.8425e-3", "0.088558", "1.2938e-2", "0.081405", "0.28532", "0.134294"},
	{"4", "91.5553", "1.6506e-2", "0.128474", "1.8311e-2", "0.121051", "0.34792", "0.134294"},
	{"5", "112.8391", "2.9436e-2", "0.171570", "2.2568e-2", "0.175166", "0.41853", "0.134294"},
	{"6", "127.2421", "4.7881e-2", "0.218816", "0", "0.252671", "0.50266", "0"},
}

func TestScheduleStepSizes(t *testing.T) {
	s := DefaultSchedule()
	for _, row := range stepTable {
		k, _ := strconv.Atoi(row[0])
		img, err := s.Transition(k, Langevin{Mode: ImageSteps})
		if err != nil {
			t.Fatalf("Transition(%d, image): %v", k, err)
		}
		toy, err := s.Transition(k, Langevin{Mode: ToySteps})
		if err != nil {
			t.Fatalf("Transition(%d, toy): %v", k, err)
		}
		checkPrinted(t, "image c_"+row[0], img.C, row[1])
		checkPrinted(t, "image s2_"+row[0], img.S2, row[2])
		checkPrinted(t, "image s_"+row[0], img.S, row[3])
		checkPrinted(t, "image q_"+row[0], img.Q, row[4])
		checkPrinted(t, "toy s2_"+row[0], toy.S2, row[5])
		checkPrinted(t, "toy s_"+row[0], toy.S, row[6])
		checkPrinted(t, "toy q_"+row[0], toy.Q, row[7])
		checkPrinted(t, "toy c_"+row[0], toy.C, "134.2935")
		if img.B != 2e-4 || toy.B != 1e-3 {
			t.Errorf("transition %d: b = %v (image), %v (toy), want 2e-4, 1e-3", k, img.B, toy.B)
		}
	}
}

// The other numbers the method doc gives: the schedule's B and A (section 1.2), sbar_0 and c_6
// (2.2), sigma_1 (4.1), the Tweedie constants (6), and the endpoints.
func TestScheduleConstants(t *testing.T) {
	s := DefaultSchedule()
	tr1, err := s.Transition(1, Langevin{Mode: ImageSteps})
	if err != nil {
		t.Fatal(err)
	}
	tw, err := s.Tweedie(Langevin{Mode: ImageSteps})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  float64
		want string
	}{
		{"B = theta_0", s.Theta(0), "0.0074464454"},
		{"A = theta_6 - theta_0", s.Theta(6) - s.Theta(0), "1.4854263188"},
		{"sbar_0", s.SigmaBar(0), "0.0074463766"},
		{"sigma_1", math.Sqrt(tr1.Sigma2), "0.252160"},
		{"b c_1 sigma_1^2", tw.ScoreDiv, "1.27169e-5"},
		{"1 - abar_0", tw.OneMinusAbar0, "5.5449e-5"},
		{"sqrt(abar_0)", tw.SqrtAbar0, "0.999972"},
		{"tweedie input scale", tw.InScale, "0.967686"},
		{"tweedie logSNR", tw.LogSNR, "9.8"},
		{"c_6 image", s.mustTransition(t, 6, ImageSteps).C, "127.24"},
	} {
		checkPrinted(t, c.name, c.got, c.want)
	}
	if got := s.LogSNR(0); got != 9.8 {
		t.Errorf("lambda_0 = %v, want 9.8", got)
	}
	if got := s.LogSNR(6); got != -5.1 {
		t.Errorf("lambda_6 = %v, want -5.1", got)
	}
	if got := tr1.W; got != 1 {
		t.Errorf("w_1 = %v, want 1", got)
	}
	if got, want := tw.ScoreDiv, tr1.S2/2; math.Abs(got-want) > 1e-15 {
		t.Errorf("tweedie ScoreDiv = %v, want s_1^2/2 = %v", got, want)
	}
	want := []float64{9.8, s.LogSNR(1), s.LogSNR(2), s.LogSNR(3), s.LogSNR(4), s.LogSNR(5), -5.1}
	got := s.LogSNRs()
	if len(got) != len(want) {
		t.Fatalf("LogSNRs() has %d values, want %d", len(got), len(want))
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("LogSNRs()[%d] = %v, want %v", k, got[k], want[k])
		}
	}
}

func (s Schedule) mustTransition(t *testing.T, k int, m StepMode) Transition {
	t.Helper()
	tr, err := s.Transition(k, Langevin{Mode: m})
	if err != nil {
		t.Fatalf("Transition(%d, %v): %v", k, m, err)
	}
	return tr
}

// Identities that must hold for any valid schedule, checked on random ones: abar = cos^2(theta)
// = sigmoid(lambda), sbar^2 = 1 - abar, the definitions of r, sigma^2, btilde, m, s^2, q and w
// written the naive way, and the endpoints.
func TestScheduleIdentities(t *testing.T) {
	seed := uint64(20240917)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	rel := func(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-300) }
	for trial := range 200 {
		lo := -10 + 12*rng.Float64()
		s := Schedule{Levels: 1 + rng.IntN(20), LogSNRMin: lo, LogSNRMax: lo + 0.5 + 15*rng.Float64()}
		if trial == 0 {
			s = DefaultSchedule()
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("%+v: Validate: %v", s, err)
		}
		if s.LogSNR(0) != s.LogSNRMax || s.LogSNR(s.Levels) != s.LogSNRMin {
			t.Errorf("%+v: endpoints %v, %v", s, s.LogSNR(0), s.LogSNR(s.Levels))
		}
		for k := 0; k <= s.Levels; k++ {
			th, l, ab := s.Theta(k), s.LogSNR(k), s.AlphaBar(k)
			sig := 1 / (1 + math.Exp(-l))
			if rel(ab, math.Cos(th)*math.Cos(th)) > 1e-14 || rel(ab, sig) > 1e-12 {
				t.Errorf("%+v level %d: abar %v, cos^2 theta %v, sigmoid(lambda) %v", s, k, ab, math.Cos(th)*math.Cos(th), sig)
			}
			if sb := s.SigmaBar(k); rel(sb*sb, 1/(1+math.Exp(l))) > 1e-12 || rel(s.Alpha(k)*s.Alpha(k), ab) > 1e-14 {
				t.Errorf("%+v level %d: sbar %v alpha %v abar %v", s, k, sb, s.Alpha(k), ab)
			}
		}
		for _, mode := range []StepMode{ImageSteps, ToySteps} {
			trs, err := s.Transitions(Langevin{Mode: mode})
			if err != nil {
				t.Fatalf("%+v: Transitions: %v", s, err)
			}
			for i, tr := range trs {
				k := i + 1
				// 1 - abar_k as sigmoid(-lambda_k), to keep the oracle free of cancellation.
				nb := func(k int) float64 { return 1 / (1 + math.Exp(s.LogSNR(k))) }
				r := s.AlphaBar(k) / s.AlphaBar(k-1)
				sig2 := 1 - r
				bt := nb(k-1) / nb(k) * sig2
				m, q := r, tr.B*tr.C
				if k == s.Levels {
					m, q = 1, 0
				}
				c := 1 / s.SigmaBar(0)
				if mode == ImageSteps {
					c = s.SigmaBar(k-1) / s.SigmaBar(0)
				}
				// 1 - r loses digits when r is near 1; 1e-9 leaves room for that.
				for _, p := range []struct {
					name      string
					got, want float64
				}{
					{"T", float64(tr.T), float64(k)},
					{"R", tr.R, r},
					{"Sigma2", tr.Sigma2, sig2},
					{"BTilde", tr.BTilde, bt},
					{"M", tr.M, m},
					{"C", tr.C, c},
					{"S2", tr.S2, 2 * tr.B * c * sig2},
					{"S", tr.S * tr.S, tr.S2},
					{"Q", tr.Q, q},
					{"W", tr.W, math.Sqrt(trs[0].Sigma2 / sig2)},
					{"InitStd", tr.InitStd, math.Sqrt(bt * m)},
				} {
					if p.got != p.want && rel(p.got, p.want) > 1e-9 {
						t.Errorf("%+v %v transition %d: %s = %.15g, want %.15g", s, mode, k, p.name, p.got, p.want)
					}
				}
				if !tr.Final && rel(tr.Q, tr.S2/(2*tr.Sigma2)) > 1e-12 {
					t.Errorf("%+v %v transition %d: q = %v, want s^2/(2 sigma^2) = %v", s, mode, k, tr.Q, tr.S2/(2*tr.Sigma2))
				}
			}
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	for _, c := range []struct {
		s    Schedule
		want string // error substring; "" for valid
	}{
		{DefaultSchedule(), ""},
		{Schedule{Levels: 1, LogSNRMin: -40, LogSNRMax: 40}, ""},
		{Schedule{Levels: MaxLevels, LogSNRMin: -1, LogSNRMax: 1}, ""},
		{Schedule{Levels: 0, LogSNRMin: -5.1, LogSNRMax: 9.8}, "levels 0"},
		{Schedule{Levels: -3, LogSNRMin: -5.1, LogSNRMax: 9.8}, "levels -3"},
		{Schedule{Levels: MaxLevels + 1, LogSNRMin: -5.1, LogSNRMax: 9.8}, "levels 1001"},
		{Schedule{Levels: 6, LogSNRMin: math.NaN(), LogSNRMax: 9.8}, "LogSNRMin NaN"},
		{Schedule{Levels: 6, LogSNRMin: -5.1, LogSNRMax: math.Inf(1)}, "LogSNRMax +Inf"},
		{Schedule{Levels: 6, LogSNRMin: -41, LogSNRMax: 9.8}, "LogSNRMin -41"},
		{Schedule{Levels: 6, LogSNRMin: 9.8, LogSNRMax: 9.8}, "not below"},
		{Schedule{Levels: 6, LogSNRMin: 9.8, LogSNRMax: -5.1}, "not below"},
	} {
		err := c.s.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: Validate() = %v, want nil", c.s, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "infer: ")):
			t.Errorf("%+v: Validate() = %v, want an error containing %q", c.s, err, c.want)
		}
		if c.want != "" {
			if v := c.s.LogSNR(0); !math.IsNaN(v) {
				t.Errorf("%+v: LogSNR(0) = %v, want NaN", c.s, v)
			}
			if _, err := c.s.Transition(1, Langevin{Mode: ImageSteps}); err == nil {
				t.Errorf("%+v: Transition(1) gave no error", c.s)
			}
			if _, err := c.s.Transitions(Langevin{Mode: ImageSteps}); err == nil {
				t.Errorf("%+v: Transitions gave no error", c.s)
			}
			if got := c.s.LogSNRs(); got != nil {
				t.Errorf("%+v: LogSNRs() = %v, want nil", c.s, got)
			}
		}
	}
}

func TestScheduleBadArguments(t *testing.T) {
	s := DefaultSchedule()
	for _, k := range []int{-1, 7, 100} {
		for name, v := range map[string]float64{
			"Theta": s.Theta(k), "LogSNR": s.LogSNR(k), "AlphaBar": s.AlphaBar(k), "Alpha": s.Alpha(k), "SigmaBar": s.SigmaBar(k),
		} {
			if !math.IsNaN(v) {
				t.Errorf("%s(%d) = %v, want NaN", name, k, v)
			}
		}
	}
	for _, c := range []struct {
		t    int
		l    Langevin
		want string
	}{
		{0, Langevin{Mode: ImageSteps}, "transition 0 outside 1..6"},
		{7, Langevin{Mode: ToySteps}, "transition 7 outside 1..6"},
		{1, Langevin{}, "mode StepMode(0) unknown"},
		{1, Langevin{Mode: 3}, "mode StepMode(3) unknown"},
		{1, Langevin{Mode: ImageSteps, B: -1e-4}, "b -0.0001"},
		{1, Langevin{Mode: ImageSteps, B: math.NaN()}, "b NaN"},
		{1, Langevin{Mode: ImageSteps, B: math.Inf(1)}, "b +Inf"},
	} {
		_, err := s.Transition(c.t, c.l)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Transition(%d, %+v) = %v, want an error containing %q", c.t, c.l, err, c.want)
		}
	}
	// Levels so close that their angles coincide in float64 leave sigma^2 = 0 and no loss weight.
	flat := Schedule{Levels: 6, LogSNRMin: -40, LogSNRMax: math.Nextafter(-40, 0)}
	if _, err := flat.Transition(2, Langevin{Mode: ImageSteps}); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("Transition on %+v: %v, want a non-finite error", flat, err)
	}
	if trs, err := flat.Transitions(Langevin{Mode: ToySteps}); err == nil {
		t.Errorf("Transitions on %+v = %v, want an error", flat, trs)
	}
	if _, err := s.Tweedie(Langevin{}); err == nil {
		t.Errorf("Tweedie with a zero Langevin gave no error")
	}
	if _, err := s.Transitions(Langevin{Mode: 9}); err == nil {
		t.Errorf("Transitions with mode 9 gave no error")
	}
}

// A non-default b scales s^2 and q, and nothing else.
func TestLangevinB(t *testing.T) {
	s := DefaultSchedule()
	for _, mode := range []StepMode{ImageSteps, ToySteps} {
		for k := 1; k <= s.Levels; k++ {
			def := s.mustTransition(t, k, mode)
			got, err := s.Transition(k, Langevin{Mode: mode, B: 3 * mode.DefaultB()})
			if err != nil {
				t.Fatal(err)
			}
			want := def
			want.B, want.S2, want.S, want.Q = 3*def.B, 3*def.S2, math.Sqrt(3*def.S2), 3*def.Q
			if math.Abs(got.S2-want.S2) > 1e-15 || math.Abs(got.S-want.S) > 1e-15 || math.Abs(got.Q-want.Q) > 1e-15 {
				t.Errorf("%v t=%d with 3b: s2 %v s %v q %v, want %v %v %v", mode, k, got.S2, got.S, got.Q, want.S2, want.S, want.Q)
			}
			got.S2, got.S, got.Q = want.S2, want.S, want.Q
			if got != want {
				t.Errorf("%v t=%d with 3b: %+v, want %+v", mode, k, got, want)
			}
		}
	}
}

func TestStepModeNames(t *testing.T) {
	for _, c := range []struct {
		mode StepMode
		name string
		b    float64
	}{
		{ImageSteps, "image", 2e-4},
		{ToySteps, "toy", 1e-3},
	} {
		if got := c.mode.String(); got != c.name {
			t.Errorf("%d.String() = %q, want %q", int(c.mode), got, c.name)
		}
		got, err := ParseStepMode(c.name)
		if err != nil || got != c.mode {
			t.Errorf("ParseStepMode(%q) = %v, %v, want %v", c.name, got, err, c.mode)
		}
		if got := c.mode.DefaultB(); got != c.b {
			t.Errorf("%v.DefaultB() = %v, want %v", c.mode, got, c.b)
		}
		if got := (Langevin{Mode: c.mode}).StepB(); got != c.b {
			t.Errorf("Langevin{Mode: %v}.StepB() = %v, want %v", c.mode, got, c.b)
		}
	}
	if _, err := ParseStepMode("Image"); err == nil || !strings.Contains(err.Error(), `"Image"`) {
		t.Errorf("ParseStepMode(%q) error = %v, want one naming it", "Image", err)
	}
	if got := StepMode(0).DefaultB(); got != 0 {
		t.Errorf("StepMode(0).DefaultB() = %v, want 0", got)
	}
}
