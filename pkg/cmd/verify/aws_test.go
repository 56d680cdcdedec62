package verify

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/ecsdeploy/ecsfake"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/operatorkey"
	"github.com/empctl/empctl/pkg/trafficmix/apitest"
	"github.com/empctl/empctl/server"
)

// awsFixture is an AWS environment whose ECS is the scripted fake (moto
// starts no deployment and has no StopTask worth the name), whose other
// services (ECR's token, the target group, S3, CloudWatch Logs) are moto's,
// whose images go to a real registry, and whose app endpoint is the real API
// server behind a stand-in for the ALB.
type awsFixture struct {
	fx  *awsenvtest.Fixture
	ecs *ecsfake.Fake
	td1 string
	// app is the load's --target.
	app string
}

func newAWSFixture(t *testing.T, fx *awsenvtest.Fixture) *awsFixture {
	f := &awsFixture{fx: fx, ecs: ecsfake.New(t, true)}
	t.Setenv("AWS_ENDPOINT_URL_ECS", f.ecs.URL) // the other services stay on moto
	f.td1 = f.ecs.AddTaskDefinition(1, fx.Outputs.ECRRepositoryURL+baseImage, "v1")
	return f.serving(t)
}

const baseImage = "@sha256:1111111111111111111111111111111111111111111111111111111111111111"

// newRecordedAWSFixture is newAWSFixture on the recorded environment's own
// ECS fake, whose requests rec.CheckPolicy judges. Once per rec.
func newRecordedAWSFixture(t *testing.T, rec *awsenvtest.Recorded) *awsFixture {
	f := &awsFixture{fx: rec.Fixture, ecs: rec.ECS, td1: rec.TaskDefinitionARN}
	return f.serving(t)
}

// serving sets the service running revision 1 and the app behind the ALB's stand-in.
func (f *awsFixture) serving(t *testing.T) *awsFixture {
	f.ecs.SetService(f.td1, 3)
	f.app = f.albStandIn(t, apitest.Server(t, server.Deps{}))
	return f
}

