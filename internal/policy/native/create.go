package native

import (
	"slices"
	"strings"

	"github.com/linux-gcs/gcs/internal/policy/engine"
)

// capSets are the capability sets, in the framework's order.
var capSets = [5]string{"bounding", "effective", "inheritable", "permitted", "ambient"}

// createInput is a create_container input document, every field the
// framework reads present and of the type the guest gives it.
type createInput struct {
	id, workingDir, sandboxDir, hugePagesDir, umask, seccomp string
	args, env                                                []string
	mounts                                                   []mountRule
	privileged, noNewPrivileges, isSandbox                   bool
	user                                                     idName
	groups                                                   []idName
	caps                                                     [5][]string
}

type idName struct{ id, name string }

func readIDName(v any) (idName, bool) {
	id, name, ok := stringPair(v, "id", "name")
	return idName{id, name}, ok
}

func readCreateInput(in map[string]any) (createInput, bool) {
	var c createInput
	var ok [16]bool
	c.id, ok[0] = in["containerID"].(string)
	c.workingDir, ok[1] = in["workingDir"].(string)
	c.sandboxDir, ok[2] = in["sandboxDir"].(string)
	c.hugePagesDir, ok[3] = in["hugePagesDir"].(string)
	c.umask, ok[4] = in["umask"].(string)
	c.seccomp, ok[5] = in["seccompProfileSHA256"].(string)
	c.args, ok[6] = stringList(in["argList"])
	c.env, ok[7] = stringList(in["envList"])
	c.mounts, ok[8] = mountRules(in["mounts"])
	c.privileged, ok[9] = in["privileged"].(bool)
	c.noNewPrivileges, ok[10] = in["noNewPrivileges"].(bool)
	c.isSandbox, ok[11] = in["isSandboxContainer"].(bool)
	c.user, ok[12] = readIDName(in["user"])
	c.groups, ok[13] = listOf(in["groups"], readIDName)
	// Devices cannot be granted by a policy: only an empty list passes.
	devices, isList := in["devices"].([]any)
	ok[14] = isList && len(devices) == 0
	caps, isMap := in["capabilities"].(map[string]any)
	ok[15] = isMap && len(caps) == len(capSets)
	for i, set := range capSets {
		var good bool
		c.caps[i], good = stringList(caps[set])
		ok[15] = ok[15] && good
	}
	for _, good := range ok {
		if !good {
			return c, false
		}
	}
	return c, true
}

// createContainer is the framework's create_container on Linux, without
// environment or capability dropping: the containers the overlay matched,
// narrowed stage by stage, must leave at least one, all agreeing on stdio.
func (p *Plan) createContainer(input map[string]any, meta engine.Metadata) (engine.Result, []engine.Op, bool) {
	system, _ := meta["operatingsystem"].(map[string]any)
	if system["ostype"] != "linux" {
		return nil, nil, false
	}
	in, ok := readCreateInput(input)
	if !ok {
		return nil, nil, false
	}
	if started, present := meta["started"]; present {
		m, isMap := started.(map[string]any)
		if !isMap {
			return nil, nil, false
		}
		if _, was := m[in.id]; was {
			return nil, nil, false
		}
	}
	matches, _ := meta["matches"].(map[string]any)
	matched, _ := matches[in.id].([]any)
	if len(matched) == 0 {
		return nil, nil, false
	}
	d := decider{plan: p, in: &in, meta: meta}
	var chosen []any
	var stdio bool
	for _, raw := range matched {
		c, good := readContainer(raw)
		if !good {
			return nil, nil, false
		}
		if !d.allows(&c) {
			continue
		}
		if len(chosen) > 0 && c.stdio != stdio {
			return nil, nil, false // same_stdio fails: a denial
		}
		chosen, stdio = append(chosen, raw), c.stdio
	}
	if d.bad || len(chosen) == 0 {
		return nil, nil, false
	}
	if len(chosen) == len(matched) {
		chosen = matched // the same list: the engine need not rewrite it
	}
	env := make([]any, len(in.env))
	for i, s := range in.env {
		env[i] = s
	}
	caps := make(map[string]any, len(capSets))
	for i, set := range capSets {
		list := make([]any, len(in.caps[i]))
		for j, s := range in.caps[i] {
			list[j] = s
		}
		caps[set] = list
	}
	result := engine.Result{"env_list": env, "caps_list": caps, "allow_stdio_access": stdio, "allowed": true}
	ops := []engine.Op{
		{Action: engine.OpUpdate, Type: engine.OpMap, Name: "matches", Key: in.id, Value: chosen},
		{Action: engine.OpAdd, Type: engine.OpMap, Name: "started", Key: in.id, Value: map[string]any{"privileged": in.privileged}},
	}
	return result, ops, true
}

// decider checks containers against one input; bad is set when a check
// met something it does not model (the decision goes to OPA then).
type decider struct {
	plan *Plan
	in   *createInput
	meta engine.Metadata
	bad  bool
}

// match is regex.match(anchored(pattern), s), noting a pattern that does
// not compile.
func (d *decider) match(pattern, s string) bool {
	matched, ok := d.plan.re.match(pattern, s)
	if !ok {
		d.bad = true
	}
	return matched
}

