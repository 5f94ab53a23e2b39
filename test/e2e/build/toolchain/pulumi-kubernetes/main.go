// Command pulumi-resource-kubernetes serves the upstream Kubernetes provider.
// Upstream's own main embeds schema-embed.json files that `make` generates and
// the module zip lacks; build.sh copies the committed schema.json and
// terraform-mapping.json from the module cache next to this file in a build
// copy (never into the repository) before compiling.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var pulumiSchema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
