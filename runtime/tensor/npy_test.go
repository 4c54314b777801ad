package tensor

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func npyFixture(name string) string { return filepath.Join("..", "..", "testdata", "npy", name) }

// equalTensors compares dtype, shape and data bit for bit (so NaNs compare equal to themselves).
func equalTensors(t *testing.T, got, want *Tensor) {
	t.Helper()
	if got.DType != want.DType || !got.Shape.Equal(want.Shape) {
		t.Fatalf("got %v%v, want %v%v", got.DType, got.Shape, want.DType, want.Shape)
	}
	if got.Len() != want.Len() {
		t.Fatalf("got %d elements, want %d", got.Len(), want.Len())
	}
	for i := range want.Float32 {
		if math.Float32bits(got.Float32[i]) != math.Float32bits(want.Float32[i]) {
			t.Fatalf("element %d: got %v, want %v", i, got.Float32[i], want.Float32[i])
		}
	}
	for i := range want.Float64 {
		if math.Float64bits(got.Float64[i]) != math.Float64bits(want.Float64[i]) {
			t.Fatalf("element %d: got %v, want %v", i, got.Float64[i], want.Float64[i])
		}
	}
	for i := range want.Int64 {
		if got.Int64[i] != want.Int64[i] {
			t.Fatalf("element %d: got %v, want %v", i, got.Int64[i], want.Int64[i])
		}
	}
}

// TestReadNpyNumPyFiles reads files written by NumPy (testdata/npy/gen.py).
func TestReadNpyNumPyFiles(t *testing.T) {
	cases := []struct {
		file string
		want *Tensor
	}{
		{"f4_2x3.npy", FromFloat32([]float32{-2.5, -1.5, -0.5, 0.5, 1.5, 2.5}, 2, 3)},
		{"f4_2x3_v2.npy", FromFloat32([]float32{-2.5, -1.5, -0.5, 0.5, 1.5, 2.5}, 2, 3)},
		{"f8_3.npy", FromFloat64([]float64{0.1, -2, 1e300}, 3)},
		{"i8_2x2.npy", FromInt64([]int64{1, -2, 3, 1 << 40}, 2, 2)},
		{"i4_4.npy", FromInt64([]int64{7, -8, math.MaxInt32, math.MinInt32}, 4)},
		{"f4_scalar.npy", FromFloat32([]float32{3.5})},
		{"f4_0x3.npy", FromFloat32([]float32{}, 0, 3)},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := ReadNpyFile(npyFixture(c.file))
			if err != nil {
				t.Fatal(err)
			}
			if err := got.Validate(); err != nil {
				t.Fatal(err)
			}
			equalTensors(t, got, c.want)
		})
	}
}

