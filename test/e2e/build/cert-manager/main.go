// cert-manager v1.21 for the end-to-end tests (issue 13): its controller and
// its webhook, as one binary with two subcommands.
//
// Why a main of our own: cert-manager's commands live in separate modules
// (github.com/cert-manager/cert-manager/cmd/controller, cmd/webhook, cmd/ctl)
// and the Go module proxy here answers 404 for all of them. The main module,
// which the proxy serves, holds what those commands run. Its internal/
// packages (the webhook's admission plugins, the API validation) are
// importable here because Go's internal rule goes by import path, and this
// module's path lies under github.com/cert-manager/cert-manager/, as the
// upstream command modules' paths do. The module path is a name only: nothing
// is published under it.
//
// Usage:
//
//	cert-manager-e2e controller --kubeconfig FILE --cluster-resource-namespace NS
//	cert-manager-e2e webhook --kubeconfig FILE --port N --ca-secret-namespace NS
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cert-manager-e2e controller|webhook [flags]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "controller":
		controllerMain(os.Args[2:])
	case "webhook":
		webhookMain(os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "unknown subcommand %q: controller|webhook\n", os.Args[1])
		os.Exit(2)
	}
}
