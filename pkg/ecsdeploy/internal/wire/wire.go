// Package wire renders AWS SDK shapes as the JSON ECS itself speaks
// (awsJson1_1), through the SDK's own serializer: the task definitions in a
// --dry-run diff read like `aws ecs describe-task-definition`, and the ECS fake
// answers with the bytes a real endpoint would send.
package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

var protocol = awsjson.New11(schemas.AmazonEC2ContainerServiceV20141113)

// The protocol only needs an operation with an input to serialize a shape;
// which one does not matter, the shape serializes itself.
var anyOperation = smithy.NewOperationSchema(schemas.DescribeServices, schemas.DescribeServicesRequest, nil)

// JSON is v in ECS's wire form, compact, members in schema order.
func JSON(v smithy.Serializable) ([]byte, error) {
	req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	if err := protocol.SerializeRequest(context.Background(), anyOperation, v, req); err != nil {
		return nil, fmt.Errorf("serializing %T: %w", v, err)
	}
	return io.ReadAll(req.GetStream())
}

// Indented is v in ECS's wire form, indented with object keys sorted, so that
// two renderings of equal shapes are equal byte for byte (maps have no order).
func Indented(v smithy.Serializable) (string, error) {
	raw, err := JSON(v)
	if err != nil {
		return "", err
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return "", fmt.Errorf("re-reading %T: %w", v, err)
	}
	out, err := json.MarshalIndent(tree, "", "  ")
	if err != nil {
		return "", err
	}
	return string(out) + "\n", nil
}
