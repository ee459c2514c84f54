package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// readBody reads a request's JSON body into dst, strictly: the media type
// must be application/json, the body at most the server's limit, one JSON
// object whose members are all fields of dst, each of the right type. When
// optional is true an empty body leaves dst as it is.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" || !optional {
		if err := checkMediaType(ct); err != nil {
			return err
		}
	}

	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &httpError{kind: kindTooLarge,
			detail: fmt.Sprintf("the body exceeds %d bytes", tooLarge.Limit)}
	}
	if err != nil {
		return &httpError{kind: kindInvalid, detail: "the body could not be read", err: err}
	}

	if optional && len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if ct == "" {
		return checkMediaType(ct)
	}
	return decodeJSON(data, dst)
}

// checkMediaType accepts application/json with any parameters.
func checkMediaType(ct string) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		return nil
	}
	return &httpError{kind: kindUnsupportedMed,
		detail: "the body must be sent as application/json"}
}

// decodeJSON decodes data, which must be exactly one JSON object, into the
// struct pointed to by dst. It refuses members that are not fields of dst
// (matched exactly, not case-insensitively as encoding/json would) or that
// appear twice, and names the field of a value of the wrong type.
func decodeJSON(data []byte, dst any) error {
	members, err := objectMembers(data)
	if err != nil {
		return err
	}
	known := jsonFields(reflect.TypeOf(dst))
	var unknown []fieldError
	for _, m := range members {
		if !known[m] {
			unknown = append(unknown, fieldError{Field: m, Message: "is not a known field"})
		}
	}
	if len(unknown) > 0 {
		return &httpError{kind: kindUnknownField, detail: "the body has unknown fields",
			fields: unknown}
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return typeError(err)
	}
	return nil
}

// objectMembers checks that data holds exactly one JSON object and returns
// its member names in order; a name given twice is refused.
func objectMembers(data []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &httpError{kind: kindMalformedJSON, detail: "the body must be a JSON object"}
	}

	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		name, _ := tok.(string)
		if slices.Contains(names, name) {
			return nil, &httpError{kind: kindMalformedJSON,
				detail: "the body has a member twice", fields: []fieldError{
					{Field: name, Message: "appears more than once"}}}
		}
		names = append(names, name)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, malformed(err)
		}
	}
	return names, trailer(dec)
}

// trailer consumes the closing brace of the object and checks that nothing
// but white space follows it.
func trailer(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil {
		return malformed(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &httpError{kind: kindMalformedJSON,
			detail: "the body must hold a single JSON value"}
	}
	return nil
}

// malformed reports a syntax error, with its offset when known.
func malformed(err error) error {
	var se *json.SyntaxError
	detail := "the body is not valid JSON"
	switch {
	case errors.As(err, &se):
		detail = fmt.Sprintf("the body is not valid JSON (at byte %d)", se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		detail = "the body ends before its JSON value does"
	}
	return &httpError{kind: kindMalformedJSON, detail: detail, err: err}
}

// typeError reports a value of the wrong type, naming its field.
func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(body)"
		}
		return &httpError{kind: kindInvalid, detail: "a field has the wrong type",
			fields: []fieldError{{Field: field, Message: "must be " + typeName(te.Type)}}}
	}
	return &httpError{kind: kindMalformedJSON, detail: "the body could not be decoded",
		err: err}
}

// typeName describes a Go type in JSON terms.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return typeName(t.Elem())
	}
	return "of another type"
}

// fieldCache maps a struct type to its set of JSON member names.
var fieldCache sync.Map

// jsonFields returns the JSON member names of the struct t points to.
func jsonFields(t reflect.Type) map[string]bool {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]bool)
	}
	st := t
	for st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	names := make(map[string]bool, st.NumField())
	for i := range st.NumField() {
		f := st.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[name] = true
	}
	fieldCache.Store(t, names)
	return names
}
