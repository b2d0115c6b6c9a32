package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ParseDuration reads a duration as Go writes them (90s, 1h30m) and also in
// days and weeks (2d, 1w, 1d12h), which is how people give ages and windows.
// A bare number is refused with a hint: its unit is anyone's guess.
func ParseDuration(s string) (time.Duration, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return 0, errors.New("empty duration (e.g. 30s, 5m, 2h, 1d)")
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		if v == "0" {
			return 0, nil
		}
		return 0, fmt.Errorf("%s needs a unit, e.g. %ss", v, v)
	}
	bad := false
	expanded := dayWeek.ReplaceAllStringFunc(v, func(m string) string {
		unit := m[len(m)-1]
		n, err := strconv.ParseFloat(m[:len(m)-1], 64)
		if err != nil {
			bad = true
			return m
		}
		hours := 24.0
		if unit == 'w' {
			hours = 7 * 24
		}
		return strconv.FormatFloat(n*hours, 'f', -1, 64) + "h"
	})
	d, err := time.ParseDuration(expanded)
	if bad || err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 30s, 5m, 2h, 1d, 1w)", s)
	}
	return d, nil
}

// dayWeek matches a count of days or weeks; no Go unit contains d or w.
var dayWeek = regexp.MustCompile(`[0-9]+(\.[0-9]+)?[dw]`)

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// checker walks the YAML tree beside the Config type and notes what would
// not decode, or would decode to something the user did not mean.
type checker struct {
	problems []Problem
}

func (w *checker) add(line int, field, format string, args ...any) {
	w.problems = append(w.problems, Problem{Field: field, Msg: fmt.Sprintf(format, args...), Line: line})
}

func (w *checker) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	// A type that decodes itself says what it accepts.
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch {
	case t.Kind() == reflect.Pointer:
		w.walk(n, t.Elem(), path)
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.add(n.Line, path, "must be a mapping")
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.walk(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))
		}
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			w.add(n.Line, path, "must be a duration (e.g. 30s)")
			return
		}
		d, err := ParseDuration(n.Value)
		if err != nil {
			w.add(n.Line, path, "%s", err)
			return
		}
		// Days and weeks, which the YAML decoder does not know, go in as Go writes them.
		n.Value, n.Tag, n.Style = d.String(), "!!str", 0
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.add(n.Line, path, "must be a mapping of settings")
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[key.Value]
			if !ok {
				names := make([]string, 0, len(fields))
				for name := range fields {
					names = append(names, name)
				}
				msg := "unknown field " + join(path, key.Value)
				if s := suggest(key.Value, names); s != "" {
					msg += "; did you mean " + join(path, s) + "?"
				}
				w.add(key.Line, "", "%s", msg)
				continue
			}
			w.walk(val, ft, join(path, key.Value))
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.add(n.Line, path, "must be a list")
			return
		}
		for i, c := range n.Content {
			w.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			w.add(n.Line, path, "%q is not a whole number", n.Value)
		}
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			w.add(n.Line, path, "%q is not true or false", n.Value)
		}
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			w.add(n.Line, path, "must be a single value, not a list or mapping")
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// yamlFields maps a struct's YAML keys to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest is the known name closest to a misspelt one, "" when none is close.
func suggest(got string, names []string) string {
	best, bestD := "", 0
	for _, n := range names {
		d := editDistance(strings.ToLower(got), n)
		if best == "" || d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if best == "" || bestD > max(2, len(got)/3) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlProblem turns the YAML library's error into a Problem with its line.
func yamlProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Msg: m[2]}
	}
	return Problem{Msg: msg}
}
