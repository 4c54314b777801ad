package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// jsonEdit changes the JSON text of a valid manifest.
type jsonEdit func(t *testing.T, data []byte) []byte

// setField sets (or, with del, deletes) the field at a dotted path of the manifest's JSON.
func setField(path string, v any, del bool) jsonEdit {
	return func(t *testing.T, data []byte) []byte {
		t.Helper()
		var top map[string]any
		if err := json.Unmarshal(data, &top); err != nil {
			t.Fatal(err)
		}
		keys := strings.Split(path, ".")
		obj := top
		for _, k := range keys[:len(keys)-1] {
			obj = obj[k].(map[string]any)
		}
		if last := keys[len(keys)-1]; del {
			delete(obj, last)
		} else {
			obj[last] = v
		}
		out, err := json.MarshalIndent(top, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// set sets the field at a dotted path.
func set(path string, v any) jsonEdit { return setField(path, v, false) }

// del deletes the field at a dotted path.
func del(path string) jsonEdit { return setField(path, nil, true) }

// raw replaces the whole text.
func raw(f func(data []byte) []byte) jsonEdit {
	return func(_ *testing.T, data []byte) []byte { return f(data) }
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edits   []jsonEdit
		want    []string
		notWant string // a fragment the message must not contain
		newer   bool   // errors.Is(err, ErrNewerVersion)
	}{
		// broken JSON
		{"empty file", []jsonEdit{raw(func([]byte) []byte { return nil })},
			[]string{"bundle: manifest.json: invalid JSON: the text ends early (truncated file?)"}, "", false},
		{"truncated", []jsonEdit{raw(func(d []byte) []byte { return d[:len(d)/2] })},
			[]string{"manifest.json: invalid JSON: the text ends early (truncated file?)"}, "", false},
		{"truncated before closing brace", []jsonEdit{raw(func(d []byte) []byte { return bytes.TrimSuffix(bytes.TrimSpace(d), []byte("}")) })},
			[]string{"the text ends early"}, "", false},
		{"syntax error", []jsonEdit{raw(func(d []byte) []byte { return bytes.Replace(d, []byte(`"kind": "image"`), []byte(`"kind": image`), 1) })},
			[]string{"manifest.json: invalid JSON at line 4, column 11: invalid character 'i'"}, "", false},
		{"trailing text", []jsonEdit{raw(func(d []byte) []byte { return append(d, "\nx"...) })},
			[]string{"invalid JSON at line", "after top-level value"}, "", false},
		{"two objects", []jsonEdit{raw(func(d []byte) []byte { return append(d, d...) })},
			[]string{"invalid JSON at line"}, "", false},
		{"null", []jsonEdit{raw(func([]byte) []byte { return []byte("null") })},
			[]string{"manifest.json: the JSON value is null; want an object"}, "", false},
		{"array", []jsonEdit{raw(func([]byte) []byte { return []byte("[1, 2]") })},
			[]string{"manifest.json: the JSON value is an array; want an object"}, "", false},
		{"a string", []jsonEdit{raw(func([]byte) []byte { return []byte(`"manifest"`) })},
			[]string{"manifest.json: the JSON value is a string; want an object"}, "", false},
		{"not JSON at all", []jsonEdit{raw(func([]byte) []byte { return []byte("\x08ONNX") })},
			[]string{"invalid JSON at line 1, column 1"}, "", false},

		// format and version
		{"foreign JSON", []jsonEdit{raw(func([]byte) []byte { return []byte(`{"name": "pkg", "version": "1.0"}`) })},
			[]string{`manifest.json: format: missing; want "cdrl-bundle"`}, "unknown field", false},
		{"format not a string", []jsonEdit{set("format", 5)},
			[]string{`manifest.json: format: not a string; want "cdrl-bundle"`}, "", false},
		{"newer version", []jsonEdit{set("version", 4)},
			[]string{"manifest.json: version: bundle was written by a newer cdrl-go (version 4); this build reads version 3"}, "", true},
		{"version 1 with a version 2 field", []jsonEdit{set("version", 1)},
			[]string{"manifest.json: ood_level: present in a version 1 manifest; it was added in version 2"}, "", false},
		{"version 2 with a version 3 field", []jsonEdit{set("version", 2)},
			[]string{"manifest.json: inpaint_guidance: present in a version 2 manifest; it was added in version 3"}, "", false},
		{"newer version with new fields", []jsonEdit{set("version", 7), set("sampler", "ddim"), set("langevin.momentum", 0.9), del("kind")},
			[]string{"newer cdrl-go (version 7)"}, "unknown field", true},
		{"version as string", []jsonEdit{set("version", "1")},
			[]string{"manifest.json: version: got JSON string; want an integer"}, "", false},
		{"fractional version", []jsonEdit{set("version", 1.5)},
			[]string{"version: got JSON number 1.5; want an integer"}, "", false},
		{"no version", []jsonEdit{del("version")}, []string{"manifest.json: version: missing"}, "", false},

		// unknown and missing fields
		{"unknown field", []jsonEdit{set("colour", "red")},
			[]string{"manifest.json: colour: unknown field; the manifest has format, version, kind, shape, range, classes,"}, "", false},
		{"unknown nested field", []jsonEdit{set("langevin.tweedy", true)},
			[]string{"manifest.json: langevin.tweedy: unknown field; langevin has steps, b, c_mode, tweedie"}, "", false},
		{"fused langevin graph", []jsonEdit{set("graphs.langevin", map[string]any{"file": "langevin.onnx"})},
			[]string{"manifest.json: graphs.langevin: unknown field; graphs has energy, initializer"}, "", false},
		{"unknown graph field", []jsonEdit{set("graphs.energy.opset", 17)},
			[]string{"graphs.energy.opset: unknown field; graphs.energy has file, inputs, outputs"}, "", false},
		{"unknown provenance field", []jsonEdit{set("provenance.gpu", "h200")},
			[]string{"provenance.gpu: unknown field"}, "", false},
		{"wrong case", []jsonEdit{del("kind"), set("Kind", "image")},
			[]string{`Kind: unknown field; names are case-sensitive: did you mean "kind"?`, "kind: missing"}, "", false},
		{"missing schedule", []jsonEdit{del("schedule")}, []string{"manifest.json: schedule: missing"}, "", false},
		{"null schedule", []jsonEdit{set("schedule", nil)}, []string{"manifest.json: schedule: missing"}, "", false},
		{"missing tweedie", []jsonEdit{del("langevin.tweedie")}, []string{"langevin.tweedie: missing"}, "", false},
		{"missing guidance", []jsonEdit{del("guidance_default")}, []string{"guidance_default: missing"}, "", false},
		{"missing energy graph", []jsonEdit{del("graphs.energy")}, []string{"graphs.energy: missing"}, "", false},
		{"missing inputs", []jsonEdit{del("graphs.initializer.inputs")}, []string{"graphs.initializer.inputs: missing"}, "", false},
		{"missing provenance", []jsonEdit{del("provenance")}, []string{"provenance: missing"}, "", false},
		{"several at once", []jsonEdit{del("range"), set("extra", 1), set("schedule.levels_", 6)},
			[]string{"range: missing", "extra: unknown field", "schedule.levels_: unknown field"}, "", false},

		// wrong JSON types
		{"steps as string", []jsonEdit{set("langevin.steps", "15")},
			[]string{"manifest.json: langevin.steps: got JSON string; want an integer"}, "", false},
		{"fractional steps", []jsonEdit{set("langevin.steps", 1.5)}, []string{"langevin.steps: got JSON number 1.5; want an integer"}, "", false},
		{"huge levels", []jsonEdit{set("schedule.levels", 1e40)}, []string{"schedule.levels: got JSON number 1e+40; want an integer"}, "", false},
		{"shape as object", []jsonEdit{set("shape", map[string]any{"c": 1})}, []string{"shape: got JSON object; want a list of integers"}, "", false},
		{"shape with string", []jsonEdit{set("shape", []any{1, "28", 28})}, []string{"shape: got JSON string; want an integer"}, "", false},
		{"classes as string", []jsonEdit{set("classes", "0,1")}, []string{"classes: got JSON string; want a list of strings"}, "", false},
		{"tweedie as string", []jsonEdit{set("langevin.tweedie", "yes")}, []string{"langevin.tweedie: got JSON string; want true or false"}, "", false},
		{"graphs as list", []jsonEdit{set("graphs", []any{})}, []string{"graphs: got JSON array; want an object"}, "", false},
		{"figure as string", []jsonEdit{set("provenance.figures", map[string]any{"fid": "low"})},
			[]string{"provenance.figures: got JSON string; want a number"}, "", false},

		// fixed-length range
		{"range of one", []jsonEdit{set("range", []any{-1})}, []string{"manifest.json: range: has 1 values; want 2"}, "", false},
		{"range of three", []jsonEdit{set("range", []any{-1, 0, 1})}, []string{"range: has 3 values; want 2"}, "", false},

		// value problems found after decoding
		{"bad c_mode", []jsonEdit{set("langevin.c_mode", "foo")},
			[]string{`bundle: manifest.json: langevin.c_mode: "foo" is not one of image, toy`}, "", false},
		{"ood level past the last", []jsonEdit{set("ood_level", 6)}, []string{"ood_level: 6; want a level 0..levels-1 (levels is 6)"}, "", false},
		{"inpainting guidance as string", []jsonEdit{set("inpaint_guidance", "1")}, []string{"inpaint_guidance"}, "", false},
		{"negative inpainting guidance", []jsonEdit{set("inpaint_guidance", -1)}, []string{"inpaint_guidance: -1; want a finite number, 0 or above"}, "", false},
		{"traversal", []jsonEdit{set("graphs.energy.file", "../../etc/passwd.onnx")},
			[]string{`graphs.energy.file: "../../etc/passwd.onnx" is not a plain file name`}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := testFS(t, testManifest(true))
			data := fsys[ManifestFile].Data
			for _, e := range tc.edits {
				data = e(t, data)
			}
			fsys[ManifestFile] = &fstest.MapFile{Data: data}
			b, err := Read(fsys)
			checkErr(t, err, tc.want...)
			if b != nil {
				t.Error("got a bundle with the error")
			}
			if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
				t.Errorf("got error %q, want it without %q", err, tc.notWant)
			}
			if got := errors.Is(err, ErrNewerVersion); got != tc.newer {
				t.Errorf("errors.Is(err, ErrNewerVersion) = %v, want %v", got, tc.newer)
			}
		})
	}
}

