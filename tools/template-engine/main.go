// The template engine keyferry runs for `target.template` with engineVersion v2: Go's
// text/template with the function set External Secrets Operator documents for its v2 engine
// (sprig, without the functions that read the environment or the network, plus the PKCS#12,
// PEM, JWK and YAML helpers). Built for GOOS=wasip1 GOARCH=wasm as a reactor: the host calls
// kf_alloc to get an input buffer, writes a JSON request into it, calls kf_render, and reads
// the JSON answer at kf_output. The module is given no files, no environment and no sockets.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"text/template"
	"unsafe"
)

func main() {}

// The heap stays small between renders; collecting less often costs memory the per-render
// output limit bounds anyway, and makes a render several times cheaper.
func init() { debug.SetGCPercent(400) }

type request struct {
	Templates map[string]string `json:"templates"`
	Data      map[string][]byte `json:"data"`
	MaxOutput int               `json:"maxOutput"`
}

type response struct {
	Output map[string][]byte `json:"output,omitempty"`
	Error  string            `json:"error,omitempty"`
	// The template key whose rendering failed.
	Key string `json:"key,omitempty"`
	// The data key a template named that the data does not have.
	Missing string `json:"missing,omitempty"`
	// Whether the error is in the template's text (it does not parse).
	Parse bool `json:"parse,omitempty"`
}

var input []byte
var output []byte

//go:wasmexport kf_alloc
func kfAlloc(size uint32) uint32 {
	input = make([]byte, size+1)
	return uint32(uintptr(unsafe.Pointer(&input[0])))
}

//go:wasmexport kf_render
func kfRender(size uint32) uint32 {
	var req request
	var res response
	if err := json.Unmarshal(input[:size], &req); err != nil {
		res.Error = "malformed request"
	} else {
		res = render(req)
	}
	input = nil
	out, err := json.Marshal(res)
	if err != nil {
		out = []byte(`{"error":"cannot encode the result"}`)
	}
	output = append(out, 0)
	return uint32(len(out))
}

//go:wasmexport kf_output
func kfOutput() uint32 {
	return uint32(uintptr(unsafe.Pointer(&output[0])))
}

// The function map is checked once; each render clones this empty set, which shares it.
// missingkey=error: a key the data lacks is an error, as ESO documents.
var base = template.Must(template.New("").Option("missingkey=error").Funcs(funcMap()).Parse(""))

var errOutputLimit = errors.New("output limit reached")

// limitedBuffer stops a template as soon as its output passes the limit, so a template that
// writes without end is cut short rather than filling memory.
type limitedBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.limit {
		return 0, errOutputLimit
	}
	return b.buf.Write(p)
}

func render(req request) response {
	// As ESO's v2 engine does, the fetched values are strings to the template.
	data := make(map[string]string, len(req.Data))
	for k, v := range req.Data {
		data[k] = string(v)
	}
	keys := make([]string, 0, len(req.Templates))
	for k := range req.Templates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	set, err := base.Clone()
	if err != nil {
		return response{Error: "cannot prepare the template set"}
	}
	out := make(map[string][]byte, len(keys))
	total := 0
	for _, key := range keys {
		t, err := set.New(key).Parse(req.Templates[key])
		if err != nil {
			return response{Error: err.Error(), Key: key, Parse: true}
		}
		w := &limitedBuffer{limit: req.MaxOutput - total}
		if err := t.Execute(w, data); err != nil {
			if errors.Is(err, errOutputLimit) {
				return response{Error: fmt.Sprintf("output is larger than %d bytes", req.MaxOutput), Key: key}
			}
			res := response{Error: describe(err), Key: key}
			if m := missingKey.FindStringSubmatch(res.Error); m != nil {
				res.Missing = m[1]
			}
			return res
		}
		total += w.buf.Len()
		out[key] = w.buf.Bytes()
	}
	return response{Output: out}
}

var (
	// `template: NAME:LINE:COL: executing "NAME" at <PIPELINE>: CAUSE`: the part up to the
	// pipeline is the user's own template text.
	execPrefix  = regexp.MustCompile(`^(template: .*?: executing ".*?" at <.*?>): `)
	missingKey  = regexp.MustCompile(`map has no entry for key "([^"]*)"$`)
	callingFunc = regexp.MustCompile(`^error calling ([A-Za-z0-9_]+):`)
	wrongArgs   = regexp.MustCompile(`^wrong (number|type) of args? for [A-Za-z0-9_]+`)
)

// describe keeps what an error says about the template (position, pipeline, function name,
// missing key name) and drops whatever a function said about its input, which may be a
// secret value (strconv's "parsing \"<value>\"", for instance).
func describe(err error) string {
	var execErr template.ExecError
	if !errors.As(err, &execErr) {
		// Parse errors quote only the template text.
		return err.Error()
	}
	text := err.Error()
	m := execPrefix.FindStringSubmatch(text)
	if m == nil {
		return "template execution failed"
	}
	cause := text[len(m[0]):]
	switch {
	case strings.HasPrefix(cause, "map has no entry for key ") && missingKey.MatchString(cause):
		return m[1] + ": " + cause
	case callingFunc.MatchString(cause):
		return m[1] + ": error calling " + callingFunc.FindStringSubmatch(cause)[1] + " (details withheld: they may quote a secret value)"
	case wrongArgs.MatchString(cause):
		return m[1] + ": " + wrongArgs.FindString(cause)
	}
	return m[1] + ": execution failed (details withheld: they may quote a secret value)"
}
