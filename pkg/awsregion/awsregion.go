// Package awsregion knows the AWS regions, so that a misspelt one (eu-wset-1)
// is named at once instead of after the SDK's retries against a host that
// does not exist. The SDK keeps its region list in an internal package; the
// list here is the same data (aws-sdk-go-v2's
// internal/endpoints/awsrulesfn/partitions.json, checked by this package's
// test against the SDK version in go.mod).
package awsregion

import (
	"fmt"
	"slices"
	"strings"
)

// Regions are every region of the SDK's partitions, sorted.
var Regions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1",
	"cn-north-1", "cn-northwest-1", "eu-central-1", "eu-central-2", "eu-isoe-west-1", "eu-north-1",
	"eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "eusc-de-east-1",
	"il-central-1", "me-central-1", "me-south-1", "me-west-1", "mx-central-1", "sa-east-1",
	"sa-west-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-iso-east-1",
	"us-iso-west-1", "us-isob-east-1", "us-isob-west-1", "us-isof-east-1", "us-isof-south-1",
	"us-west-1", "us-west-2",
}

// Check returns nil for a known region, else an error naming the closest
// known one.
func Check(region string) error {
	if slices.Contains(Regions, region) {
		return nil
	}
	msg := fmt.Sprintf("%q is not an AWS region", region)
	if s := closest(region); s != "" {
		msg += fmt.Sprintf(": did you mean %q?", s)
	} else {
		msg += " (e.g. eu-west-1, us-east-1)"
	}
	return fmt.Errorf("%s; `aws account list-regions` lists the regions your account has enabled", msg)
}

func closest(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	best, bestD := "", 3
	for _, r := range Regions {
		if d := distance(s, r); d < bestD {
			best, bestD = r, d
		}
	}
	return best
}

// distance is the Damerau–Levenshtein distance (optimal string alignment):
// a swap of two letters, the commonest typo in a region, counts once.
func distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
