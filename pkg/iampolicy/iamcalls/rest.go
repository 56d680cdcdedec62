package iamcalls

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"

	"github.com/empctl/empctl/pkg/iampolicy"
	"github.com/empctl/empctl/pkg/testenv"
)

// queryProtocol: the operation is the form body's Action.
func (a arns) queryProtocol(service string, r testenv.ProxiedRequest) ([]Call, error) {
	form, err := url.ParseQuery(string(r.Body))
	if err != nil || form.Get("Action") == "" {
		form = r.Query
	}
	op := form.Get("Action")
	if op == "" {
		return nil, fmt.Errorf("%s %s %s: no Action in the query or body", service, r.Method, r.Path)
	}
	res := "*"
	if tg := form.Get("TargetGroupArn"); tg != "" {
		res = tg
	}
	return []Call{{What: service + " " + op, Request: iampolicy.Request{Action: service + ":" + op, Resource: res}}}, nil
}

// s3 maps a path-style S3 request.
func (a arns) s3(r testenv.ProxiedRequest) ([]Call, error) {
	what := r.Method + " " + r.URL()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.Path, "/"), "/")
	if bucket == "" {
		return nil, fmt.Errorf("%s: no bucket in the path (the translation knows path-style requests)", what)
	}
	bucketARN := "arn:" + a.Partition + ":s3:::" + bucket
	object := func(k string) string { return bucketARN + "/" + k }
	q := func(name string) bool { return r.Query.Has(name) }
	calls := func(pairs ...string) []Call {
		var out []Call
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, Call{What: what, Request: iampolicy.Request{Action: pairs[i], Resource: pairs[i+1]}})
		}
		return out
	}
	if key == "" {
		switch {
		case r.Method == "POST" && q("delete"):
			var del struct {
				Objects []struct{ Key string } `xml:"Object"`
			}
			if err := xml.Unmarshal(r.Body, &del); err != nil {
				return nil, fmt.Errorf("%s: DeleteObjects body: %v", what, err)
			}
			var out []Call
			for _, o := range del.Objects {
				out = append(out, calls("s3:DeleteObject", object(o.Key))...)
			}
			return out, nil
		case r.Method == "GET" && q("versions"):
			return calls("s3:ListBucketVersions", bucketARN), nil
		case r.Method == "GET" && q("uploads"):
			return calls("s3:ListBucketMultipartUploads", bucketARN), nil
		case r.Method == "GET" && q("location"):
			return calls("s3:GetBucketLocation", bucketARN), nil
		case r.Method == "GET" || r.Method == "HEAD": // ListObjects(V2), HeadBucket
			return calls("s3:ListBucket", bucketARN), nil
		}
		return nil, fmt.Errorf("%s: no translation for this bucket request", what)
	}
	var out []Call
	switch {
	case (r.Method == "GET" || r.Method == "HEAD") && q("uploadId"):
		out = calls("s3:ListMultipartUploadParts", object(key))
	case r.Method == "GET" || r.Method == "HEAD":
		out = calls("s3:GetObject", object(key))
	case r.Method == "DELETE" && q("uploadId"):
		out = calls("s3:AbortMultipartUpload", object(key))
	case r.Method == "DELETE":
		out = calls("s3:DeleteObject", object(key))
	case r.Method == "PUT" || (r.Method == "POST" && (q("uploads") || q("uploadId"))):
		out = calls("s3:PutObject", object(key))
		if src := r.Header.Get("X-Amz-Copy-Source"); src != "" {
			src, _ = url.PathUnescape(strings.TrimPrefix(src, "/"))
			out = append(out, calls("s3:GetObject", "arn:"+a.Partition+":s3:::"+src)...)
		}
		if r.Header.Get("If-Match") != "" {
			out = append(out, calls("s3:GetObject", object(key))...)
		}
	default:
		return nil, fmt.Errorf("%s: no translation for this object request", what)
	}
	return out, nil
}

// cloudFront maps a CloudFront REST request (/<version>/distribution/...).
func (a arns) cloudFront(r testenv.ProxiedRequest) ([]Call, error) {
	what := r.Method + " " + r.URL()
	parts := strings.Split(strings.Trim(r.Path, "/"), "/")
	if len(parts) < 3 || parts[1] != "distribution" {
		return nil, fmt.Errorf("%s: no translation for this CloudFront request", what)
	}
	dist := "arn:" + a.Partition + ":cloudfront::" + a.Account + ":distribution/" + parts[2]
	rest := strings.Join(parts[3:], "/")
	var action string
	switch {
	case rest == "" && r.Method == "GET":
		action = "GetDistribution"
	case rest == "config" && r.Method == "GET":
		action = "GetDistributionConfig"
	case rest == "invalidation" && r.Method == "POST":
		action = "CreateInvalidation"
	case rest == "invalidation" && r.Method == "GET":
		action = "ListInvalidations"
	case strings.HasPrefix(rest, "invalidation/") && r.Method == "GET":
		action = "GetInvalidation"
	default:
		return nil, fmt.Errorf("%s: no translation for this CloudFront request", what)
	}
	return []Call{{What: what, Request: iampolicy.Request{Action: "cloudfront:" + action, Resource: dist}}}, nil
}
