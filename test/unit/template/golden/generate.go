// Command generate renders every case in cases.json with Go's text/template and writes
// the results to expected.json, the golden file the TypeScript engine is tested against.
//
// Run from this directory: go run generate.go
//
// Integral JSON numbers are decoded as int and others as float64, which is how the
// TypeScript engine types numbers.
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"text/template"
)

type testCase struct {
	Name       string          `json:"name"`
	Template   string          `json:"template"`
	Data       json.RawMessage `json:"data"`
	MissingKey string          `json:"missingKey,omitempty"`
	StringMaps []string        `json:"stringMaps,omitempty"`
}

type result struct {
	Name   string  `json:"name"`
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

func convert(v any, path string, stringMaps map[string]bool) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			return int(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = convert(x[i], path+"/*", stringMaps)
		}
		return x
	case map[string]any:
		if stringMaps[path] {
			m := map[string]string{}
			for k, e := range x {
				m[k] = e.(string)
			}
			return m
		}
		for k := range x {
			x[k] = convert(x[k], path+"/"+k, stringMaps)
		}
		return x
	}
	return v
}

func main() {
	raw, err := os.ReadFile("cases.json")
	if err != nil {
		panic(err)
	}
	var cases []testCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		panic(err)
	}
	var out []result
	for _, c := range cases {
		var data any
		if len(c.Data) > 0 {
			if err := json.Unmarshal(c.Data, &data); err != nil {
				panic(c.Name + ": " + err.Error())
			}
		}
		sm := map[string]bool{}
		for _, p := range c.StringMaps {
			sm[p] = true
		}
		data = convert(data, "", sm)
		mk := c.MissingKey
		if mk == "" {
			mk = "error"
		}
		r := result{Name: c.Name}
		t, err := template.New("t").Option("missingkey=" + mk).Parse(c.Template)
		if err == nil {
			var buf bytes.Buffer
			err = t.Execute(&buf, data)
			if err == nil {
				s := buf.String()
				r.Output = &s
			}
		}
		if err != nil {
			s := strings.TrimSpace(err.Error())
			r.Error = &s
		}
		out = append(out, r)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile("expected.json", append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
}
