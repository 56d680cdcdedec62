package image

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/empctl/empctl/pkg/testenv"
)

// The registry stands in for ECR's: user AWS, and a password as
// GetAuthorizationToken would give.
const testPassword = "123456789012-auth-token"

func awsAuth(pw string) authn.Authenticator {
	return authn.FromConfig(authn.AuthConfig{Username: "AWS", Password: pw})
}

// TestPublish pushes the server's image to a real registry, pulls it back by
// digest, and publishes it again: the tag is reused and nothing uploaded.
func TestPublish(t *testing.T) {
	reg := testenv.StartRegistry(t, "AWS", testPassword)
	img := build(t, BuildOptions{CacheDir: t.TempDir()})
	repo := reg.Host + "/empctl"
	ctx := context.Background()

	var last Progress
	pub, err := Publish(ctx, img, PublishOptions{Repository: repo, Auth: awsAuth(testPassword), Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	size, err := img.Size()
	if err != nil {
		t.Fatal(err)
	}
	if pub.Reused || pub.Differs() || pub.Built != img.Digest || pub.Tag != img.Version || pub.Ref != repo+"@"+img.Digest.String() || pub.Digest != img.Digest {
		t.Errorf("first publish: %+v; want tag %s, ref %s@%s, not reused", pub, img.Version, repo, img.Digest)
	}
	// Every blob once: layers and configs, not the manifests (which are not blobs).
	if pub.Uploaded < size*9/10 || pub.Uploaded > size {
		t.Errorf("first publish uploaded %d bytes; the image is %d bytes compressed", pub.Uploaded, size)
	}
	if last.Total == 0 || last.Complete != last.Total {
		t.Errorf("last progress %+v: want complete = total > 0", last)
	}

	pullBack(t, pub.Ref, img)
	tagged, err := remote.Head(mustRef(t, repo+":"+img.Version), remote.WithAuth(awsAuth(testPassword)))
	if err != nil || tagged.Digest != img.Digest {
		t.Errorf("tag %s: %v, %v; want %s", img.Version, tagged, err, img.Digest)
	}

	again, err := Publish(ctx, img, PublishOptions{Repository: repo, Auth: awsAuth(testPassword)})
	if err != nil || !again.Reused || again.Uploaded != 0 || again.Ref != pub.Ref || again.Differs() {
		t.Errorf("second publish of an unchanged build: %+v, %v; want the tag reused and 0 bytes uploaded", again, err)
	}

	// Another tag for the same image: the manifests are written, no blob.
	other, err := Publish(ctx, img, PublishOptions{Repository: repo, Tag: "other", Auth: awsAuth(testPassword)})
	if err != nil || other.Reused || other.Uploaded != 0 {
		t.Errorf("publish under a new tag: %+v, %v; want a push of no blob", other, err)
	}

	t.Run("wrong password", func(t *testing.T) {
		_, err := Publish(ctx, img, PublishOptions{Repository: repo, Auth: awsAuth("expired")})
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "run the command again") || !strings.Contains(err.Error(), "401") {
			t.Errorf("err = %v; want ErrUnauthorized saying 401 and to run the command again", err)
		}
		t.Logf("the message: %v", err)
		if strings.Contains(err.Error(), "expired") {
			t.Errorf("the error shows the password: %v", err)
		}
	})

	// The repository's tags are immutable: a tag that names another image
	// (the same version built to other bytes) is reused as it is, and that
	// image is what gets deployed; nothing is pushed.
	t.Run("tag exists with another digest", func(t *testing.T) {
		changed := *img
		changed.Index = mutate.Annotations(img.Index, map[string]string{"org.opencontainers.image.description": "another build"}).(v1.ImageIndex)
		if changed.Digest, err = changed.Index.Digest(); err != nil {
			t.Fatal(err)
		}
		got, err := Publish(ctx, &changed, PublishOptions{Repository: repo, Auth: awsAuth(testPassword)})
		if err != nil {
			t.Fatalf("publish of another image under an existing tag: %v; want the tag's image reused", err)
		}
		if !got.Reused || got.Uploaded != 0 || got.Digest != img.Digest || got.Ref != pub.Ref || got.Built != changed.Digest || !got.Differs() {
			t.Errorf("published %+v; want the registry's %s reused, nothing uploaded, and this build's %s reported as different", got, pub.Ref, changed.Digest)
		}
		if d, err := remote.Head(mustRef(t, repo+":"+img.Version), remote.WithAuth(awsAuth(testPassword))); err != nil || d.Digest != img.Digest {
			t.Errorf("the tag moved: %v, %v", d, err)
		}
		if _, err := remote.Head(mustRef(t, repo+"@"+changed.Digest.String()), remote.WithAuth(awsAuth(testPassword))); err == nil {
			t.Errorf("the local build %s was pushed", changed.Digest)
		}
	})
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// pullBack fetches ref by digest and compares it with what was built.
func pullBack(t *testing.T, ref string, img *Image) {
	t.Helper()
	idx, err := remote.Index(mustRef(t, ref), remote.WithAuth(awsAuth(testPassword)))
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	if d, err := idx.Digest(); err != nil || d != img.Digest {
		t.Fatalf("pulled %s: digest %s (%v)", ref, d, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 {
		t.Fatalf("pulled index has %d manifests, want 2", len(im.Manifests))
	}
	for _, d := range im.Manifests {
		pulled, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := pulled.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Architecture != d.Platform.Architecture || cf.Config.User != "65532:65532" {
			t.Errorf("pulled %s: arch %s user %s", d.Platform, cf.Architecture, cf.Config.User)
		}
		layers, err := pulled.Layers()
		if err != nil || len(layers) != 2 {
			t.Fatalf("pulled %s: %d layers (%v)", d.Platform, len(layers), err)
		}
		for _, l := range layers {
			rc, err := l.Compressed() // the registry verifies the digest as it is read
			if err != nil {
				t.Fatal(err)
			}
			_ = rc.Close()
		}
	}
}

// TestClassify: what registries answer to a write of an immutable tag, and to
// expired credentials, become the errors a user can act on.
func TestClassify(t *testing.T) {
	tag := name.MustParseReference("123456789012.dkr.ecr.eu-west-1.amazonaws.com/empctl:v1").(name.Tag)
	cases := []struct {
		err  *transport.Error
		want error
	}{
		{&transport.Error{StatusCode: http.StatusBadRequest, Errors: []transport.Diagnostic{{Code: transport.TagInvalidErrorCode,
			Message: "The image tag 'v1' already exists in the 'empctl' repository and cannot be overwritten because the repository is immutable."}}}, ErrTagExists},
		{&transport.Error{StatusCode: http.StatusBadRequest, Errors: []transport.Diagnostic{{Code: "MANIFEST_TAG_IMMUTABLE", Message: "tag is immutable"}}}, ErrTagExists},
		{&transport.Error{StatusCode: http.StatusUnauthorized, Errors: []transport.Diagnostic{{Code: transport.UnauthorizedErrorCode, Message: "authentication required"}}}, ErrUnauthorized},
		{&transport.Error{StatusCode: http.StatusForbidden, Errors: []transport.Diagnostic{{Code: transport.DeniedErrorCode, Message: "Your authorization token has expired. Reauthenticate and try again."}}}, ErrUnauthorized},
	}
	for _, c := range cases {
		if err := classify(c.err, tag); !errors.Is(err, c.want) {
			t.Errorf("%v: got %v, want %v", c.err, err, c.want)
		}
	}
	unknown := classify(&transport.Error{StatusCode: http.StatusNotFound, Errors: []transport.Diagnostic{{Code: transport.NameUnknownErrorCode, Message: "repository not found"}}}, tag)
	if !strings.Contains(unknown.Error(), "does not exist") || !strings.Contains(unknown.Error(), "empctl provision") {
		t.Errorf("unknown repository: %v", unknown)
	}
}

// forbidHead answers HTTP 403 without a body to the tag check, as ECR does
// to credentials without ecr:BatchGetImage (a HEAD response has no body).
type forbidHead struct{ next http.RoundTripper }

func (f forbidHead) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodHead && strings.Contains(req.URL.Path, "/manifests/") {
		return &http.Response{StatusCode: http.StatusForbidden, Status: "403 Forbidden", Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	}
	return f.next.RoundTrip(req)
}

// A 403 to the tag check names the read permission, not the push ones.
func TestPublishTagCheckForbidden(t *testing.T) {
	reg := testenv.StartRegistry(t, "AWS", testPassword)
	// The refusal comes before any push: a small random index will do.
	idx, err := random.Index(256, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	img := &Image{Index: idx, Digest: d, Version: "v1"}
	_, err = Publish(context.Background(), img, PublishOptions{Repository: reg.Host + "/empctl", Auth: awsAuth(testPassword),
		Transport: forbidHead{remote.DefaultTransport}})
	if !errors.Is(err, ErrReadDenied) || errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "ecr:BatchGetImage") || strings.Contains(err.Error(), "push to") {
		t.Errorf("err = %v; want ErrReadDenied naming ecr:BatchGetImage", err)
	}
}
