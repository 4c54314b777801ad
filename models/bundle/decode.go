package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// maxManifestSize bounds the size of manifest.json; real manifests are a few KiB, and even a
// thousand class labels fit many times over.
const maxManifestSize = 1 << 20

// decodeManifest parses and validates a manifest; errors name file. The version is checked
// before the fields, so that a newer manifest is refused for its version, not for the fields
// that version added.
func decodeManifest(data []byte, file string) (*Manifest, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(data, file, err)
	}
	if top == nil {
		return nil, &Error{File: file, Problem: "the JSON value is null; want an object"}
	}

	p := &problems{file: file}
	var head Manifest
	if raw, ok := top["format"]; ok && json.Unmarshal(raw, &head.Format) != nil {
		p.add("format", "not a string; want %q", Format)
		return nil, p.err()
	}
	if json.Unmarshal(top["version"], &head.Version) != nil {
		head.Version = Version // missing or not an integer: reported with the other fields below
	}
	if !head.checkHeader(p) {
		return nil, p.err()
	}

	p.object(top, reflect.TypeFor[Manifest](), "")
	if err := p.err(); err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, jsonError(data, file, err)
	}
	if err := m.validate(file); err != nil {
		return nil, err
	}
	return &m, nil
}

// object checks the keys of one JSON object against the fields of the struct type t: every key
// must name a field exactly (encoding/json alone would ignore unknown keys and match names
// regardless of case), every field not tagged omitempty must be present and not null, and
// nested objects and fixed-length lists are checked in turn. Values of the wrong JSON type are
// left to json.Unmarshal, which names their path.
func (p *problems) object(obj map[string]json.RawMessage, t reflect.Type, path string) {
	known := make(map[string]bool, t.NumField())
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		known[name] = true
		names = append(names, name)
		raw, ok := obj[name]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			if !slices.Contains(strings.Split(opts, ","), "omitempty") {
				p.add(joinPath(path, name), "missing")
			}
			continue
		}
		p.value(raw, f.Type, joinPath(path, name))
	}
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		if !known[key] {
			where := "the manifest"
			if path != "" {
				where = path
			}
			if i := slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(n, key) }); i >= 0 {
				p.add(joinPath(path, key), "unknown field; names are case-sensitive: did you mean %q?", names[i])
				continue
			}
			p.add(joinPath(path, key), "unknown field; %s has %s", where, strings.Join(names, ", "))
		}
	}
}

// value checks one present value of Go type t: objects for structs, the length of lists for
// arrays.
func (p *problems) value(raw json.RawMessage, t reflect.Type, path string) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			p.object(obj, t, path)
		}
	case reflect.Array:
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil && len(list) != t.Len() {
			p.add(path, "has %d values; want %d", len(list), t.Len())
		}
	}
}

// joinPath appends a field name to a dotted path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// jsonError turns an encoding/json error into an *Error naming the line and column of a syntax
// error, or the field and the expected type of a type error.
func jsonError(data []byte, file string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && syn.Error() == "unexpected end of JSON input":
		return &Error{File: file, Err: err, Problem: "invalid JSON: the text ends early (truncated file?)"}
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset)
		return &Error{File: file, Err: err, Problem: fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err)}
	case errors.As(err, &typ) && typ.Field == "":
		return &Error{File: file, Err: err, Problem: fmt.Sprintf("the JSON value is %s; want an object", withArticle(typ.Value))}
	case errors.As(err, &typ):
		return &Error{File: file, Field: typ.Field, Err: err, Problem: fmt.Sprintf("got JSON %s; want %s", typ.Value, typeWords(typ.Type))}
	}
	return &Error{File: file, Err: err, Problem: fmt.Sprintf("invalid JSON: %v", err)}
}

// lineCol returns the 1-based line and column of the byte a json.SyntaxError's offset ends
// with, the byte that made the text invalid.
func lineCol(data []byte, offset int64) (line, col int) {
	before := data[:max(0, min(int(offset), len(data))-1)]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// withArticle puts "a" or "an" before a word.
func withArticle(word string) string {
	if strings.ContainsAny(word[:min(1, len(word))], "aeiou") {
		return "an " + word
	}
	return "a " + word
}

// typeWords describes the JSON a Go type reads from.
func typeWords(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(typeWords(t.Elem()), "an "), "a ") + "s"
	}
	return "an object"
}
