# Go-installed tools for `make lint` (pinned; cached in $GOBIN after the first run).
go_tool golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
go_tool goreleaser github.com/goreleaser/goreleaser/v2@v2.15.1
