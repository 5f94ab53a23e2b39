import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CERT_MANAGER_API_VERSION, CertificateSpec, hours, privateKeySpec } from "../certmanager/certificateSpec";
import type { KeySpec } from "../config/pkiConfig";
import { managedLabels } from "../kubernetes/labels";
import { NETWORKING_API_VERSION, RouteTarget, gatewaySpec, virtualServiceSpec } from "./istioSpecs";

export interface IstioIngressArgs {
    readonly host: string;
    /** The ingress gateway's namespace: the Gateway and its certificate's Secret must live here. */
    readonly namespace: string;
    /** Spinnaker's namespace, where the VirtualService goes. */
    readonly spinnakerNamespace: string;
    readonly selector: Readonly<Record<string, string>>;
    readonly issuer: pulumi.Input<string>;
    readonly validityHours: number;
    readonly renewBeforeHours: number;
    /**
     * The stack's key settings (keyAlgorithm, ecdsaCurve, rsaBits), which the
     * ingress key follows like every other key. Every choice the config allows
     * (ECDSA P-256/P-384, RSA 2048-4096) is one ACME CAs issue for, so the
     * ACME issuer takes it too. Unset: ECDSA P-256.
     */
    readonly key?: KeySpec;
    readonly gate: RouteTarget;
    readonly deck: RouteTarget;
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export const GATEWAY = "spinnaker-gateway";
export const INGRESS_CERTIFICATE = "spinnaker-ingress";
export const INGRESS_SECRET = "spinnaker-ingress-tls";

/** The key the ingress gets when the stack's key settings are not handed over. */
export const DEFAULT_INGRESS_KEY: KeySpec = { algorithm: "ECDSA", ecdsaCurve: "P256" };

export function ingressCertificateSpec(a: { host: string; issuer: string; validityHours: number; renewBeforeHours: number; labels: Record<string, string>; key?: KeySpec }): CertificateSpec {
    return {
        secretName: INGRESS_SECRET,
        secretTemplate: { labels: a.labels },
        dnsNames: [a.host],
        duration: hours(a.validityHours),
        renewBefore: hours(a.renewBeforeHours),
        privateKey: privateKeySpec(a.key ?? DEFAULT_INGRESS_KEY),
        // Server auth only (public ACME CAs no longer issue client-auth); an RSA key also enciphers (TLS 1.2 RSA key exchange).
        usages: (a.key ?? DEFAULT_INGRESS_KEY).algorithm === "RSA" ? ["digital signature", "key encipherment", "server auth"] : ["digital signature", "server auth"],
        // The Issuer in the gateway's namespace (certManagerIssuers.ts).
        issuerRef: { name: a.issuer, kind: "Issuer", group: "cert-manager.io" },
    };
}

/**
 * HTTPS from outside to Deck and Gate: a cert-manager Certificate and a
 * Gateway in the gateway's namespace (Istio reads `credentialName` from
 * there; a Certificate in Spinnaker's namespace, as one guide shows, is never
 * found), and a VirtualService in Spinnaker's namespace bound to that Gateway.
 */
export class IstioIngress extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:mesh:IstioIngress";

    readonly url: pulumi.Output<string>;

    constructor(name: string, args: IstioIngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super(IstioIngress.TYPE, name, {}, opts);
        const labels = managedLabels("ingress");
        const certificate = new k8s.apiextensions.CustomResource(
            `${name}-certificate`,
            {
                apiVersion: CERT_MANAGER_API_VERSION,
                kind: "Certificate",
                metadata: { name: INGRESS_CERTIFICATE, namespace: args.namespace, labels },
                spec: pulumi.output(args.issuer).apply((issuer) => ingressCertificateSpec({ host: args.host, issuer, validityHours: args.validityHours, renewBeforeHours: args.renewBeforeHours, labels, key: args.key })),
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            {
                apiVersion: NETWORKING_API_VERSION,
                kind: "Gateway",
                metadata: { name: GATEWAY, namespace: args.namespace, labels },
                spec: gatewaySpec({ host: args.host, selector: args.selector, credentialName: INGRESS_SECRET }),
            },
            { parent: this, dependsOn: [certificate] },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-virtualservice`,
            {
                apiVersion: NETWORKING_API_VERSION,
                kind: "VirtualService",
                metadata: { name: "spinnaker", namespace: args.spinnakerNamespace, labels },
                spec: virtualServiceSpec({ host: args.host, gateway: `${args.namespace}/${GATEWAY}`, gate: args.gate, deck: args.deck }),
            },
            { parent: this },
        );
        this.url = pulumi.output(`https://${args.host}`);
        this.registerOutputs({ url: this.url });
    }
}
