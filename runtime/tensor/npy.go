package tensor

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/cdrl-go/cdrl/runtime/atomicfile"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// maxNpyHeader bounds the header size a reader accepts; real headers are a few hundred bytes.
const maxNpyHeader = 1 << 20

// maxNpyElements bounds the element count a header may declare (2^40, several TiB of data), so
// that a corrupt header cannot make the size computation overflow.
const maxNpyElements = 1 << 40

// npyHeader is what a .npy header dictionary says.
type npyHeader struct {
	descr   string
	fortran bool
	shape   Shape
}

// ReadNpy reads one array in NumPy's .npy format (versions 1.0, 2.0 and 3.0), C order only.
// Supported element types: '<f4' (Float32), '<f8' (Float64), '<i8' (Int64) and '<i4', which
// is widened to Int64.
func ReadNpy(r io.Reader) (*Tensor, error) {
	t, err := readNpy(r)
	if err != nil {
		return nil, fmt.Errorf("tensor: read npy: %w", err)
	}
	return t, nil
}

// ReadNpyFile reads the .npy file at path; see ReadNpy. Errors name the file.
func ReadNpyFile(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tensor: read npy: %w", err)
	}
	defer f.Close()
	t, err := readNpy(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("tensor: read npy %s: %w", path, err)
	}
	return t, nil
}

