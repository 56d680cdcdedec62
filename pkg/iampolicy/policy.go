// Package iampolicy generates the least-privilege IAM policy document for the
// identity that deploys and watches one environment (deploy backend, deploy
// frontend, rollback, status, verify-zero-downtime), every resource scoped
// to the environment's Terraform outputs, and evaluates calls against such a
// document. It is pure: no AWS calls, so Terraform or docs can use the same
// document as `empctl iam-policy`.
package iampolicy

import "slices"

// Version is the IAM policy language version.
const Version = "2012-10-17"

// Document is an IAM identity-based policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one Allow statement. Condition maps an operator
// (StringEquals, ArnLike, ForAllValues:StringEquals, ...) to keys and values.
type Statement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// Generate returns the deployer policy for the environment s describes: one
// statement per kind of resource, in the order of the rules.
func Generate(s Scope) Document {
	doc := Document{Version: Version}
	index := map[string]int{}
	for _, r := range rules {
		if r.on.only != nil && !r.on.only(s) {
			continue
		}
		i, ok := index[r.on.sid]
		if !ok {
			st := Statement{Sid: r.on.sid, Effect: "Allow", Resource: r.on.arns(s)}
			if r.on.condition != nil {
				st.Condition = r.on.condition(s)
			}
			doc.Statement = append(doc.Statement, st)
			i = len(doc.Statement) - 1
			index[r.on.sid] = i
		}
		if !slices.Contains(doc.Statement[i].Action, r.action) {
			doc.Statement[i].Action = append(doc.Statement[i].Action, r.action)
		}
	}
	return doc
}
