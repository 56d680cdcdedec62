// Package iamcalls translates the requests a recording proxy
// (testenv.AWSProxy) saw into the authorizations AWS makes for them (IAM
// action, resource ARN, condition keys), so that a test can judge every call
// the commands made against the generated deployer policy.
//
// The mapping, from the Service Authorization Reference (SAR, the pages cited
// in pkg/iampolicy/rules.go) and each API's reference:
//
//	protocol                       request                                   authorization
//	AWS JSON 1.1 (ECS, ECR, Logs,  X-Amz-Target: <prefix>.<Op>               <service>:<Op> on the resource named in the body
//	Secrets Manager)
//	AWS query (ELBv2)              Action=<Op> in the form body              elasticloadbalancing:<Op>
//	Smithy RPC v2 (CloudWatch)     /service/<name>/operation/<Op>            cloudwatch:<Op> on "*"
//	S3 REST (path style)           GET|HEAD /bucket (list-type, versions,..) s3:ListBucket (s3:ListBucketVersions, s3:ListBucketMultipartUploads)
//	                               GET|HEAD /bucket/key                      s3:GetObject (?uploadId: s3:ListMultipartUploadParts)
//	                               PUT /bucket/key, POST ?uploads|?uploadId  s3:PutObject; with If-Match also s3:GetObject (S3 user guide, conditional writes)
//	                               PUT with x-amz-copy-source                s3:PutObject, and s3:GetObject on the source
//	                               DELETE /bucket/key                        s3:DeleteObject (?uploadId: s3:AbortMultipartUpload)
//	                               POST /bucket?delete                       s3:DeleteObject on every key in the body
//	CloudFront REST                GET /2020-05-31/distribution/<id>         cloudfront:GetDistribution (…/config: GetDistributionConfig)
//	                               POST …/distribution/<id>/invalidation     cloudfront:CreateInvalidation
//	                               GET …/invalidation[/<id>]                 cloudfront:ListInvalidations, GetInvalidation
//	registry /v2/ (ECR's, as in    HEAD /v2/<repo>/blobs/<digest>            ecr:BatchCheckLayerAvailability
//	"Amazon ECR required IAM       GET /v2/<repo>/blobs/<digest>             ecr:GetDownloadUrlForLayer
//	permissions for pushing and    POST /v2/<repo>/blobs/uploads/            ecr:InitiateLayerUpload
//	pulling images")               PATCH …/blobs/uploads/<id>                ecr:UploadLayerPart
//	                               PUT …/blobs/uploads/<id>?digest=          ecr:CompleteLayerUpload (and UploadLayerPart with a body)
//	                               GET|HEAD /v2/<repo>/manifests/<ref>       ecr:BatchGetImage
//	                               PUT /v2/<repo>/manifests/<ref>            ecr:PutImage
//	                               GET /v2/<repo>/tags/list                  ecr:ListImages
//	                               GET /v2/                                  none (the login ecr:GetAuthorizationToken allowed)
//
// Some calls are authorized more than once: RegisterTaskDefinition also as
// iam:PassRole on the roles it names (iam:PassedToService
// ecs-tasks.amazonaws.com) and, when it carries tags, as ecs:TagResource on
// the new revision with ecs:CreateAction (ECS tag-on-create).
package iamcalls

import (
	"fmt"
	"strings"

	"github.com/empctl/empctl/pkg/iampolicy"
	"github.com/empctl/empctl/pkg/testenv"
)

// Call is one authorization a request needs.
type Call struct {
	// What is the request as recorded: "ecs UpdateService", "PUT /bucket/key".
	What string
	iampolicy.Request
}

func (c Call) String() string {
	s := fmt.Sprintf("%s: %s on %s", c.What, c.Action, c.Resource)
	if len(c.Context) > 0 {
		s += fmt.Sprintf(" with %v", c.Context)
	}
	return s
}

// Translator knows what AWS takes from the credentials: the partition and
// account the calls are made in.
type Translator struct {
	Partition, Account string
}

// AWS translates a request an AWS SDK client sent (to moto or the ECS fake).
func (t Translator) AWS(r testenv.ProxiedRequest) ([]Call, error) {
	region, service, err := credentialScope(r)
	if err != nil {
		return nil, err
	}
	a := arns{Translator: t, region: region}
	if p, ok := iamPrefix[service]; ok {
		service = p
	}
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return a.jsonProtocol(service, r)
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		return a.queryProtocol(service, r)
	case strings.HasPrefix(r.Path, "/service/") && strings.Contains(r.Path, "/operation/"):
		// Smithy RPC v2 CBOR (CloudWatch's protocol in the current SDK):
		// the operation is the path's last part; resources are not read
		// from CBOR here, so the call is judged on "*".
		op := r.Path[strings.LastIndex(r.Path, "/")+1:]
		return []Call{{What: service + " " + op, Request: iampolicy.Request{Action: service + ":" + op, Resource: "*"}}}, nil
	case service == "s3":
		return a.s3(r)
	case service == "cloudfront":
		return a.cloudFront(r)
	}
	return nil, fmt.Errorf("%s %s to %s: no translation for this service's protocol", r.Method, r.Path, service)
}

// iamPrefix is the IAM service prefix of a signing name, where they differ.
var iamPrefix = map[string]string{"monitoring": "cloudwatch"}

// credentialScope reads region and service from a SigV4 Authorization
// header: Credential=<key>/<date>/<region>/<service>/aws4_request.
func credentialScope(r testenv.ProxiedRequest) (region, service string, err error) {
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if ok {
		cred, _, _ = strings.Cut(cred, ",")
		if parts := strings.Split(cred, "/"); len(parts) == 5 {
			return parts[2], parts[3], nil
		}
	}
	return "", "", fmt.Errorf("%s %s: not signed with SigV4 (Authorization %q)", r.Method, r.Path, auth)
}

// arns builds the ARNs of one region's resources.
type arns struct {
	Translator
	region string
}

func (a arns) arn(service, resource string) string {
	return "arn:" + a.Partition + ":" + service + ":" + a.region + ":" + a.Account + ":" + resource
}

// lastSegment is what follows the last "/" of a name or ARN, so that
// "empctl-prod" and "arn:aws:ecs:…:cluster/empctl-prod" give the same name.
func lastSegment(s string) string {
	return s[strings.LastIndex(s, "/")+1:]
}

// needsNoPermission are actions IAM does not authorize: "No permissions
// are required to perform this operation" (STS API reference,
// GetCallerIdentity), and an explicit deny does not stop it either.
var needsNoPermission = map[string]bool{"sts:GetCallerIdentity": true}

// Disallowed returns the calls doc does not allow.
func Disallowed(doc iampolicy.Document, calls []Call) []Call {
	var out []Call
	for _, c := range calls {
		if !needsNoPermission[c.Action] && !doc.Allows(c.Request) {
			out = append(out, c)
		}
	}
	return out
}