func readNpy(r io.Reader) (*Tensor, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("truncated preamble: %w", noEOF(err))
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("bad magic %q, want %q (not a .npy file)", pre[:6], npyMagic)
	}
	var hlen int
	switch major := pre[6]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("truncated header length: %w", noEOF(err))
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("truncated header length: %w", noEOF(err))
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxNpyHeader {
			return nil, fmt.Errorf("header length %d is larger than %d", n, maxNpyHeader)
		}
		hlen = int(n)
	default:
		return nil, fmt.Errorf("unsupported format version %d.%d (want 1.0, 2.0 or 3.0)", pre[6], pre[7])
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("truncated header (want %d bytes): %w", hlen, noEOF(err))
	}
	h, err := parseNpyHeader(string(header))
	if err != nil {
		return nil, fmt.Errorf("header %q: %w", strings.TrimSpace(string(header)), err)
	}
	if h.fortran {
		return nil, fmt.Errorf("fortran_order is True; only C order is supported (save with np.ascontiguousarray)")
	}
	var dt DType
	var size int
	switch h.descr {
	case "<f4":
		dt, size = Float32, 4
	case "<f8":
		dt, size = Float64, 8
	case "<i8":
		dt, size = Int64, 8
	case "<i4":
		dt, size = Int64, 4
	default:
		return nil, fmt.Errorf("unsupported dtype %q (want '<f4', '<f8', '<i8' or '<i4')", h.descr)
	}
	n := 1
	for _, d := range h.shape {
		if d != 0 && n > maxNpyElements/d {
			return nil, fmt.Errorf("shape %v has more than %d elements", h.shape, maxNpyElements)
		}
		n *= d
	}
	want := int64(n) * int64(size)
	// Read through a limit so that a header promising more than the file holds costs no more
	// memory than the data actually present.
	data, err := io.ReadAll(io.LimitReader(r, want))
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	if int64(len(data)) != want {
		return nil, fmt.Errorf("truncated data: shape %v of %s needs %d bytes, file has %d",
			h.shape, h.descr, want, len(data))
	}
	t := &Tensor{DType: dt, Shape: h.shape}
	switch h.descr {
	case "<f4":
		t.Float32 = make([]float32, n)
		for i := range t.Float32 {
			t.Float32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case "<f8":
		t.Float64 = make([]float64, n)
		for i := range t.Float64 {
			t.Float64[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
	case "<i8":
		t.Int64 = make([]int64, n)
		for i := range t.Int64 {
			t.Int64[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
		}
	case "<i4":
		t.Int64 = make([]int64, n)
		for i := range t.Int64 {
			t.Int64[i] = int64(int32(binary.LittleEndian.Uint32(data[4*i:])))
		}
	}
	return t, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: inside a file, running out is always unexpected.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseNpyHeader reads the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseNpyHeader(s string) (npyHeader, error) {
	p := &pyParser{s: s}
	var h npyHeader
	seen := map[string]bool{}
	if !p.eat('{') {
		return h, fmt.Errorf("want a dict starting with '{'")
	}
	for !p.eat('}') {
		key, err := p.str()
		if err != nil {
			return h, fmt.Errorf("dict key: %w", err)
		}
		if !p.eat(':') {
			return h, fmt.Errorf("want ':' after key %q", key)
		}
		switch key {
		case "descr":
			h.descr, err = p.str()
		case "fortran_order":
			h.fortran, err = p.boolean()
		case "shape":
			h.shape, err = p.tuple()
		default:
			return h, fmt.Errorf("unexpected key %q", key)
		}
		if err != nil {
			return h, fmt.Errorf("%s: %w", key, err)
		}
		seen[key] = true
		if !p.eat(',') {
			if !p.eat('}') {
				return h, fmt.Errorf("want ',' or '}' after %s", key)
			}
			break
		}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("missing key %q", k)
		}
	}
	if rest := strings.TrimSpace(p.s[p.i:]); rest != "" {
		return h, fmt.Errorf("unexpected text %q after the dict", rest)
	}
	return h, nil
}

// pyParser reads the few Python literals a .npy header uses.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// eat consumes c (after spaces) if it comes next.
func (p *pyParser) eat(c byte) bool {
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *pyParser) str() (string, error) {
	p.skipSpace()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("want a quoted string at offset %d", p.i)
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at offset %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *pyParser) boolean() (bool, error) {
	p.skipSpace()
	for _, lit := range []struct {
		s string
		v bool
	}{{"True", true}, {"False", false}} {
		if strings.HasPrefix(p.s[p.i:], lit.s) {
			p.i += len(lit.s)
			return lit.v, nil
		}
	}
	return false, fmt.Errorf("want True or False at offset %d", p.i)
}

// tuple reads a tuple of non-negative integers: (), (3,), (2, 3).
func (p *pyParser) tuple() (Shape, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("want a tuple at offset %d", p.i)
	}
	shape := Shape{}
	for !p.eat(')') {
		p.skipSpace()
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, fmt.Errorf("want a non-negative integer at offset %d", start)
		}
		d, err := strconv.Atoi(p.s[start:p.i])
		if err != nil || d > maxNpyElements {
			return nil, fmt.Errorf("dimension %q is too large", p.s[start:p.i])
		}
		shape = append(shape, d)
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, fmt.Errorf("want ',' or ')' at offset %d", p.i)
			}
			break
		}
	}
	return shape, nil
}

// npyDescr returns the .npy type string and element size for a dtype.
func npyDescr(dt DType) (string, int, error) {
	switch dt {
	case Float32:
		return "<f4", 4, nil
	case Float64:
		return "<f8", 8, nil
	case Int64:
		return "<i8", 8, nil
	}
	return "", 0, fmt.Errorf("unsupported dtype %v", dt)
}

// WriteNpy writes t in NumPy's .npy format (version 1.0, or 2.0 for a header too long for 1.0),
// little-endian and in C order, readable by numpy.load.
func WriteNpy(w io.Writer, t *Tensor) error {
	if err := writeNpy(w, t); err != nil {
		return fmt.Errorf("tensor: write npy: %w", err)
	}
	return nil
}

func writeNpy(w io.Writer, t *Tensor) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if err := writeNpyHeader(w, t.DType, t.Shape); err != nil {
		return err
	}
	// Data, encoded a chunk at a time.
	const chunk = 1 << 13
	_, size, _ := npyDescr(t.DType)
	out := make([]byte, 0, chunk*size)
	n := t.Len()
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		out = out[:0]
		switch t.DType {
		case Float32:
			out = appendFloat32(out, t.Float32[start:end])
		case Float64:
			for _, v := range t.Float64[start:end] {
				out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
			}
		case Int64:
			for _, v := range t.Int64[start:end] {
				out = binary.LittleEndian.AppendUint64(out, uint64(v))
			}
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
	return nil
}

