// Command analyzefiles runs istioctl analyze's analyzers over files, offline,
// as `istioctl analyze --use-kube=false --all-namespaces -o json <files>`
// does (istio.io/istio istioctl/pkg/analyze/analyze.go), with one difference:
// the files' Services, Pods, Namespaces, Nodes and Secrets are analyzed too.
//
// istioctl reads those kinds from a live cluster only: for files it builds its
// source without them (local.AddReaderKubeSource drops
// kuberesource.DefaultExcludedSchemas), so every analyzer that takes one of
// them as input is skipped when there is no cluster. Istio's own analyzer
// tests read them from files through AddTestReaderKubeSource; this command
// does the same, so that the Services and Pods the Operator and the
// controllers would create are judged without an API server.
//
// Usage: analyzefiles <file.yaml>...   (messages as JSON on stdout, exit 0;
// files that cannot be read are reported on stderr, exit 2)
package main

import (
	"fmt"
	"os"

	"istio.io/istio/istioctl/pkg/root"
	"istio.io/istio/istioctl/pkg/util/formatting"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/log"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: analyzefiles <file.yaml>...")
		os.Exit(2)
	}
	// istioctl's logging (warnings and worse), on stderr so that stdout is JSON only.
	logging := root.LoggingOptions
	logging.OutputPaths = []string{"stderr"}
	if err := log.Configure(logging); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	var readers []local.ReaderSource
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		readers = append(readers, local.ReaderSource{Name: name, Reader: f})
	}

	// As istioctl with --all-namespaces (no namespace filter) and the default
	// istio namespace.
	sa := local.NewIstiodAnalyzer(analyzers.AllCombined(), resource.Namespace(""), resource.Namespace("istio-system"), nil)
	// The first source added fixes the file source's kinds: the files' first,
	// with the runtime kinds; then istioctl's files-only defaults (a stand-in
	// ingress gateway Pod and Service in istio-system) join the same source.
	parseErrors := sa.AddTestReaderKubeSource(readers)
	if err := sa.AddDefaultResources(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	result, err := sa.Analyze(make(chan struct{}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if len(result.SkippedAnalyzers) > 0 {
		fmt.Fprintf(os.Stderr, "Skipped analyzers: %v\n", result.SkippedAnalyzers)
	}
	out, err := formatting.Print(*result.Messages.SetDocRef("istioctl-analyze"), formatting.JSONFormat, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(out)
	if parseErrors != nil {
		fmt.Fprintf(os.Stderr, "Error(s) adding files: %v\n", parseErrors)
		os.Exit(2)
	}
}
