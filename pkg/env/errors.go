package env

import "errors"

// ErrRolloutFailed marks a rollout that ran and failed (the circuit breaker
// tripped); commands map it to the verdict exit code.
var ErrRolloutFailed = errors.New("rollout failed")

// ErrNotRunning means the environment is not up (the local stack is not running).
var ErrNotRunning = errors.New("the environment is not running")

// ErrSameBuild means the build is the one already running and no redeploy was forced.
var ErrSameBuild = errors.New("this build is already running")

// ErrNotRetained means a release asked for is past the retention window (or
// never was published); the error lists the ones that are retained.
var ErrNotRetained = errors.New("the release is not retained")
