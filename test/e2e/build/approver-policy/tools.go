//go:build tools

// Package tools pins approver-policy's command, which build.sh compiles with
// `go build github.com/cert-manager/approver-policy/cmd`.
package tools

import _ "github.com/cert-manager/approver-policy/cmd"