// allows is whether the container passes every stage of create_container:
// security (privileges, user, elevation, working directory, command,
// mounts), seccomp, environment (all the requested variables are kept)
// and capabilities (all the requested ones are kept).
func (d *decider) allows(c *container) bool {
	in := d.in
	if c.noNewPrivileges && !in.noNewPrivileges {
		return false
	}
	if !d.userOK(&c.user) {
		return false
	}
	if in.privileged && !c.allowElevated {
		return false
	}
	if in.workingDir != c.workingDir || !slices.Equal(in.args, c.command) {
		return false
	}
	for i := range in.mounts {
		if !d.mountOK(c, &in.mounts[i]) {
			return false
		}
	}
	if in.seccomp != c.seccomp {
		return false
	}
	if !d.envOK(c.envRules) {
		return false
	}
	return d.capsOK(c)
}

func (d *decider) idNameOK(rule idRule, value idName) bool {
	switch rule.strategy {
	case "any":
		return true
	case "id":
		return rule.pattern == value.id
	case "name":
		return rule.pattern == value.name
	case "re2":
		return d.match(rule.pattern, value.name)
	}
	return false
}

func (d *decider) userOK(u *userRule) bool {
	if u.umask != d.in.umask || !d.idNameOK(u.user, d.in.user) {
		return false
	}
	for _, g := range d.in.groups {
		ok := false
		for _, allowed := range u.groups {
			if d.idNameOK(allowed, g) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// mountOK is the framework's mount_ok for one requested mount.
func (d *decider) mountOK(c *container, m *mountRule) bool {
	for i := range c.mounts {
		if d.constraintOK(&c.mounts[i], m) {
			return true
		}
	}
	cp := d.plan.create
	for i := range cp.defaultMounts {
		if d.constraintOK(&cp.defaultMounts[i], m) {
			return true
		}
	}
	if c.allowElevated {
		for i := range cp.privilegedMounts {
			if d.constraintOK(&cp.privilegedMounts[i], m) {
				return true
			}
		}
	}
	return d.in.isSandbox && m.typ == "sysfs" && m.source == "sysfs" && m.destination == "/sys" &&
		sameMembers([]string{"nosuid", "noexec", "nodev", "rw"}, m.options)
}

func (d *decider) constraintOK(rule, m *mountRule) bool {
	return m.typ == rule.typ && m.destination != "" && m.destination == rule.destination &&
		sameMembers(rule.options, m.options) && d.sourceOK(rule.source, m.source)
}

// sourceOK is the framework's mount_source_ok: any of its four ways.
func (d *decider) sourceOK(constraint, source string) bool {
	cp := d.plan.create
	if constraint == source {
		return true
	}
	if strings.HasPrefix(constraint, cp.sandboxPrefix) &&
		d.match(strings.ReplaceAll(constraint, cp.sandboxPrefix, d.in.sandboxDir), source) {
		return true
	}
	if strings.HasPrefix(constraint, cp.hugePagesPrefix) &&
		d.match(strings.ReplaceAll(constraint, cp.hugePagesPrefix, d.in.hugePagesDir), source) {
		return true
	}
	if strings.HasPrefix(constraint, cp.plan9Prefix) {
		p9, _ := d.meta["p9mounts"].(map[string]any)
		if owner, ok := p9[source]; ok && owner == d.in.id {
			return true
		}
	}
	return false
}

// envOK is envList_ok(rules, input.envList): every required rule met by
// some variable, every variable allowed by some rule.
func (d *decider) envOK(rules []envRule) bool {
	for i := range rules {
		if !rules[i].required {
			continue
		}
		met := false
		for _, env := range d.in.env {
			if d.envRuleOK(&rules[i], env) {
				met = true
				break
			}
		}
		if !met {
			return false
		}
	}
	for _, env := range d.in.env {
		allowed := false
		for i := range rules {
			if d.envRuleOK(&rules[i], env) {
				allowed = true
				break
			}
		}
		if !allowed {
			return false
		}
	}
	return true
}

func (d *decider) patternOK(pattern, strategy, value string) bool {
	switch strategy {
	case "string":
		return pattern == value
	case "re2":
		return d.match(pattern, value)
	}
	return false
}

// envRuleOK is env_rule_ok: either of its two shapes.
func (d *decider) envRuleOK(r *envRule, env string) bool {
	if r.whole && d.patternOK(r.pattern, r.strategy, env) {
		return true
	}
	if !r.split {
		return false
	}
	if !plainText(env) {
		d.bad = true // indexof and substring count runes
		return false
	}
	name, value, found := strings.Cut(env, "=")
	return found && d.patternOK(r.name, r.nameStrategy, name) && d.patternOK(r.value, r.valueStrategy, value)
}

// capsOK is caps_ok(container_capabilities(c, input.privileged),
// input.capabilities) without dropping.
func (d *decider) capsOK(c *container) bool {
	allowed := c.caps
	if !c.hasCaps {
		cp := d.plan.create
		switch {
		case c.allowElevated && d.in.privileged:
			allowed = [5][]string{cp.privilegedCaps, cp.privilegedCaps, cp.privilegedCaps, cp.privilegedCaps, nil}
		default:
			allowed = [5][]string{cp.unprivilegedCaps, cp.unprivilegedCaps, nil, cp.unprivilegedCaps, nil}
		}
	}
	for i := range capSets {
		if !sameMembers(allowed[i], d.in.caps[i]) {
			return false
		}
	}
	return true
}