func TestReadNpyRefusals(t *testing.T) {
	cases := []struct {
		file string
		want string
	}{
		{"f4_fortran.npy", "fortran_order is True"},
		{"f4_bigendian.npy", `unsupported dtype ">f4"`},
		{"u1_3.npy", `unsupported dtype "|u1"`},
		{"gen.py", "bad magic"},
	}
	for _, c := range cases {
		p := npyFixture(c.file)
		_, err := ReadNpyFile(p)
		if err == nil {
			t.Errorf("%s: read succeeded", c.file)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) || !strings.Contains(msg, p) || !strings.HasPrefix(msg, "tensor: read npy ") {
			t.Errorf("%s: error %q, want one naming the file and containing %q", c.file, msg, c.want)
		}
	}
	if _, err := ReadNpyFile(filepath.Join(t.TempDir(), "none.npy")); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestReadNpyTruncated(t *testing.T) {
	good, err := os.ReadFile(npyFixture("f4_2x3.npy"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		n    int
		want string
	}{
		{0, "truncated preamble"},
		{5, "truncated preamble"},
		{9, "truncated header length"},
		{40, "truncated header"},
		{len(good) - 1, "truncated data: shape (2,3) of <f4 needs 24 bytes, file has 23"},
		{len(good) - 24, "needs 24 bytes, file has 0"},
	}
	for _, c := range cases {
		_, err := ReadNpy(bytes.NewReader(good[:c.n]))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("first %d bytes: error %v, want %q", c.n, err, c.want)
		}
	}
}

func TestParseNpyHeader(t *testing.T) {
	ok := []struct {
		in   string
		want npyHeader
	}{
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", npyHeader{"<f4", false, Shape{2, 3}}},
		{`{"shape":(7,),"descr":"<i8","fortran_order":True}`, npyHeader{"<i8", true, Shape{7}}},
		{"{'descr':'<f8','fortran_order':False,'shape':()}   \n", npyHeader{"<f8", false, Shape{}}},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3,), }", npyHeader{"<f4", false, Shape{0, 3}}},
	}
	for _, c := range ok {
		got, err := parseNpyHeader(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got.descr != c.want.descr || got.fortran != c.want.fortran || !got.shape.Equal(c.want.shape) {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		}
	}
	bad := map[string]string{
		"":                                   "want a dict",
		"{'descr': '<f4'}":                   `missing key "fortran_order"`,
		"{'descr': '<f4', 'x': 1}":           `unexpected key "x"`,
		"{'descr' '<f4'}":                    "want ':'",
		"{'descr': <f4}":                     "want a quoted string",
		"{'descr': '<f4":                     "unterminated string",
		"{'fortran_order': Maybe}":           "want True or False",
		"{'shape': (2, -3)}":                 "non-negative integer",
		"{'shape': (2 3)}":                   "want ',' or ')'",
		"{'shape': [2]}":                     "want a tuple",
		"{'shape': (99999999999999999999,)}": "too large",
		"{'descr': '<f4', 'fortran_order': False, 'shape': ()} extra": "unexpected text",
		"{'descr': '<f4' 'shape': ()}":                                "want ',' or '}'",
	}
	for in, want := range bad {
		if _, err := parseNpyHeader(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestReadNpyHugeShape(t *testing.T) {
	// A header promising 2^60 elements must fail without trying to allocate them.
	for _, shape := range []string{"(1073741824, 1073741824)", "(1099511627777,)"} {
		var buf bytes.Buffer
		writeRawNpy(&buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': "+shape+", }")
		_, err := ReadNpy(&buf)
		if err == nil || !strings.Contains(err.Error(), "elements") && !strings.Contains(err.Error(), "too large") {
			t.Errorf("shape %s: error %v, want a size error", shape, err)
		}
	}
	// Plausible sizes but missing data: a short read, not a huge allocation.
	var buf bytes.Buffer
	writeRawNpy(&buf, 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000,), }")
	if _, err := ReadNpy(&buf); err == nil || !strings.Contains(err.Error(), "file has 0") {
		t.Errorf("missing data: %v", err)
	}
}

// writeRawNpy writes a .npy preamble and header by hand (no padding rules).
func writeRawNpy(buf *bytes.Buffer, major byte, header string) {
	buf.WriteString(npyMagic)
	buf.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(buf, binary.LittleEndian, uint16(len(header)))
	} else {
		binary.Write(buf, binary.LittleEndian, uint32(len(header)))
	}
	buf.WriteString(header)
}

func TestReadNpyVersions(t *testing.T) {
	for _, major := range []byte{1, 2, 3} {
		var buf bytes.Buffer
		writeRawNpy(&buf, major, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n")
		binary.Write(&buf, binary.LittleEndian, int64(-9))
		got, err := ReadNpy(&buf)
		if err != nil {
			t.Errorf("version %d.0: %v", major, err)
			continue
		}
		equalTensors(t, got, FromInt64([]int64{-9}, 1))
	}
	var buf bytes.Buffer
	writeRawNpy(&buf, 4, "{}")
	if _, err := ReadNpy(&buf); err == nil || !strings.Contains(err.Error(), "unsupported format version 4.0") {
		t.Errorf("version 4.0: %v", err)
	}
	buf.Reset()
	buf.WriteString(npyMagic + "\x02\x00\xff\xff\xff\xff")
	if _, err := ReadNpy(&buf); err == nil || !strings.Contains(err.Error(), "header length") {
		t.Errorf("huge header: %v", err)
	}
}

func TestNpyRoundTrip(t *testing.T) {
	cases := []*Tensor{
		FromFloat32([]float32{1, -2, float32(math.NaN()), float32(math.Inf(-1)), 0, 5e-40}, 3, 2),
		FromFloat64([]float64{math.Pi, -0, math.MaxFloat64}, 3),
		FromInt64([]int64{math.MinInt64, 0, math.MaxInt64, 4}, 2, 1, 2),
		FromFloat32([]float32{42}),
		FromInt64([]int64{}, 0),
		New(Float32, 3, 0, 2),
		New(Float32, 20000), // more than one write chunk
	}
	for _, want := range cases {
		var buf bytes.Buffer
		if err := WriteNpy(&buf, want); err != nil {
			t.Fatalf("%v%v: %v", want.DType, want.Shape, err)
		}
		raw := buf.Bytes()
		hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
		if (10+hlen)%64 != 0 || raw[9+hlen] != '\n' {
			t.Errorf("%v%v: header of %d bytes is not padded to 64 with a final newline", want.DType, want.Shape, hlen)
		}
		got, err := ReadNpy(&buf)
		if err != nil {
			t.Fatalf("%v%v: %v", want.DType, want.Shape, err)
		}
		equalTensors(t, got, want)
	}
}

// TestWriteNpyMatchesNumPy checks that our bytes equal NumPy's for the same array.
func TestWriteNpyMatchesNumPy(t *testing.T) {
	for _, file := range []string{"f4_2x3.npy", "f8_3.npy", "i8_2x2.npy", "f4_scalar.npy", "f4_0x3.npy"} {
		want, err := os.ReadFile(npyFixture(file))
		if err != nil {
			t.Fatal(err)
		}
		tt, err := ReadNpy(bytes.NewReader(want))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteNpy(&buf, tt); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: our bytes differ from NumPy's\n got %q\nwant %q", file, buf.Bytes(), want)
		}
	}
}

func TestWriteNpyErrors(t *testing.T) {
	cases := []*Tensor{
		nil,
		{DType: Float32, Shape: Shape{2}, Float32: []float32{1}},
		{DType: DType(3), Shape: Shape{}},
	}
	for _, c := range cases {
		if err := WriteNpy(&bytes.Buffer{}, c); err == nil || !strings.HasPrefix(err.Error(), "tensor: write npy: ") {
			t.Errorf("WriteNpy(%+v): %v, want a tensor: write npy: error", c, err)
		}
	}
}

func TestWriteNpyFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.npy")
	first := FromFloat32([]float32{1, 2, 3}, 3)
	if err := WriteNpyFile(p, first); err != nil {
		t.Fatal(err)
	}
	second := FromInt64([]int64{4, 5}, 1, 2)
	if err := WriteNpyFile(p, second); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNpyFile(p)
	if err != nil {
		t.Fatal(err)
	}
	equalTensors(t, got, second)
	// A failed write leaves the old file and no temporary files behind.
	if err := WriteNpyFile(p, &Tensor{DType: Float32, Shape: Shape{5}}); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("bad tensor: %v, want an error naming %s", err, p)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after a failed write, want 1", len(entries))
	}
	got, err = ReadNpyFile(p)
	if err != nil {
		t.Fatal(err)
	}
	equalTensors(t, got, second)
	if err := WriteNpyFile(filepath.Join(dir, "no", "such", "dir.npy"), first); err == nil {
		t.Error("write into a missing folder succeeded")
	}
}

