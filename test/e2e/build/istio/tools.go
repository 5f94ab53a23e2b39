//go:build tools

// Package tools pins the packages istioctl's main imports, so that `go mod tidy`
// records their checksums in go.sum (a main package cannot be imported itself).
package tools

import (
	_ "istio.io/istio/istioctl/cmd"
	_ "istio.io/istio/pkg/log"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)
