package native

// container is one of the containers an overlay matched, as the metadata
// holds it (the framework's current shape), with every field
// create_container reads of the type the framework expects.
type container struct {
	command         []string
	envRules        []envRule
	mounts          []mountRule
	allowElevated   bool
	workingDir      string
	stdio           bool
	noNewPrivileges bool
	user            userRule
	hasCaps         bool // false: capabilities is null, the defaults apply
	caps            [5][]string
	seccomp         string
}

type idRule struct{ pattern, strategy string }

type userRule struct {
	umask  string
	user   idRule
	groups []idRule
}

// envRule is one of a container's environment rules: whole matches the
// NAME=value string, split matches name and value apart.
type envRule struct {
	whole                bool
	pattern, strategy    string
	split                bool
	name, nameStrategy   string
	value, valueStrategy string
	required             bool
}

func readContainer(raw any) (container, bool) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return container{}, false
	}
	var c container
	var good [10]bool
	c.command, good[0] = stringList(obj["command"])
	c.envRules, good[1] = readEnvRules(obj["env_rules"])
	c.mounts, good[2] = mountRules(obj["mounts"])
	c.allowElevated, good[3] = obj["allow_elevated"].(bool)
	c.workingDir, good[4] = obj["working_dir"].(string)
	c.stdio, good[5] = obj["allow_stdio_access"].(bool)
	c.noNewPrivileges, good[6] = obj["no_new_privileges"].(bool)
	c.user, good[7] = readUser(obj["user"])
	c.seccomp, good[8] = obj["seccomp_profile_sha256"].(string)
	caps, present := obj["capabilities"]
	good[9] = present
	if caps != nil {
		c.hasCaps = true
		c.caps, good[9] = readCaps(caps)
	}
	for _, g := range good {
		if !g {
			return c, false
		}
	}
	return c, true
}

func readCaps(v any) ([5][]string, bool) {
	var out [5][]string
	obj, ok := v.(map[string]any)
	if !ok {
		return out, false
	}
	for i, set := range capSets {
		if out[i], ok = stringList(obj[set]); !ok {
			return out, false
		}
	}
	return out, true
}

func readIDRule(v any) (idRule, bool) {
	pattern, strategy, ok := stringPair(v, "pattern", "strategy")
	return idRule{pattern, strategy}, ok
}

func readUser(v any) (userRule, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return userRule{}, false
	}
	var u userRule
	var ok1, ok2 bool
	u.umask, ok1 = obj["umask"].(string)
	u.user, ok2 = readIDRule(obj["user_idname"])
	var ok3 bool
	u.groups, ok3 = listOf(obj["group_idnames"], readIDRule)
	return u, ok1 && ok2 && ok3
}

func readEnvRules(v any) ([]envRule, bool) { return listOf(v, readEnvRule) }

// readEnvRule reads a rule as object.get(rule, key, null) sees it: a
// shape applies when all its keys are there and not null.
func readEnvRule(v any) (envRule, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return envRule{}, false
	}
	var r envRule
	get := func(key string) (string, bool, bool) {
		raw := obj[key]
		if raw == nil {
			return "", false, true
		}
		s, isStr := raw.(string)
		return s, true, isStr
	}
	var has [6]bool
	var str [6]bool
	r.pattern, has[0], str[0] = get("pattern")
	r.strategy, has[1], str[1] = get("strategy")
	r.name, has[2], str[2] = get("name")
	r.nameStrategy, has[3], str[3] = get("name_strategy")
	r.value, has[4], str[4] = get("value")
	r.valueStrategy, has[5], str[5] = get("value_strategy")
	for _, s := range str {
		if !s {
			return r, false
		}
	}
	r.whole = has[0] && has[1]
	r.split = has[2] && has[3] && has[4] && has[5]
	required, present := obj["required"]
	r.required = present && required != false
	return r, true
}
