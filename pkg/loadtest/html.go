package loadtest

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/empctl/empctl/pkg/iostreams"
)

// Save writes report.json and report.html into dir.
func Save(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "report.html"))
	if err != nil {
		return err
	}
	if err := writeHTML(f, rep); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

var palette = []string{"#4e79a7", "#59a14f", "#f28e2b", "#76b7b2", "#edc948", "#b07aa1", "#9c755f", "#bab0ac"}

const failColor = "#e15759"

// chart geometry
const (
	chartW, chartH         = 960, 320
	padL, padR, padT, padB = 50, 60, 20, 40
)

type bar struct {
	X, Y, W, H float64
	Color, Tip string
}

type chartData struct {
	Bars             []bar
	P50Path, P99Path string
	// WeightPath is the production weight on the new version, full height
	// being 100 %.
	WeightPath       string
	Marks            []markLine
	YTicks, Y2Ticks  []tick
	XTicks           []tick
	W, H, PadL, PadT float64
	PlotW, PlotH     float64
	Legend           []legend
}

type markLine struct {
	X, Y  float64
	Label string
	Color string
}

type tick struct {
	Pos   float64
	Label string
}

type legend struct{ Color, Label string }

func buildChart(rep *Report) chartData {
	c := chartData{W: chartW, H: chartH, PadL: padL, PadT: padT, PlotW: chartW - padL - padR, PlotH: chartH - padT - padB}
	if len(rep.Timeline) == 0 {
		return c
	}
	n := rep.Timeline[len(rep.Timeline)-1].Second + 1
	maxReq, maxP99 := 1, 1.0
	versions := map[string]bool{}
	perSecond := map[int]int{} // a second a phase boundary crosses has two entries: one bar
	for _, s := range rep.Timeline {
		perSecond[s.Second] += s.Requests
		maxReq = max(maxReq, perSecond[s.Second])
		maxP99 = max(maxP99, s.P99)
		for v := range s.Versions {
			versions[v] = true
		}
	}
	var names []string
	for v := range versions {
		names = append(names, v)
	}
	sort.Strings(names)
	color := map[string]string{}
	for i, v := range names {
		color[v] = palette[i%len(palette)]
		c.Legend = append(c.Legend, legend{color[v], v})
	}
	c.Legend = append(c.Legend, legend{"#cccccc", "no version header (webapp)"}, legend{failColor, "failed"}, legend{"#222222", "p99 latency"}, legend{"#888888", "p50 latency"})
	bw := c.PlotW / float64(n)
	y := func(v int) float64 { return c.PlotH * float64(v) / float64(maxReq) }
	var p50, p99 []string
	stacked := map[int]int{}
	for _, s := range rep.Timeline {
		x := float64(s.Second) * bw
		stack := func(count int, col, tip string) {
			if count == 0 {
				return
			}
			h := y(count)
			c.Bars = append(c.Bars, bar{X: x + 1, Y: c.PlotH - y(stacked[s.Second]) - h, W: max(bw-2, 1), H: h, Color: col, Tip: tip})
			stacked[s.Second] += count
		}
		other := s.Requests - s.Failed
		for _, v := range names {
			stack(s.Versions[v], color[v], fmt.Sprintf("%ds: %s %d", s.Second, v, s.Versions[v]))
			other -= s.Versions[v]
		}
		stack(other, "#cccccc", fmt.Sprintf("%ds: %d without version header", s.Second, other))
		stack(s.Failed, failColor, fmt.Sprintf("%ds: %d failed", s.Second, s.Failed))
		cmd := "L"
		if len(p99) == 0 {
			cmd = "M"
		}
		p50 = append(p50, fmt.Sprintf("%s%.1f,%.1f", cmd, x+bw/2, c.PlotH-c.PlotH*s.P50/maxP99))
		p99 = append(p99, fmt.Sprintf("%s%.1f,%.1f", cmd, x+bw/2, c.PlotH-c.PlotH*s.P99/maxP99))
	}
	c.P50Path, c.P99Path = strings.Join(p50, " "), strings.Join(p99, " ")
	if c.WeightPath = weightPath(rep, bw, c.PlotH); c.WeightPath != "" {
		c.Legend = append(c.Legend, legend{weightColor, "production weight on the new version (full height: 100 %)"})
	}
	c.Marks = actionMarks(rep, bw)
	for i := 0; i <= 4; i++ {
		c.YTicks = append(c.YTicks, tick{Pos: c.PlotH - c.PlotH*float64(i)/4, Label: fmt.Sprintf("%d", maxReq*i/4)})
		c.Y2Ticks = append(c.Y2Ticks, tick{Pos: c.PlotH - c.PlotH*float64(i)/4, Label: fmt.Sprintf("%.0f ms", maxP99*float64(i)/4)})
	}
	step := max(1, n/12)
	for s := 0; s < n; s += step {
		c.XTicks = append(c.XTicks, tick{Pos: float64(s)*bw + bw/2, Label: fmt.Sprintf("%ds", s)})
	}
	return c
}

