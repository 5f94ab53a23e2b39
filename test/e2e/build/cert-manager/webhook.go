// The webhook subcommand: cert-manager's admission webhook, as
// internal/webhook.NewCertManagerWebhookServer builds it (the same admission
// plugin chain, the same scheme, the same dynamic serving certificate from a
// CA Secret), served by controller-runtime's webhook server the way
// pkg/webhook/server.Server.Run serves it, with one difference: Server.Run
// listens on every interface and offers no host option, and these tests listen
// on 127.0.0.1 only, so the webhook server is built here with Host set.
//
// The API server calls it through a ValidatingWebhookConfiguration and a
// MutatingWebhookConfiguration the e2e test registers (what the Helm chart's
// webhook-*-webhook.yaml and cainjector do in a cluster).
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	acmeinstall "github.com/cert-manager/cert-manager/internal/apis/acme/install"
	cminstall "github.com/cert-manager/cert-manager/internal/apis/certmanager/install"
	metainstall "github.com/cert-manager/cert-manager/internal/apis/meta/install"
	crapproval "github.com/cert-manager/cert-manager/internal/webhook/admission/certificaterequest/approval"
	cridentity "github.com/cert-manager/cert-manager/internal/webhook/admission/certificaterequest/identity"
	"github.com/cert-manager/cert-manager/internal/webhook/admission/resourcevalidation"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	servertls "github.com/cert-manager/cert-manager/pkg/server/tls"
	"github.com/cert-manager/cert-manager/pkg/server/tls/authority"
	cmadmission "github.com/cert-manager/cert-manager/pkg/webhook/admission"
)

func webhookMain(args []string) {
	fs := flag.NewFlagSet("webhook", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the API server")
	port := fs.Int("port", 0, "port on 127.0.0.1 to serve /validate and /mutate on")
	caNamespace := fs.String("ca-secret-namespace", "cert-manager", "namespace of the Secret holding the serving CA (--dynamic-serving-ca-secret-namespace)")
	caName := fs.String("ca-secret-name", "cert-manager-webhook-ca", "name of that Secret (--dynamic-serving-ca-secret-name)")
	klog.InitFlags(fs)
	_ = fs.Parse(args)
	if *kubeconfig == "" || *port == 0 {
		fmt.Fprintln(os.Stderr, "--kubeconfig and --port are required")
		os.Exit(2)
	}

	logf.InitLogs()
	// controller-runtime's webhook logs through its own logger (cmd/webhook sets it too).
	ctrllog.SetLogger(klog.Background())
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx = logf.NewContext(ctx, klog.Background(), "cert-manager-webhook-e2e")
	if err := runWebhook(ctx, *kubeconfig, *port, *caNamespace, *caName); err != nil {
		logf.FromContext(ctx).Error(err, "webhook failed")
		logf.FlushLogs()
		os.Exit(1)
	}
	logf.FlushLogs()
}

func runWebhook(ctx context.Context, kubeconfig string, port int, caNamespace, caName string) error {
	restcfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cl, err := kubernetes.NewForConfig(restcfg)
	if err != nil {
		return fmt.Errorf("error creating kubernetes client: %w", err)
	}

	// internal/webhook.buildAdmissionChain, restated (it is unexported).
	authz, err := authorizerfactory.DelegatingAuthorizerConfig{
		SubjectAccessReviewClient: cl.AuthorizationV1(),
		AllowCacheTTL:             time.Second,
		DenyCacheTTL:              time.Second,
		WebhookRetryBackoff:       &wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.2, Steps: 2, Cap: 5 * time.Second},
	}.New()
	if err != nil {
		return fmt.Errorf("error creating authorization handler: %w", err)
	}
	chain := cmadmission.PluginChain([]cmadmission.Interface{
		cridentity.NewPlugin(),
		crapproval.NewPlugin(authz, cl.Discovery()),
		resourcevalidation.NewPlugin(),
	})

	scheme := runtime.NewScheme()
	cminstall.Install(scheme)
	acmeinstall.Install(scheme)
	metainstall.Install(scheme)

	// The chart's default: a CA kept in a Secret, and a leaf for the webhook's
	// name signed by it. The API server reaches the webhook as localhost.
	source := &servertls.DynamicSource{
		DNSNames: []string{"localhost"},
		Authority: &authority.DynamicAuthority{
			SecretNamespace: caNamespace,
			SecretName:      caName,
			SecretLabels:    map[string]string{"app.kubernetes.io/managed-by": "cert-manager-webhook"},
			LeafDuration:    7 * 24 * time.Hour,
			RESTConfig:      restcfg,
		},
	}

	server := webhook.NewServer(webhook.Options{
		Host: "127.0.0.1",
		Port: port,
		TLSOpts: []func(*tls.Config){func(cfg *tls.Config) {
			cfg.MinVersion = tls.VersionTLS12
			cfg.GetCertificate = source.GetCertificate
		}},
	})
	server.Register("/mutate", cmadmission.NewCustomMutationWebhook(chain))
	server.Register("/validate", cmadmission.NewCustomValidationWebhook(scheme, chain))

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return source.Start(ctx) })
	g.Go(func() error {
		// Serve once the CA exists and a leaf is signed: a handshake before that fails.
		if err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
			return source.Healthy(), nil
		}); err != nil {
			return err
		}
		return server.Start(ctx)
	})
	if err := g.Wait(); err != nil && err != context.Canceled {
		return err
	}
	return nil
}
