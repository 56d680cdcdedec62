package iamcalls

import (
	"fmt"
	"strings"

	"github.com/empctl/empctl/pkg/iampolicy"
	"github.com/empctl/empctl/pkg/testenv"
)

// Registry translates a request to the registry API (/v2/) into the ECR
// actions AWS documents for pushing and pulling, on the repository of
// region the path names.
func (t Translator) Registry(r testenv.ProxiedRequest, region string) ([]Call, error) {
	what := "registry " + r.Method + " " + r.URL()
	path := strings.TrimPrefix(r.Path, "/v2/")
	if path == "" || path == r.Path {
		return nil, nil // the API version check of a login: no action of its own
	}
	var repo, kind, rest string
	for _, k := range []string{"/blobs/", "/manifests/", "/tags/"} {
		if i := strings.LastIndex(path, k); i > 0 {
			repo, kind, rest = path[:i], strings.Trim(k, "/"), path[i+len(k):]
			break
		}
	}
	if repo == "" {
		return nil, fmt.Errorf("%s: not a repository's blobs, manifests or tags", what)
	}
	var actions []string
	switch {
	case kind == "blobs" && strings.HasPrefix(rest, "uploads"):
		switch r.Method {
		case "POST":
			actions = []string{"ecr:InitiateLayerUpload"}
		case "PATCH":
			actions = []string{"ecr:UploadLayerPart"}
		case "PUT":
			actions = []string{"ecr:CompleteLayerUpload"}
			if r.Header.Get("Content-Length") != "" && r.Header.Get("Content-Length") != "0" {
				actions = append(actions, "ecr:UploadLayerPart")
			}
		}
	case kind == "blobs" && r.Method == "HEAD":
		actions = []string{"ecr:BatchCheckLayerAvailability"}
	case kind == "blobs" && r.Method == "GET":
		actions = []string{"ecr:GetDownloadUrlForLayer"}
	case kind == "manifests" && (r.Method == "GET" || r.Method == "HEAD"):
		actions = []string{"ecr:BatchGetImage"}
	case kind == "manifests" && r.Method == "PUT":
		actions = []string{"ecr:PutImage"}
	case kind == "manifests" && r.Method == "DELETE":
		actions = []string{"ecr:BatchDeleteImage"}
	case kind == "tags" && r.Method == "GET":
		actions = []string{"ecr:ListImages"}
	}
	if actions == nil {
		return nil, fmt.Errorf("%s: no ECR action for this request", what)
	}
	repoARN := "arn:" + t.Partition + ":ecr:" + region + ":" + t.Account + ":repository/" + repo
	var out []Call
	for _, a := range actions {
		out = append(out, Call{What: what, Request: iampolicy.Request{Action: a, Resource: repoARN}})
	}
	return out, nil
}
