package iampolicy

import "testing"

func TestWildcard(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "anything", true}, {"a*c", "abbbc", true}, {"a*c", "abbbd", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", true}, {"arn:aws:s3:::b/*", "arn:aws:s3:::bb/x", false},
		{"ecs:describe*", "ecs:describeservices", true}, {"", "", true}, {"**", "", true},
	} {
		if got := wildcard(c.pattern, c.s); got != c.want {
			t.Errorf("wildcard(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}

func TestAllowsActionCaseAndDenyAndUnknownOperators(t *testing.T) {
	doc := Document{Statement: []Statement{
		{Effect: "Allow", Action: []string{"S3:Get*"}, Resource: []string{"arn:aws:s3:::b/*"}},
		{Effect: "Deny", Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/secret"}},
		{Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{"*"}, Condition: map[string]map[string][]string{"NumericLessThan": {"k": {"1"}}}},
	}}
	for _, c := range []struct {
		r    Request
		want bool
	}{
		{Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/a"}, true},
		{Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/secret"}, false},
		{Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/a", Context: map[string][]string{"k": {"0"}}}, false},
		{Request{Action: "s3:ListBucket", Resource: "arn:aws:s3:::b"}, false},
	} {
		if got := doc.Allows(c.r); got != c.want {
			t.Errorf("Allows(%+v) = %v, want %v", c.r, got, c.want)
		}
	}
}
