package policytest

import "strings"

// IllTyped returns a generated policy with its containers constant made a
// number, which the framework cannot index: the policy compiles alone and
// not with the framework. ok is false when the policy has no containers
// list followed by external_processes, as the generator writes them.
func IllTyped(policy string) (out string, ok bool) {
	start, end := strings.Index(policy, "containers := ["), strings.Index(policy, "external_processes := [")
	if start < 0 || end < start {
		return "", false
	}
	return policy[:start] + "containers := 5\n\n" + policy[end:], true
}
