package provision

import (
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/tf"
)

// The plan's summary colours what it adds, changes and destroys, and the
// data-loss warning, only with colour on (a terminal without NO_COLOR).
func TestSummaryColour(t *testing.T) {
	s := tf.Summary{Add: 1, Change: 2, Destroy: 1, Changes: []tf.Change{{Address: "aws_db_instance.main"}},
		DataLoss: []tf.Change{{Address: "aws_db_instance.main", Kind: "database", Action: "replace"}}}
	var plain, coloured strings.Builder
	WriteSummary(&plain, iostreams.NewColorScheme(false), "prod", s)
	WriteSummary(&coloured, iostreams.NewColorScheme(true), "prod", s)
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(plain.String(), "Plan for prod: 1 to add, 2 to change, 1 to destroy.") {
		t.Fatalf("colour off:\n%q", plain.String())
	}
	for _, want := range []string{"\x1b[32m1 to add\x1b[0m", "\x1b[33m2 to change\x1b[0m", "\x1b[31m1 to destroy\x1b[0m", "\x1b[31m!! WARNING"} {
		if !strings.Contains(coloured.String(), want) {
			t.Errorf("colour on lacks %q:\n%q", want, coloured.String())
		}
	}
}