const weightColor = "#d37295"

// weightPath draws the production weight as steps: each point holds until
// the next, the last until the run's end.
func weightPath(rep *Report, secondWidth, plotH float64) string {
	if len(rep.Weights) == 0 {
		return ""
	}
	x := func(t time.Time) float64 { return max(t.Sub(rep.Started).Seconds(), 0) * secondWidth }
	y := func(w float64) float64 { return plotH - plotH*w/100 }
	parts := []string{fmt.Sprintf("M%.1f,%.1f", x(rep.Weights[0].Time), y(rep.Weights[0].Weight))}
	for _, p := range rep.Weights[1:] {
		parts = append(parts, fmt.Sprintf("H%.1f V%.1f", x(p.Time), y(p.Weight)))
	}
	parts = append(parts, fmt.Sprintf("H%.1f", x(rep.Ended)))
	return strings.Join(parts, " ")
}

// actionMarks puts a labelled line where each rollout, rollback and kill
// began (and a fainter one where a rollout ended); labels are staggered so
// that close ones stay readable.
func actionMarks(rep *Report, secondWidth float64) []markLine {
	var out []markLine
	x := func(t time.Time) float64 { return t.Sub(rep.Started).Seconds() * secondWidth }
	for i, a := range rep.Actions {
		y := 12 + float64(i%4)*13
		switch a.Kind {
		case ActionKill:
			out = append(out, markLine{X: x(a.Started), Y: y, Label: "kill " + a.Target, Color: failColor})
		default:
			label := a.Kind
			if a.Rollout != nil {
				label += " → " + a.Rollout.Version
			}
			out = append(out, markLine{X: x(a.Started), Y: y, Label: label, Color: "#555555"},
				markLine{X: x(a.Finished), Y: y, Label: "", Color: "#aaaaaa"})
		}
	}
	return out
}