// TestNpyWriter writes arrays piece by piece and checks that the file is WriteNpy's, byte for
// byte, and that too many or too few values are errors.
func TestNpyWriter(t *testing.T) {
	for _, c := range []struct {
		shape  Shape
		pieces []int // values per Write call
	}{
		{Shape{5, 2}, []int{4, 0, 6}},
		{Shape{7}, []int{1, 1, 5}},
		{Shape{3, 1, 2, 2}, []int{12}},
		{Shape{0, 2}, nil},
	} {
		x := make([]float32, c.shape.Size())
		for i := range x {
			x[i] = float32(i)*1.5 - 3
		}
		var want, got bytes.Buffer
		if err := WriteNpy(&want, FromFloat32(x, c.shape...)); err != nil {
			t.Fatal(err)
		}
		nw, err := NewNpyWriter(&got, c.shape)
		if err != nil {
			t.Fatalf("%v: %v", c.shape, err)
		}
		at := 0
		for _, k := range c.pieces {
			if err := nw.Write(x[at : at+k]); err != nil {
				t.Fatalf("%v: write %d values: %v", c.shape, k, err)
			}
			at += k
		}
		if err := nw.Finish(); err != nil {
			t.Errorf("%v: finish: %v", c.shape, err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%v: written piece by piece, the file differs from WriteNpy's", c.shape)
		}
	}
	nw, err := NewNpyWriter(&bytes.Buffer{}, Shape{2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := nw.Write(make([]float32, 3)); err != nil {
		t.Fatal(err)
	}
	if err := nw.Finish(); err == nil || !strings.Contains(err.Error(), "1 values missing") {
		t.Errorf("finish after 3 of 4 values: %v, want an error saying 1 is missing", err)
	}
	if err := nw.Write(make([]float32, 2)); err == nil || !strings.Contains(err.Error(), "only 1 more") {
		t.Errorf("5 values for a 2x2 array: %v, want an error", err)
	}
	if _, err := NewNpyWriter(&bytes.Buffer{}, Shape{-1, 2}); err == nil {
		t.Error("a negative dimension was accepted")
	}
	if _, err := NewNpyWriter(&bytes.Buffer{}, Shape{1 << 30, 1 << 30, 1 << 30}); err == nil {
		t.Error("a shape of 2^90 values was accepted")
	}
}

// FuzzReadNpy feeds arbitrary bytes to ReadNpy: it may fail, never panic, and whatever it
// returns is a valid tensor that survives a round trip.
func FuzzReadNpy(f *testing.F) {
	for _, name := range []string{"f4_2x3.npy", "f4_2x3_v2.npy", "f8_3.npy", "i8_2x2.npy", "i4_4.npy", "f4_scalar.npy", "f4_0x3.npy", "f4_fortran.npy"} {
		data, err := os.ReadFile(npyFixture(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(npyMagic + "\x01\x00\x10\x00{'shape': (9,)}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadNpy(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("ReadNpy returned an invalid tensor: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteNpy(&buf, got); err != nil {
			t.Fatalf("WriteNpy of a read tensor: %v", err)
		}
		again, err := ReadNpy(&buf)
		if err != nil {
			t.Fatalf("re-reading our own output: %v", err)
		}
		equalTensors(t, again, got)
	})
}