// appendFloat32 appends the little-endian encoding of v to out.
func appendFloat32(out []byte, v []float32) []byte {
	for _, x := range v {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	return out
}

// writeNpyHeader writes the magic, version and header of a .npy array of the given dtype and
// shape: version 1.0, or 2.0 for a header too long for 1.0.
func writeNpyHeader(w io.Writer, dt DType, shape Shape) error {
	descr, _, err := npyDescr(dt)
	if err != nil {
		return err
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	shapeText := "(" + strings.Join(dims, ", ")
	if len(dims) == 1 {
		shapeText += ","
	}
	shapeText += ")"
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shapeText)

	// The magic, version, length field and header together are padded with spaces to a multiple
	// of 64 bytes, and the header ends with a newline.
	padded := func(lenField int) int {
		pre := len(npyMagic) + 2 + lenField
		hlen := len(dict) + 1
		return hlen + (64-(pre+hlen)%64)%64
	}
	lenField, hlen := 2, padded(2)
	if hlen > math.MaxUint16 {
		lenField, hlen = 4, padded(4)
	}
	var buf bytes.Buffer
	buf.WriteString(npyMagic)
	if lenField == 2 {
		buf.Write([]byte{1, 0})
		buf.Write(binary.LittleEndian.AppendUint16(nil, uint16(hlen)))
	} else {
		buf.Write([]byte{2, 0})
		buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(hlen)))
	}
	buf.WriteString(dict)
	buf.WriteString(strings.Repeat(" ", hlen-len(dict)-1))
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// NpyWriter writes one float32 .npy array whose shape is known before its values are: the
// header with the full shape goes out first, then the values in C order as they come, so an
// array larger than memory can be written piece by piece. Write the values with Write and
// check with Finish that all came.
type NpyWriter struct {
	w    io.Writer
	left int // values still to come
	buf  []byte
}

// NewNpyWriter writes the header of a float32 array of the given shape to w and returns a
// writer for its values.
func NewNpyWriter(w io.Writer, shape Shape) (*NpyWriter, error) {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > maxNpyElements/d) {
			return nil, fmt.Errorf("tensor: write npy: shape %v: want dimensions >= 0 and at most %d values", shape, maxNpyElements)
		}
		n *= d
	}
	if err := writeNpyHeader(w, Float32, shape); err != nil {
		return nil, fmt.Errorf("tensor: write npy: %w", err)
	}
	return &NpyWriter{w: w, left: n}, nil
}

// Write appends the values v to the array; more values than the shape holds are an error.
func (nw *NpyWriter) Write(v []float32) error {
	if len(v) > nw.left {
		return fmt.Errorf("tensor: write npy: %d more values, but the shape holds only %d more", len(v), nw.left)
	}
	nw.buf = appendFloat32(nw.buf[:0], v)
	if _, err := nw.w.Write(nw.buf); err != nil {
		return fmt.Errorf("tensor: write npy: %w", err)
	}
	nw.left -= len(v)
	return nil
}

// Finish reports an array whose values did not all come: the file would be truncated.
func (nw *NpyWriter) Finish() error {
	if nw.left != 0 {
		return fmt.Errorf("tensor: write npy: %d values missing for the declared shape", nw.left)
	}
	return nil
}

// WriteNpyFile writes t to path in .npy format, atomically (runtime/atomicfile): readers see
// either the old file or the complete new one.
func WriteNpyFile(path string, t *Tensor) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return writeNpy(w, t) }); err != nil {
		return fmt.Errorf("tensor: write npy %s: %w", path, err)
	}
	return nil
}
