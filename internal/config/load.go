package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts every environment variable the configuration reads.
const EnvPrefix = "AGENTIDP_"

// envHMACKey carries the hashing key as base64; it has no key path.
const envHMACKey = "AGENTIDP_SECRETS_HMAC_KEY"

// envKEK carries the key-encryption key as base64; it has no key path.
const envKEK = "AGENTIDP_KEYS_KEK"

// maxFileBytes caps the configuration file; a real one is a few KiB.
const maxFileBytes = 1 << 20

// Source says where Load takes the configuration from. Later sources
// override earlier ones: defaults, then File, then Env, then Overrides.
type Source struct {
	// Base is the starting configuration; nil means Default().
	Base *Config
	// File is the path of a YAML file; empty means none.
	File string
	// Env looks up an environment variable, like os.LookupEnv; nil means
	// the environment is not consulted.
	Env func(name string) (string, bool)
	// Overrides maps key paths ("server.http_addr") to values, usually
	// from command-line flags. Values are parsed as environment values
	// are.
	Overrides map[string]string
}

// Load builds a configuration from src. It does not validate it: call
// Validate on the result. Errors list every problem found, as *Error.
func Load(src Source) (Config, error) {
	cfg := Default()
	if src.Base != nil {
		cfg = *src.Base
		cfg.Roles = append([]string(nil), src.Base.Roles...)
	}

	var errs Error
	if src.File != "" {
		data, err := readFile(src.File)
		if err != nil {
			return Config{}, fmt.Errorf("read config: %w", err)
		}
		errs.Problems = append(errs.Problems, decodeYAML(data, &cfg)...)
	}
	if src.Env != nil {
		errs.Problems = append(errs.Problems, applyEnv(&cfg, src.Env)...)
	}
	errs.Problems = append(errs.Problems, applyOverrides(&cfg, src.Overrides)...)

	if len(errs.Problems) > 0 {
		return Config{}, &errs
	}
	return cfg, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path) //nolint:gosec // G304: the operator names the file.
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()

	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%q is larger than %d bytes", path, maxFileBytes)
	}
	return data, nil
}

// decodeYAML overlays the YAML document in data onto cfg. A first pass
// over the node tree reports unknown keys and badly typed values with
// their key paths; the decode itself runs with KnownFields so that no key
// the first pass missed is silently dropped.
func decodeYAML(data []byte, cfg *Config) []Problem {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file changes nothing
		}
		return []Problem{{Path: "(file)", Msg: "not valid YAML: " + yamlMsg(err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return []Problem{{Path: "(file)", Msg: "must hold exactly one YAML document"}}
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}

	if probs := checkNode(root, reflect.TypeFor[Config](), ""); len(probs) > 0 {
		return probs
	}

	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(cfg); err != nil {
		return []Problem{{Path: "(file)", Msg: yamlMsg(err)}}
	}
	return nil
}

// yamlMsg shortens a yaml.v3 error to its message.
func yamlMsg(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

var durationType = reflect.TypeFor[time.Duration]()

// checkNode reports, with key paths, what in n does not fit type t.
func checkNode(n *yaml.Node, t reflect.Type, path string) []Problem {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	at := func(msg string) Problem {
		return Problem{Path: orFile(path), Msg: fmt.Sprintf("%s (line %d)", msg, n.Line)}
	}

	if t.Kind() == reflect.Struct && t != durationType {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return []Problem{at("must be a mapping")}
		}
		var probs []Problem
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := join(path, k.Value)
			f, ok := fieldByTag(t, k.Value)
			if !ok {
				probs = append(probs, Problem{Path: sub,
					Msg: fmt.Sprintf("unknown key (line %d)", k.Line)})
				continue
			}
			if seen[k.Value] {
				probs = append(probs, Problem{Path: sub,
					Msg: fmt.Sprintf("set twice (line %d)", k.Line)})
				continue
			}
			seen[k.Value] = true
			probs = append(probs, checkNode(v, f.Type, sub)...)
		}
		return probs
	}

	if t == durationType && (n.Kind != yaml.ScalarNode || n.Tag != "!!str") {
		return []Problem{at(`must be a duration such as "15s"`)}
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		return []Problem{at("must be " + describe(t))}
	}
	return nil
}

func orFile(path string) string {
	if path == "" {
		return "(file)"
	}
	return path
}

func join(path, key string) string {
	if key == "" {
		key = `""`
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldByTag finds the field of struct type t whose yaml tag is name.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if yamlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func yamlName(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return tag
}

// describe names what a value of type t looks like, for error messages.
func describe(t reflect.Type) string {
	switch {
	case t == durationType:
		return `a duration such as "15s"`
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Slice:
		return "a list of " + describe(t.Elem()) + "s"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "an integer"
	default:
		return t.String()
	}
}

// Key is one leaf setting: its key path and its environment variable.
type Key struct {
	Path string // e.g. "storage.postgres.url"; empty for env-only keys
	Env  string // e.g. "AGENTIDP_STORAGE_POSTGRES_URL"
	val  reflect.Value
}

// Keys lists every leaf setting of the configuration, sorted by
// environment variable name.
func Keys() []Key {
	var c Config
	return keysOf(&c)
}

func keysOf(c *Config) []Key {
	var keys []Key
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name := yamlName(f)
			if name == "-" {
				if env := f.Tag.Get("env"); env != "" {
					keys = append(keys, Key{Env: env, val: v.Field(i)})
				}
				continue
			}
			sub := join(path, name)
			if f.Type.Kind() == reflect.Struct && f.Type != durationType {
				walk(v.Field(i), sub)
				continue
			}
			keys = append(keys, Key{Path: sub, Env: EnvName(sub), val: v.Field(i)})
		}
	}
	walk(reflect.ValueOf(c).Elem(), "")
	sort.Slice(keys, func(i, j int) bool { return keys[i].Env < keys[j].Env })
	return keys
}

// EnvName returns the environment variable that sets key path.
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

func applyEnv(c *Config, lookup func(string) (string, bool)) []Problem {
	var probs []Problem
	for _, k := range keysOf(c) {
		s, ok := lookup(k.Env)
		if !ok {
			continue
		}
		if err := setValue(k.val, s); err != nil {
			probs = append(probs, Problem{Path: k.Env, Msg: err.Error()})
		}
	}
	return probs
}

func applyOverrides(c *Config, overrides map[string]string) []Problem {
	if len(overrides) == 0 {
		return nil
	}
	byPath := map[string]Key{}
	for _, k := range keysOf(c) {
		if k.Path != "" {
			byPath[k.Path] = k
		}
	}
	paths := make([]string, 0, len(overrides))
	for p := range overrides {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var probs []Problem
	for _, p := range paths {
		k, ok := byPath[p]
		if !ok {
			probs = append(probs, Problem{Path: p, Msg: "unknown key"})
			continue
		}
		if err := setValue(k.val, overrides[p]); err != nil {
			probs = append(probs, Problem{Path: p, Msg: err.Error()})
		}
	}
	return probs
}

// setValue parses s into v, a leaf field. Lists are comma-separated. The
// error never repeats s, which may be a secret.
func setValue(v reflect.Value, s string) error {
	fail := func() error { return errors.New("must be " + describe(v.Type())) }
	s = strings.TrimSpace(s)

	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fail()
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fail()
		}
		v.SetBool(b)
	case v.Kind() >= reflect.Int && v.Kind() <= reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fail()
		}
		v.SetInt(n)
	case v.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fail()
		}
		v.SetFloat(f)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var list []string
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		v.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}
