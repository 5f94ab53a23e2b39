import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AcmeConfig } from "../config/istioConfig";
import { managedLabels } from "../kubernetes/labels";
import { CERT_MANAGER_API_VERSION, ClusterIssuerSpec } from "./certificateSpec";

export const CA_ISSUER = "spinnaker-mtls-ca";
export const SELF_SIGNED_ISSUER = "spinnaker-mtls-selfsigned";
export const ACME_ISSUER = "spinnaker-mtls-acme";
/** The CA's Secret, in cert-manager's cluster resource namespace (where a ClusterIssuer reads it). */
export const CA_SECRET = "spinnaker-mtls-ca";

export interface CertManagerIssuersArgs {
    /** cert-manager's cluster resource namespace. */
    readonly namespace: string;
    readonly caCertPem: pulumi.Input<string>;
    /** Secret. */
    readonly caPrivateKeyPem: pulumi.Input<string>;
    /** An ACME issuer for the public ingress host, proving it through DNS-01. */
    readonly acme?: AcmeConfig & { readonly host: string };
}

export function acmeIssuerSpec(acme: AcmeConfig & { host: string }): ClusterIssuerSpec {
    return {
        acme: {
            email: acme.email,
            server: acme.server,
            privateKeySecretRef: { name: `${ACME_ISSUER}-account` },
            // DNS-01, not HTTP-01: the gateway redirects every HTTP request to HTTPS,
            // and an HTTP-01 challenge behind that redirect never reaches its solver.
            solvers: [{ selector: { dnsNames: [acme.host] }, dns01: acme.dns01 as NonNullable<NonNullable<ClusterIssuerSpec["acme"]>["solvers"]>[number]["dns01"] }],
        },
    };
}

/**
 * cert-manager's ClusterIssuers: a self-signed one (to bootstrap other CAs),
 * one backed by the program's CA (the same CA whatever the backend), and
 * optionally an ACME one for the public ingress host.
 */
export class CertManagerIssuers extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:certmanager:CertManagerIssuers";

    readonly caIssuer: pulumi.Output<string>;
    /** The issuer of the ingress certificate: ACME when configured, else the CA. */
    readonly ingressIssuer: pulumi.Output<string>;

    constructor(name: string, args: CertManagerIssuersArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CertManagerIssuers.TYPE, name, {}, opts);
        const labels = managedLabels("cert-manager-issuers");
        const caSecret = new k8s.core.v1.Secret(
            `${name}-ca-secret`,
            {
                metadata: { name: CA_SECRET, namespace: args.namespace, labels },
                type: "kubernetes.io/tls",
                data: pulumi.secret(
                    pulumi.all([args.caCertPem, args.caPrivateKeyPem]).apply(([crt, key]) => ({
                        "tls.crt": Buffer.from(crt).toString("base64"),
                        "tls.key": Buffer.from(key).toString("base64"),
                    })),
                ),
            },
            { parent: this },
        );
        const issuer = (id: string, issuerName: string, spec: ClusterIssuerSpec, dependsOn: pulumi.Resource[] = []) =>
            new k8s.apiextensions.CustomResource(`${name}-${id}`, { apiVersion: CERT_MANAGER_API_VERSION, kind: "ClusterIssuer", metadata: { name: issuerName, labels }, spec }, { parent: this, dependsOn });
        issuer("selfsigned", SELF_SIGNED_ISSUER, { selfSigned: {} });
        issuer("ca", CA_ISSUER, { ca: { secretName: CA_SECRET } }, [caSecret]);
        if (args.acme) issuer("acme", ACME_ISSUER, acmeIssuerSpec(args.acme));
        this.caIssuer = pulumi.output(CA_ISSUER);
        this.ingressIssuer = pulumi.output(args.acme ? ACME_ISSUER : CA_ISSUER);
        this.registerOutputs({ caIssuer: this.caIssuer, ingressIssuer: this.ingressIssuer });
    }
}
