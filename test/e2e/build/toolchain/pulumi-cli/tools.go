//go:build tools

// Package tools pins the upstream main packages this module builds, so that
// `go mod tidy` keeps their dependencies; it is never compiled.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
