package iampolicy

import (
	"slices"
	"strings"
)

// Request is one authorization AWS makes for a call: an action on a
// resource, with the request's condition keys (multi-valued, as aws:TagKeys).
type Request struct {
	Action   string
	Resource string
	Context  map[string][]string
}

// Allows reports whether d allows r as IAM's policy evaluation would for an
// identity with d as its only policy: an Allow statement whose action,
// resource and every condition match, and no matching Deny. It knows the
// parts of the policy language a deployer policy uses: action and resource
// wildcards (* and ?), and the condition operators StringEquals,
// StringLike, ArnEquals, ArnLike and their ForAllValues: forms. A statement
// with any other operator never matches, so it cannot allow by mistake.
func (d Document) Allows(r Request) bool {
	allowed := false
	for _, st := range d.Statement {
		if !st.matches(r) {
			continue
		}
		if st.Effect == "Deny" {
			return false
		}
		allowed = allowed || st.Effect == "Allow"
	}
	return allowed
}

func (st Statement) matches(r Request) bool {
	// Action names are case-insensitive; resource ARNs are not.
	if !slices.ContainsFunc(st.Action, func(a string) bool { return wildcard(strings.ToLower(a), strings.ToLower(r.Action)) }) {
		return false
	}
	if !slices.ContainsFunc(st.Resource, func(p string) bool { return wildcard(p, r.Resource) }) {
		return false
	}
	for op, keys := range st.Condition {
		for key, want := range keys {
			if !condition(op, want, r.Context[key]) {
				return false
			}
		}
	}
	return true
}

// condition evaluates one operator on a key's request values.
func condition(op string, want, got []string) bool {
	forAll := strings.HasPrefix(op, "ForAllValues:")
	op = strings.TrimPrefix(op, "ForAllValues:")
	var match func(pattern, value string) bool
	switch op {
	case "StringEquals", "ArnEquals":
		match = func(p, v string) bool { return p == v }
	case "StringLike", "ArnLike":
		match = wildcard
	default:
		return false
	}
	one := func(v string) bool { return slices.ContainsFunc(want, func(p string) bool { return match(p, v) }) }
	if forAll {
		// True for a request without the key, as IAM documents.
		return !slices.ContainsFunc(got, func(v string) bool { return !one(v) })
	}
	// A single-valued operator needs the key present: a value matching.
	return slices.ContainsFunc(got, one)
}

// wildcard matches s against pattern, where * is any run of characters and
// ? any one.
func wildcard(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