// env is the AWS environment with the fake's cluster, service and family.
func (f *awsFixture) env(t *testing.T) env.Environment {
	o := f.fx.Outputs
	o.ClusterName, o.ServiceName, o.TaskFamily = ecsfake.Cluster, ecsfake.Service, ecsfake.Family
	e, err := awsenv.New(localtest.RepoRoot(t), config.Environment{Name: awsenvtest.EnvName, Region: ecsfake.Region}, o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// albStandIn proxies to the API server and answers X-App-Version with the
// version the fake's service serves, as the ALB would route to its tasks: the
// new deployment's once its tasks run, the old one's before.
func (f *awsFixture) albStandIn(t *testing.T, api string) string {
	target, _ := url.Parse(api)
	var mu sync.Mutex
	labels := map[string]string{}
	label := func(td string) string {
		mu.Lock()
		defer mu.Unlock()
		if v, ok := labels[td]; ok {
			return v
		}
		out, err := f.ecs.Client().DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(td)})
		if err != nil {
			return "" // the run is ending
		}
		labels[td] = out.TaskDefinition.ContainerDefinitions[0].DockerLabels[ecsdeploy.VersionLabel]
		return labels[td]
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		var serving *types.Deployment
		for _, d := range f.ecs.Snapshot().Deployments {
			if d.RunningCount > 0 && (serving == nil || aws.ToString(d.Status) == "PRIMARY") {
				serving = &d
			}
		}
		if serving != nil {
			resp.Header.Set("X-App-Version", label(aws.ToString(serving.TaskDefinition)))
		}
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL
}

// verify-zero-downtime against an AWS environment: --target sends the load
// to the app (the ALB from inside the VPC, here a stand-in), the rollouts
// and the rollback go through ECS, and --kill stops one running task of the
// version being replaced with StopTask, found by the 2 s status poll.
func TestVerifyOnAWS(t *testing.T) {
	// Every request is recorded; the deployer policy must allow each of the
	// first run's.
	rec := awsenvtest.ProvisionRecorded(t, awsenvtest.RecordedOptions{BaseImage: baseImage, BaseVersion: "v1"})
	fx := rec.Fixture
	fast := func(o *Options) {
		o.Deploy = env.DeployOptions{PollInterval: 100 * time.Millisecond, Timeout: 5 * time.Minute}
	}

	t.Run("KillDuringTheFirstOfThreeRolloutsThenARollback", func(t *testing.T) {
		f := newRecordedAWSFixture(t, rec)
		// The first rollout goes on only once a task was stopped: however slow
		// the machine, the kill finds it in progress.
		f.ecs.Script(1, ecsfake.Launch(3), ecsfake.WaitForTaskStop(), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete())
		for n := 2; n <= 4; n++ { // two more rollouts, then the rollback
			f.ecs.Script(n, ecsfake.Launch(3), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete())
		}
		r := runCmd(t, f.env(t), fast, "--rate", "100", "--warmup", "1s", "--cooldown", "2s",
			"--rollouts", "3", "--rollback", "--kill", "--yes", "--target", f.app+"/")
		if r.err != nil {
			t.Fatalf("verify-zero-downtime on AWS: %v (exit %d)", r.err, cmdutil.ExitCode(r.err))
		}
		rep := r.rep
		if rep.Verdict != loadtest.VerdictPass || rep.Failed != 0 || rep.Endpoint != f.app {
			t.Fatalf("verdict %s, %d failed, endpoint %s (want %s): %v", rep.Verdict, rep.Failed, rep.Endpoint, f.app, rep.Reasons)
		}
		var kinds []string
		var kill loadtest.Action
		for _, a := range rep.Actions {
			kinds = append(kinds, a.Kind)
			if a.Kind == loadtest.ActionKill {
				kill = a
			}
		}
		if strings.Join(kinds, ",") != "rollout,kill,rollout,rollout,rollback" || kill.Error != "" {
			t.Fatalf("actions %v (kill %+v), want a kill during the first of 3 rollouts, then a rollback", kinds, kill)
		}

		// The kill stopped one task of the version being replaced, one that
		// was running and healthy, with empctl's reason; ECS replaced it.
		stopped := f.ecs.StoppedByUser()
		if len(stopped) != 1 || f.ecs.Calls("StopTask") != 1 {
			t.Fatalf("%d tasks stopped by StopTask (%d calls), want 1", len(stopped), f.ecs.Calls("StopTask"))
		}
		st := stopped[0]
		if id := aws.ToString(st.TaskArn); !strings.HasSuffix(id, "/"+kill.Target) || aws.ToString(st.TaskDefinitionArn) != f.td1 ||
			st.StartedAt == nil || st.HealthStatus != types.HealthStatusHealthy || !strings.Contains(aws.ToString(st.StoppedReason), "verify-zero-downtime --kill") {
			t.Fatalf("the kill of %s stopped %s of %s (started %v, health %s, reason %q): want a running, healthy task of %s",
				kill.Target, id, aws.ToString(st.TaskDefinitionArn), st.StartedAt, st.HealthStatus, aws.ToString(st.StoppedReason), f.td1)
		}
		if !strings.Contains(r.errOut, "Killing "+kill.Target) || !strings.Contains(r.errOut, "has started 1 tasks") {
			t.Fatalf("the progress does not show the kill and the replacement:\n%s", r.errOut)
		}

		// The report's markers: every action in the text, on the chart, and
		// the writes audited, the test users locked.
		page, err := os.ReadFile(filepath.Join(r.reportDir, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		chart := html.UnescapeString(string(page)) // html/template writes + as &#43;
		for _, want := range []string{"kill " + kill.Target, "rollback → " + rep.ExpectedVersion, "rollout → " + rep.Actions[0].Rollout.Version} {
			if !strings.Contains(chart, want) {
				t.Errorf("report.html lacks the marker %q", want)
			}
		}
		if !containsAll(r.out, "kill at ", kill.Target+" killed without warning", "rollback at ", "Writes    ", "test users locked") {
			t.Errorf("the text report lacks an action or the writes:\n%s", r.out)
		}
		if w := rep.Writes; w == nil || w.Lost != 0 || w.Duplicated != 0 || w.Verified != w.Acknowledged || w.Acknowledged == 0 || w.Locked != w.Accounts {
			t.Fatalf("writes %+v: want every acknowledged write verified and every test user locked", w)
		}
		for _, p := range rep.Writes.SignUps {
			if p.Count == 0 {
				t.Errorf("no sign-up in the %s: %v", p.Phase, rep.Writes.SignUps)
			}
		}
		if rep.ExpectedVersion != rep.Actions[3].Rollout.PreviousVersion || rep.FinalVersions[rep.ExpectedVersion] == 0 {
			t.Fatalf("after the rollback %s is expected, %v answered at the end", rep.ExpectedVersion, rep.FinalVersions)
		}
		// The run read the operator key (the deployer may: CheckPolicy) and
		// never showed it.
		key, err := operatorkey.Read(t.Context(), fx.Config, rec.Outputs.OperatorKeySecretARN)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.errOut, "no operator key") || strings.Contains(r.out+r.errOut+string(page), key) {
			t.Errorf("the operator key was not read, or was shown:\n%s", r.errOut)
		}
		read := false
		for _, c := range rec.Calls(t) {
			read = read || (c.Action == "secretsmanager:GetSecretValue" && c.Resource == rec.Outputs.OperatorKeySecretARN)
		}
		if !read {
			t.Error("verify did not read the operator key's secret")
		}
		rec.CheckPolicy(t)
	})

	t.Run("ARolloutTooQuickToKillInLeavesTheKillToTheNext", func(t *testing.T) {
		f := newAWSFixture(t, fx)
		f.ecs.Script(1, ecsfake.Settle()) // done at the first look: nothing to kill in
		f.ecs.Script(2, ecsfake.Launch(3), ecsfake.WaitForTaskStop(), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete())
		r := runCmd(t, f.env(t), fast, "--rate", "50", "--warmup", "1s", "--cooldown", "1s", "--rollouts", "2", "--kill", "--yes", "--target", f.app)
		if r.err != nil {
			t.Fatalf("verify-zero-downtime: %v (exit %d)", r.err, cmdutil.ExitCode(r.err))
		}
		var kinds []string
		for _, a := range r.rep.Actions {
			kinds = append(kinds, a.Kind)
		}
		if strings.Join(kinds, ",") != "rollout,rollout,kill" || f.ecs.Calls("StopTask") != 1 {
			t.Fatalf("actions %v, %d StopTask calls: want the kill in the second rollout", kinds, f.ecs.Calls("StopTask"))
		}
		if !strings.Contains(r.errOut, "the kill is tried again in rollout 2") {
			t.Fatalf("the progress does not say the kill moved to rollout 2:\n%s", r.errOut)
		}
	})

	t.Run("ARolloutTooQuickToKillInFailsTheVerdict", func(t *testing.T) {
		f := newAWSFixture(t, fx)
		f.ecs.Script(1, ecsfake.Settle()) // done at the first look: nothing to kill in
		r := runCmd(t, f.env(t), fast, "--rate", "50", "--warmup", "1s", "--cooldown", "1s", "--kill", "--yes", "--target", f.app)
		if cmdutil.ExitCode(r.err) != cmdutil.ExitVerdict {
			t.Fatalf("exit code %d (%v), want %d", cmdutil.ExitCode(r.err), r.err, cmdutil.ExitVerdict)
		}
		if f.ecs.Calls("StopTask") != 0 {
			t.Fatal("a task was stopped, yet the rollout was over at the first look")
		}
		if !containsAll(r.out, "kill at ", "the rollout finished before a serving target could be killed", "more --rollouts") {
			t.Fatalf("the report does not say why the kill failed and what to do:\n%s", r.out)
		}
	})
}
