package config

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/empctl/empctl/server"
)

// ResolveInstance uses the ECS task metadata endpoint v4 when ECS sets
// ECS_CONTAINER_METADATA_URI_V4 (task id and availability zone), else the
// hostname; INSTANCE_ID overrides the id. The error is a warning: the
// returned Instance is always usable.
func ResolveInstance(ctx context.Context, getenv func(string) string, client *http.Client) (server.Instance, error) {
	var inst server.Instance
	var warn error
	if uri := strings.TrimSpace(getenv("ECS_CONTAINER_METADATA_URI_V4")); uri != "" {
		inst, warn = ecsTask(ctx, client, uri)
	}
	if id := strings.TrimSpace(getenv("INSTANCE_ID")); id != "" {
		inst.ID = id
	}
	if inst.ID == "" {
		inst.ID, _ = os.Hostname()
	}
	return inst, warn
}

func ecsTask(ctx context.Context, client *http.Client, uri string) (server.Instance, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(uri, "/")+"/task", nil)
	if err != nil {
		return server.Instance{}, fmt.Errorf("ECS task metadata: %w", err)
	}
	res, err := client.Do(req)
	if err != nil {
		return server.Instance{}, fmt.Errorf("ECS task metadata: %w", err)
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		return server.Instance{}, fmt.Errorf("ECS task metadata: %s answered %s", req.URL, res.Status)
	}
	var task struct {
		TaskARN          string
		AvailabilityZone string
	}
	if err := json.NewDecoder(res.Body).Decode(&task); err != nil {
		return server.Instance{}, fmt.Errorf("ECS task metadata: %w", err)
	}
	id := task.TaskARN[strings.LastIndexByte(task.TaskARN, '/')+1:]
	if id == "" {
		return server.Instance{}, fmt.Errorf("ECS task metadata has no TaskARN")
	}
	return server.Instance{ID: id, AvailabilityZone: task.AvailabilityZone}, nil
}
