// The controller subcommand: cert-manager's controller, wired from the
// cert-manager module's packages the way cmd/controller/app/controller.go
// (Run, buildControllerContextFactory) wires them: pkg/controller's
// ContextFactory and controller registry, and the controllers themselves,
// which register in init(). Left out: what only an in-cluster deployment
// needs (leader election, the metrics, healthz and pprof servers) and the
// configuration file (its types and defaults live in
// internal/apis/config/controller; the defaults are restated below).
//
// Which controllers: those the program's CA-backed objects need. The ACME
// issuer and the ACME controllers (orders, challenges,
// certificaterequests-issuer-acme) are left out and pkg/issuer/acme is not
// linked: an ACME ClusterIssuer would register an account with its server over
// the network, which these tests must not reach. Vault, Venafi, the
// ingress/gateway shims and the CertificateSigningRequest controllers are
// left out because the program uses none of them. Feature gates keep their
// defaults (SecretsFilteredCaching on, ServerSideApply off).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	"github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/util"

	// Each of these registers its controller with pkg/controller in init().
	crapprover "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	crselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"

	// The issuer types the issuers/clusterissuers controllers can set up
	// (registered with pkg/issuer in init()). Not acme: see above.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// enabledControllers is the subset of cert-manager's default controller list
// (internal/apis/config/controller/v1alpha1/defaults.go, DefaultEnabledControllers)
// that a CA ClusterIssuer and its Certificates use.
var enabledControllers = []string{
	issuers.ControllerName,
	clusterissuers.ControllerName,
	crapprover.ControllerName,
	crca.CRControllerName,
	crselfsigned.CRControllerName,
	trigger.ControllerName,
	issuing.ControllerName,
	keymanager.ControllerName,
	requestmanager.ControllerName,
	readiness.ControllerName,
	revisionmanager.ControllerName,
}

func controllerMain(args []string) {
	fs := flag.NewFlagSet("controller", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the API server")
	clusterResourceNamespace := fs.String("cluster-resource-namespace", "kube-system", "where ClusterIssuers read their Secrets (cert-manager's --cluster-resource-namespace)")
	listControllers := fs.Bool("list-controllers", false, "print the controllers this binary runs and exit")
	controllersFlag := fs.String("controllers", "*", "upstream's --controllers: * is every controller above, -<name> leaves one out (*,-certificaterequests-approver turns the built-in approver off, as the Helm chart's disableAutoApproval does)")
	klog.InitFlags(fs)
	_ = fs.Parse(args)
	selected, err := selectControllers(*controllersFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	enabledControllers = selected

	if *listControllers {
		known := controller.Known()
		for _, n := range enabledControllers {
			if _, ok := known[n]; !ok {
				fmt.Fprintf(os.Stderr, "controller %s is not registered\n", n)
				os.Exit(1)
			}
		}
		fmt.Println(strings.Join(enabledControllers, "\n"))
		return
	}
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "--kubeconfig is required")
		os.Exit(2)
	}

	logf.InitLogs()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx = logf.NewContext(ctx, klog.Background(), "cert-manager-e2e")
	if err := runController(ctx, *kubeconfig, *clusterResourceNamespace); err != nil {
		logf.FromContext(ctx).Error(err, "controller failed")
		logf.FlushLogs()
		os.Exit(1)
	}
	logf.FlushLogs()
}

// selectControllers reads a --controllers value as upstream does for the
// names this binary knows: "*" for all of enabledControllers, a name to add
// one, "-name" to leave one out.
func selectControllers(value string) ([]string, error) {
	known := sets.New(enabledControllers...)
	on := sets.New[string]()
	for _, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "*":
			on.Insert(enabledControllers...)
		case strings.HasPrefix(item, "-") && known.Has(item[1:]):
			on.Delete(item[1:])
		case known.Has(item):
			on.Insert(item)
		default:
			return nil, fmt.Errorf("--controllers: %q is not one of this binary's controllers (%s)", item, strings.Join(enabledControllers, ", "))
		}
	}
	out := []string{}
	for _, n := range enabledControllers {
		if on.Has(n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func runController(rootCtx context.Context, kubeconfig, clusterResourceNamespace string) error {
	log := logf.FromContext(rootCtx)
	g, rootCtx := errgroup.WithContext(rootCtx)

	// The HTTP-01 solver quantities are parsed by upstream's app even when no
	// ACME issuer runs; they are the upstream defaults.
	q := resource.MustParse
	ctxFactory, err := controller.NewContextFactory(rootCtx, controller.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		ACMEOptions: controller.ACMEOptions{
			HTTP01SolverResourceRequestCPU:    q("10m"),
			HTTP01SolverResourceRequestMemory: q("64Mi"),
			HTTP01SolverResourceLimitsCPU:     q("100m"),
			HTTP01SolverResourceLimitsMemory:  q("64Mi"),
			DNS01CheckAuthoritative:           true,
			DNS01CheckRetryPeriod:             10 * time.Second,
		},
		SchedulerOptions: controller.SchedulerOptions{MaxConcurrentChallenges: 60},
		IssuerOptions: controller.IssuerOptions{
			// Upstream's default is true; no ambient cloud credentials here.
			ClusterIssuerAmbientCredentials: false,
			ClusterResourceNamespace:        clusterResourceNamespace,
		},
		CertificateOptions: controller.CertificateOptions{
			// Upstream's defaults (defaultCertificateRequestM*BackoffDuration).
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	})
	if err != nil {
		return err
	}
	ctx, err := ctxFactory.Build()
	if err != nil {
		return err
	}

	enabled := sets.New(enabledControllers...)
	known := controller.Known()
	for _, n := range enabledControllers {
		fn, ok := known[n]
		if !ok {
			return fmt.Errorf("controller %s is not registered", n)
		}
		iface, err := fn(ctxFactory)
		if err != nil {
			return fmt.Errorf("error starting controller %s: %w", n, err)
		}
		g.Go(func() error {
			log.V(logf.InfoLevel).Info("starting controller", "controller", n)
			return iface.Run(5, rootCtx)
		})
	}
	log.Info("enabled controllers", "controllers", sets.List(enabled), "version", util.AppVersion)

	ctx.SharedInformerFactory.Start(rootCtx.Done())
	ctx.KubeSharedInformerFactory.Start(rootCtx.Done())
	ctx.HTTP01ResourceMetadataInformersFactory.Start(rootCtx.Done())

	err = g.Wait()
	ctx.HTTP01ResourceMetadataInformersFactory.Shutdown()
	ctx.KubeSharedInformerFactory.Shutdown()
	ctx.SharedInformerFactory.Shutdown()
	if err != nil && err != context.Canceled {
		return err
	}
	return nil
}