// TestDecodeOptional checks that optional fields may be absent or null.
func TestDecodeOptional(t *testing.T) {
	for _, tc := range []struct {
		name        string
		conditional bool
		edits       []jsonEdit
	}{
		{"no classes", false, []jsonEdit{del("classes")}},
		{"null classes", false, []jsonEdit{set("classes", nil)}},
		{"empty provenance", true, []jsonEdit{set("provenance", map[string]any{})}},
		{"compact JSON", true, []jsonEdit{raw(func(d []byte) []byte {
			var buf bytes.Buffer
			if err := json.Compact(&buf, d); err != nil {
				panic(err)
			}
			return buf.Bytes()
		})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := testFS(t, testManifest(tc.conditional))
			data := fsys[ManifestFile].Data
			for _, e := range tc.edits {
				data = e(t, data)
			}
			fsys[ManifestFile] = &fstest.MapFile{Data: data}
			if _, err := Read(fsys); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzDecode checks that no manifest text makes decoding panic, and that whatever decodes
// also validates and survives a round trip through JSON.
func FuzzDecode(f *testing.F) {
	for _, m := range []*Manifest{testManifest(true), testManifest(false)} {
		data, err := json.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"format":"cdrl-bundle","version":2}`))
	f.Add([]byte(`{"format":"cdrl-bundle","version":1,"range":[1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeManifest(data, ManifestFile)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bundle: manifest.json: ") {
				t.Fatalf("error %q does not name the manifest", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded manifest does not validate: %v", err)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeManifest(again, ManifestFile); err != nil {
			t.Fatalf("re-encoded manifest does not decode: %v", err)
		}
	})
}