// writeHTML writes a self-contained HTML report: no external scripts or styles.
func writeHTML(w io.Writer, rep *Report) error {
	data := struct {
		R     *Report
		Chart chartData
		Text  string
	}{R: rep, Chart: buildChart(rep)}
	var sb strings.Builder
	WriteText(&sb, iostreams.NewColorScheme(false), rep)
	data.Text = sb.String()
	return htmlTmpl.Execute(w, data)
}

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
	"dur":   func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() },
	"add":   func(a, b float64) float64 { return a + b },
	"sub":   func(a, b time.Time) time.Duration { return a.Sub(b) },
	"since": func(start, t time.Time) string { return t.Sub(start).Round(100 * time.Millisecond).String() },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Zero-downtime verification: {{upper .R.Verdict}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
.pass{color:#2e7d32}.fail{color:#c62828}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 10px;text-align:right}th{background:#f5f5f5}
td:first-child,th:first-child{text-align:left}
pre{background:#f7f7f7;padding:1em;overflow:auto}
.legend span{display:inline-block;margin-right:1.2em}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
</style></head><body>
<h1>Zero-downtime verification: <span class="{{.R.Verdict}}">{{upper .R.Verdict}}</span></h1>
{{range .R.Reasons}}<p class="fail">✗ {{.}}</p>{{end}}
<p>{{.R.Env}} at <code>{{.R.Endpoint}}</code>, {{.R.Rate}} requests/s, from {{.R.Started.Format "2006-01-02 15:04:05 MST"}}.
{{with .R.Rollout}}Rollout {{.PreviousVersion}} → <b>{{.Version}}</b>: {{.Outcome}} in {{dur .Duration}}.{{end}}</p>
<table><tr><th>Requests</th><th>Succeeded</th><th>Failed</th></tr>
<tr><td>{{.R.Requests}}</td><td>{{.R.Succeeded}}</td><td class="{{if .R.Failed}}fail{{else}}pass{{end}}">{{.R.Failed}}</td></tr></table>
{{with .R.Writes}}<h2>Writes</h2>
<p>Every write is marked <code>{{.Marker}}</code>. {{.Locked}} of the run's {{.Accounts}} test users were locked afterwards (password replaced by a discarded random one, sessions revoked).</p>
<table><tr><th>Acknowledged</th><th>Verified</th><th>Lost</th><th>Duplicated</th></tr>
<tr><td>{{.Acknowledged}}</td><td>{{.Verified}}</td><td class="{{if .Lost}}fail{{else}}pass{{end}}">{{.Lost}}</td><td class="{{if .Duplicated}}fail{{else}}pass{{end}}">{{.Duplicated}}</td></tr></table>
{{range .Problems}}<p class="fail">✗ {{.}}</p>{{end}}{{if .Error}}<p class="fail">✗ the audit did not finish: {{.Error}}</p>{{end}}{{end}}
{{if .R.Actions}}<h2>Actions</h2><table><tr><th>Action</th><th>At</th><th>Took</th><th>Outcome</th></tr>
{{range .R.Actions}}<tr><td>{{.Kind}}{{with .Rollout}} {{.PreviousVersion}} → {{.Version}}{{end}}{{with .Target}} {{.}}{{end}}</td><td>{{since $.R.Started .Started}}</td><td>{{dur (sub .Finished .Started)}}</td><td>{{if .Error}}{{.Error}}{{else if .Rollout}}{{.Rollout.Outcome}}{{else}}done{{end}}</td></tr>{{end}}</table>{{end}}
{{if .R.Failures}}<table><tr><th>Failure</th><th>Count</th></tr>{{range $k, $v := .R.Failures}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>{{end}}</table>{{end}}
<h2>Timeline</h2>
<div class="legend">{{range .Chart.Legend}}<span><i style="background:{{.Color}}"></i>{{.Label}}</span>{{end}}</div>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Chart.W}}" height="{{.Chart.H}}" viewBox="0 0 {{.Chart.W}} {{.Chart.H}}" role="img" aria-label="requests per second by version, failures and p99 latency">
<g transform="translate({{.Chart.PadL}},{{.Chart.PadT}})" font-size="11">
<rect width="{{.Chart.PlotW}}" height="{{.Chart.PlotH}}" fill="#fafafa" stroke="#ddd"/>
{{range .Chart.YTicks}}<line x1="0" x2="{{$.Chart.PlotW}}" y1="{{.Pos}}" y2="{{.Pos}}" stroke="#eee"/><text x="-6" y="{{.Pos}}" text-anchor="end" dy="4">{{.Label}}</text>{{end}}
{{range .Chart.Y2Ticks}}<text x="{{add $.Chart.PlotW 6}}" y="{{.Pos}}" dy="4">{{.Label}}</text>{{end}}
{{range .Chart.XTicks}}<text x="{{.Pos}}" y="{{add $.Chart.PlotH 16}}" text-anchor="middle">{{.Label}}</text>{{end}}
{{range .Chart.Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}"><title>{{.Tip}}</title></rect>{{end}}
{{range .Chart.Marks}}<line x1="{{.X}}" x2="{{.X}}" y1="0" y2="{{$.Chart.PlotH}}" stroke="{{.Color}}" stroke-dasharray="4 3"/>{{if .Label}}<text x="{{add .X 4}}" y="{{.Y}}" fill="{{.Color}}">{{.Label}}</text>{{end}}{{end}}
<path d="{{.Chart.P99Path}}" fill="none" stroke="#222" stroke-width="1.5"/>
<path d="{{.Chart.P50Path}}" fill="none" stroke="#888" stroke-width="1.5"/>
{{if .Chart.WeightPath}}<path d="{{.Chart.WeightPath}}" fill="none" stroke="#d37295" stroke-width="2"><title>production weight on the new version</title></path>{{end}}
<text x="-40" y="{{add .Chart.PlotH 32}}">requests/s</text><text x="{{.Chart.PlotW}}" y="{{add .Chart.PlotH 32}}" text-anchor="end">p50 and p99 latency (right axis)</text>
</g></svg>
<h2>Latency</h2>
<table><tr><th>Phase</th><th>Requests</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr>
{{with index .R.Latency "before"}}<tr><td>before rollout</td><td>{{.Requests}}</td><td>{{.P50}}</td><td>{{.P95}}</td><td>{{.P99}}</td><td>{{.Max}}</td></tr>{{end}}
{{with index .R.Latency "during"}}<tr><td>during rollout</td><td>{{.Requests}}</td><td>{{.P50}}</td><td>{{.P95}}</td><td>{{.P99}}</td><td>{{.Max}}</td></tr>{{end}}
{{with index .R.Latency "after"}}<tr><td>after rollout</td><td>{{.Requests}}</td><td>{{.P50}}</td><td>{{.P95}}</td><td>{{.P99}}</td><td>{{.Max}}</td></tr>{{end}}
{{with index .R.Latency "all"}}<tr><td>all</td><td>{{.Requests}}</td><td>{{.P50}}</td><td>{{.P95}}</td><td>{{.P99}}</td><td>{{.Max}}</td></tr>{{end}}
</table>
<h2>Text report</h2>
<pre>{{.Text}}</pre>
</body></html>
`))
