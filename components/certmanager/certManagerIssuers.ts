import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AcmeConfig } from "../config/istioConfig";
import { managedLabels } from "../kubernetes/labels";
import { CERT_MANAGER_API_VERSION, IssuerSpec } from "./certificateSpec";

export const CA_ISSUER = "spinnaker-mtls-ca";
export const ACME_ISSUER = "spinnaker-mtls-acme";

/**
 * The name of the CA Issuer of one CA generation (caGeneration, or the next
 * one during a rotation); only the CA that signs has an Issuer. The first
 * keeps the name it always had. A rotation's issue-next moves every
 * Certificate to the next CA's Issuer: a new issuerRef is what makes
 * cert-manager re-issue a Certificate at once (an Issuer whose Secret changes
 * under the same name re-issues nothing until each renewal). The next CA
 * keeps the name after the finish, so finishing renames nothing. The CA's
 * Secret beside each CA Issuer has the Issuer's name (a namespaced Issuer
 * reads its Secret from its own namespace).
 */
export const caIssuerName = (generation: number): string => (generation === 1 ? CA_ISSUER : `${CA_ISSUER}-g${generation}`);

export interface CertManagerIssuersArgs {
    /** Spinnaker's namespace: the only place its service identities may be requested. */
    readonly namespace: string;
    /** Whether Spinnaker's own certificates come through cert-manager (backend cert-manager, or Otterize's cert-manager provider). */
    readonly services: boolean;
    /** The CA that signs, PEM. */
    readonly caCertPem: pulumi.Input<string>;
    /** Secret. */
    readonly caPrivateKeyPem: pulumi.Input<string>;
    /** An imported intermediate's chain: the intermediates (signer first) and the root; "" for a root CA (caChain.ts). */
    readonly caIntermediatesPem?: pulumi.Input<string>;
    readonly caRootCertPem?: pulumi.Input<string>;
    /** The ingress gateway's namespace and who signs its certificate there. */
    readonly ingress?: { readonly namespace: string; readonly acme?: AcmeConfig & { readonly host: string } };
    /** The generation of the CA that signs (caIssuerName); 1 unless set. */
    readonly caGeneration?: number;
}

export function acmeIssuerSpec(acme: AcmeConfig & { host: string }): IssuerSpec {
    return {
        acme: {
            email: acme.email,
            server: acme.server,
            privateKeySecretRef: { name: `${ACME_ISSUER}-account` },
            // DNS-01, not HTTP-01: the gateway redirects every HTTP request to HTTPS,
            // and an HTTP-01 challenge behind that redirect never reaches its solver.
            solvers: [{ selector: { dnsNames: [acme.host] }, dns01: acme.dns01 as NonNullable<NonNullable<IssuerSpec["acme"]>["solvers"]>[number]["dns01"] }],
        },
    };
}

/** Where each issuer lives: pure, so the tests and the docs' migration plan read the same answer. */
export function issuerPlacement(a: { namespace: string; services: boolean; ingress?: { namespace: string; acme?: unknown } }): { ca: string[]; acme?: string } {
    // The CA's key goes only where something is issued from it.
    const ca = a.services ? [a.namespace] : [];
    // A CA-signed ingress certificate is requested in the gateway's namespace, so a CA Issuer is there too.
    if (a.ingress && !a.ingress.acme && !ca.includes(a.ingress.namespace)) ca.push(a.ingress.namespace);
    return { ca, acme: a.ingress?.acme ? a.ingress.namespace : undefined };
}

/**
 * cert-manager's Issuers, namespaced on purpose: a ClusterIssuer signs for a
 * Certificate in any namespace, and cert-manager's built-in approver approves
 * every request when no policy engine runs, so anyone who may create a
 * Certificate anywhere would get a Spinnaker identity (docs/cert-manager-and-istio.md).
 * A CA Issuer in Spinnaker's namespace (and, for a CA-signed ingress
 * certificate, one in the gateway's namespace), each beside its copy of the
 * CA Secret; an ACME Issuer in the gateway's namespace only.
 */
export class CertManagerIssuers extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:certmanager:CertManagerIssuers";

    /** The CA Issuer's name (the same in every namespace it is in). */
    readonly caIssuer: pulumi.Output<string>;
    /** The same, known before deployment, for the Certificates that name it. */
    readonly caIssuerName: string;
    /** The issuer of the ingress certificate, in the gateway's namespace: ACME when configured, else the CA. */
    readonly ingressIssuer: pulumi.Output<string>;

    constructor(name: string, args: CertManagerIssuersArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CertManagerIssuers.TYPE, name, {}, opts);
        const labels = managedLabels("cert-manager-issuers");
        const placement = issuerPlacement(args);
        // With an intermediate, tls.crt holds the intermediates and ca.crt the root: cert-manager's CA issuer
        // then hands each leaf the intermediates in its tls.crt and the root as its ca.crt.
        const caData = pulumi.secret(
            pulumi.all([args.caCertPem, args.caPrivateKeyPem, args.caIntermediatesPem ?? "", args.caRootCertPem ?? ""]).apply(([crt, key, intermediates, anchor]) => ({
                "tls.crt": Buffer.from(intermediates || crt).toString("base64"),
                "tls.key": Buffer.from(key).toString("base64"),
                ...(intermediates ? { "ca.crt": Buffer.from(anchor).toString("base64") } : {}),
            })),
        );
        const caIssuer = caIssuerName(args.caGeneration ?? 1);
        this.caIssuerName = caIssuer;
        const issuer = (id: string, namespace: string, issuerName: string, spec: IssuerSpec, dependsOn: pulumi.Resource[] = []) =>
            new k8s.apiextensions.CustomResource(
                `${name}-${id}`,
                { apiVersion: CERT_MANAGER_API_VERSION, kind: "Issuer", metadata: { name: issuerName, namespace, labels }, spec },
                { parent: this, dependsOn },
            );
        for (const ns of placement.ca) {
            // Pulumi names carry the namespace, since the same objects may sit in two namespaces.
            const secret = new k8s.core.v1.Secret(
                `${name}-ca-secret-${ns}`,
                { metadata: { name: caIssuer, namespace: ns, labels }, type: "kubernetes.io/tls", data: caData },
                { parent: this },
            );
            issuer(`ca-${ns}`, ns, caIssuer, { ca: { secretName: caIssuer } }, [secret]);
        }
        if (placement.acme) issuer(`acme-${placement.acme}`, placement.acme, ACME_ISSUER, acmeIssuerSpec(args.ingress!.acme!));
        this.caIssuer = pulumi.output(caIssuer);
        this.ingressIssuer = pulumi.output(args.ingress?.acme ? ACME_ISSUER : caIssuer);
        this.registerOutputs({ caIssuer: this.caIssuer, ingressIssuer: this.ingressIssuer });
    }
}
