// Package simulate runs a policy against a list of commands offline, in
// the command format of hcsshim's policy engine simulator, carrying the
// metadata from one command to the next as the guest does.
package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/engine"
	"github.com/sirupsen/logrus"
)

// Command is one request: an enforcement point and its input document.
// A load_fragment input names the fragment's Rego file in local_path
// (relative to the commands file) beside issuer and feed, and may carry
// header_svn and receipts.
type Command struct {
	Name  string         `json:"name"`
	Input map[string]any `json:"input"`
}

// Outcome is what one command got.
type Outcome struct {
	Name    string
	Allowed bool
	// Result is the decision object of an allowed command.
	Result map[string]any
	// Reasons are the policy's reasons for a denial.
	Reasons []string
	// Err is set when the policy could not decide (or the command is bad).
	Err error
	// Metadata is the metadata after the command.
	Metadata engine.Metadata
	// Fragments are the fragment modules loaded after the command.
	Fragments []string
}

// Keys of a decision a printed line carries when the decision has them.
var printedKeys = []string{"env_list", "caps_list", "allow_stdio_access"}

// Line is the outcome as printed, one JSON object: name, allowed, the
// decision's env_list, caps_list and allow_stdio_access, then errors (the
// reasons of a denial) or error (why there is no decision), in that order.
func (o Outcome) Line() ([]byte, error) {
	type field struct {
		key   string
		value any
	}
	fields := []field{{"name", o.Name}, {"allowed", o.Allowed}}
	for _, k := range printedKeys {
		if v, ok := o.Result[k]; ok {
			fields = append(fields, field{k, v})
		}
	}
	if len(o.Reasons) > 0 {
		fields = append(fields, field{"errors", o.Reasons})
	}
	if o.Err != nil {
		fields = append(fields, field{"error", o.Err.Error()})
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(f.key)
		value, err := json.Marshal(f.value)
		if err != nil {
			return nil, fmt.Errorf("encode %s of %s: %w", f.key, o.Name, err)
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ReadCommands reads a commands file: a JSON list of commands. Numbers
// keep their text (json.Number), as the guest's inputs do.
func ReadCommands(path string) ([]Command, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read commands: %w", err)
	}
	var cmds []Command
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&cmds); err != nil {
		return nil, fmt.Errorf("parse commands %s: %w", path, err)
	}
	return cmds, nil
}

// ReadData reads an initial data file (a JSON object).
func ReadData(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	var data map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("parse data %s: %w", path, err)
	}
	return data, nil
}

// Run installs policy (with data, or the guest's data when nil) and runs
// the commands in order; dir is where local_path names are resolved. Each
// command's metadata is kept when it is allowed and undone when not.
func Run(ctx context.Context, code string, data map[string]any, cmds []Command, dir string) ([]Outcome, error) {
	p, err := policy.NewRego(ctx, code, policy.Options{Data: data, MaxErrorLength: -1, Log: quiet()})
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, 0, len(cmds))
	for _, c := range cmds {
		o := Outcome{Name: c.Name}
		var d *policy.Decision
		if c.Name == policy.RuleLoadFragment {
			d, err = loadFragment(ctx, p, c.Input, dir)
		} else {
			input := c.Input
			if input == nil {
				input = map[string]any{}
			}
			d, err = p.Decide(ctx, c.Name, input)
		}
		if err == nil {
			d.Commit()
			o.Allowed, o.Result = true, d.Result
		} else {
			o.Reasons, o.Err = explain(err)
		}
		o.Metadata, o.Fragments = p.Metadata(), p.Fragments()
		out = append(out, o)
	}
	return out, nil
}

// quiet is a logger that drops everything: the outcomes say it all.
func quiet() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// explain splits a refusal into the policy's reasons, or the error that
// kept the policy from deciding.
func explain(err error) ([]string, error) {
	var denial *policy.DenialError
	if !errors.As(err, &denial) {
		return nil, err
	}
	if msg, ok := denial.Decision["policyError"].(string); ok {
		return nil, errors.New(msg)
	}
	return denial.Reasons(), nil
}

func loadFragment(ctx context.Context, p *policy.Rego, in map[string]any, dir string) (*policy.Decision, error) {
	local, _ := in["local_path"].(string)
	if local == "" {
		return nil, errors.New("load_fragment needs input.local_path: the fragment's Rego file")
	}
	if !filepath.IsAbs(local) {
		local = filepath.Join(dir, local)
	}
	code, err := os.ReadFile(local)
	if err != nil {
		return nil, fmt.Errorf("read fragment: %w", err)
	}
	r := policy.LoadFragment{Rego: string(code)}
	r.Issuer, _ = in["issuer"].(string)
	r.Feed, _ = in["feed"].(string)
	if svn, ok := in["header_svn"].(json.Number); ok {
		n, err := svn.Int64()
		if err != nil {
			return nil, fmt.Errorf("header_svn: %w", err)
		}
		r.HeaderSVN = &n
	}
	if signed(code) {
		if r, err = signedFragment(code, r); err != nil {
			return nil, err
		}
	}
	receipts, _ := in["receipts"].([]any)
	for _, raw := range receipts {
		obj, _ := raw.(map[string]any)
		rc := policy.Receipt{}
		rc.Issuer, _ = obj["issuer"].(string)
		subjects, _ := obj["ttl_subjects"].([]any)
		for _, s := range subjects {
			if str, ok := s.(string); ok {
				rc.TTLSubjects = append(rc.TTLSubjects, str)
			}
		}
		r.Receipts = append(r.Receipts, rc)
	}
	return p.LoadFragment(ctx, r)
}
