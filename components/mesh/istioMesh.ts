import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { IstioInjection } from "../config/istioConfig";
import { managedLabels } from "../kubernetes/labels";
import { FIELD_MANAGER } from "../spinnaker/operatorPatch";
import { NETWORKING_API_VERSION, SECURITY_API_VERSION, istioMutualDestinationRule, namespaceAllowSpec, principalAllowSpec, strictPeerAuthentication } from "./istioSpecs";

export interface IngressAccess {
    /** The ingress gateway's SPIFFE principal (trust domain/ns/<ns>/sa/<sa>). */
    readonly principal: string;
    /** The workloads it may reach: the pods' `cluster` label and their port. */
    readonly targets: readonly { readonly cluster: string; readonly port: number }[];
}

export interface IstioMeshArgs {
    readonly namespace: string;
    readonly injection: IstioInjection;
    /** Also STRICT for the whole mesh, from its root namespace. */
    readonly meshWide?: { readonly rootNamespace: string };
    /** Short names of the Services to pin to ISTIO_MUTUAL (spin-<name>.<ns>.svc.cluster.local). */
    readonly services: readonly string[];
    /** Default deny: only the namespace's own workloads, and the ingress gateway to Deck and Gate. */
    readonly authorization?: { readonly ingress?: IngressAccess };
}

export const PEER_AUTHENTICATION = "default";

/**
 * Spinnaker's namespace in an Istio mesh: sidecars injected (namespace label,
 * or per pod through the Spinnaker settings), mutual TLS STRICT with no
 * port-level exception, ISTIO_MUTUAL DestinationRules, and default-deny
 * authorization.
 */
export class IstioMesh extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:mesh:IstioMesh";

    constructor(name: string, args: IstioMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super(IstioMesh.TYPE, name, {}, opts);
        const ns = args.namespace;
        const labels = managedLabels("istio");
        const cr = (id: string, apiVersion: string, kind: string, metadata: { name: string; namespace: string }, spec: object) =>
            new k8s.apiextensions.CustomResource(`${name}-${id}`, { apiVersion, kind, metadata: { ...metadata, labels }, spec }, { parent: this });

        if (args.injection === "namespace") {
            // The namespace belongs to the Operator or Halyard: patch only its label.
            new k8s.core.v1.NamespacePatch(
                `${name}-injection`,
                { metadata: { name: ns, labels: { "istio-injection": "enabled" }, annotations: { "pulumi.com/patchFieldManager": FIELD_MANAGER } } },
                { parent: this },
            );
        }
        cr("peer-authentication", SECURITY_API_VERSION, "PeerAuthentication", { name: PEER_AUTHENTICATION, namespace: ns }, strictPeerAuthentication());
        if (args.meshWide) {
            cr("mesh-peer-authentication", SECURITY_API_VERSION, "PeerAuthentication", { name: PEER_AUTHENTICATION, namespace: args.meshWide.rootNamespace }, strictPeerAuthentication());
        }
        for (const svc of args.services) {
            cr(`destination-rule-${svc}`, NETWORKING_API_VERSION, "DestinationRule", { name: `spin-${svc}`, namespace: ns }, istioMutualDestinationRule(`spin-${svc}.${ns}.svc.cluster.local`));
        }
        if (args.authorization) {
            cr("allow-namespace", SECURITY_API_VERSION, "AuthorizationPolicy", { name: "spinnaker-mtls-allow-namespace", namespace: ns }, namespaceAllowSpec(ns));
            for (const t of args.authorization.ingress?.targets ?? []) {
                cr(`allow-ingress-${t.cluster}`, SECURITY_API_VERSION, "AuthorizationPolicy", { name: `spinnaker-mtls-allow-ingress-${t.cluster}`, namespace: ns }, principalAllowSpec(t.cluster, args.authorization.ingress!.principal, t.port));
            }
        }
        this.registerOutputs({});
    }
}
