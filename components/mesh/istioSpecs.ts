// Istio resource specs, pure, typed with Istio's own models
// (@kubernetes-models/istio, networking.istio.io/v1 and security.istio.io/v1),
// so a misspelt field fails to compile; the tests validate the emitted
// objects against the same package's CRD schemas.
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule";
import type { IGateway } from "@kubernetes-models/istio/networking.istio.io/v1/Gateway";
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService";
import type { IAuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy";
import type { IPeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication";

export const NETWORKING_API_VERSION = "networking.istio.io/v1";
export const SECURITY_API_VERSION = "security.istio.io/v1";

export type GatewaySpec = NonNullable<IGateway["spec"]>;
export type VirtualServiceSpec = NonNullable<IVirtualService["spec"]>;
export type DestinationRuleSpec = NonNullable<IDestinationRule["spec"]>;
export type PeerAuthenticationSpec = NonNullable<IPeerAuthentication["spec"]>;
export type AuthorizationPolicySpec = NonNullable<IAuthorizationPolicy["spec"]>;

/** Namespace-wide (or, in the root namespace, mesh-wide): mutual TLS only, and no port-level exception. */
export const strictPeerAuthentication = (): PeerAuthenticationSpec => ({ mtls: { mode: "STRICT" } });

/** Sidecars originate Istio mTLS to this host, whatever auto-mTLS would guess. */
export const istioMutualDestinationRule = (host: string): DestinationRuleSpec => ({ host, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } });

export interface GatewayInput {
    readonly host: string;
    readonly selector: Readonly<Record<string, string>>;
    /** The TLS Secret in the gateway's namespace (a cert-manager Certificate's secretName). */
    readonly credentialName: string;
}

/** HTTP redirects to HTTPS; HTTPS terminates with the host's certificate, TLS 1.2 or later. */
export function gatewaySpec(g: GatewayInput): GatewaySpec {
    return {
        selector: { ...g.selector },
        servers: [
            { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [g.host], tls: { httpsRedirect: true } },
            { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: [g.host], tls: { mode: "SIMPLE", credentialName: g.credentialName, minProtocolVersion: "TLSV1_2" } },
        ],
    };
}

export interface RouteTarget {
    /** A Service's cluster-local name. */
    readonly host: string;
    readonly port: number;
}

/** Gate's API under /api/v1 (Gate serves under that context path), Deck for everything else; order matters. */
export function virtualServiceSpec(v: { host: string; gateway: string; gate: RouteTarget; deck: RouteTarget }): VirtualServiceSpec {
    return {
        hosts: [v.host],
        gateways: [v.gateway],
        http: [
            { name: "gate", match: [{ uri: { prefix: "/api/v1" } }], route: [{ destination: { host: v.gate.host, port: { number: v.gate.port } } }] },
            { name: "deck", match: [{ uri: { prefix: "/" } }], route: [{ destination: { host: v.deck.host, port: { number: v.deck.port } } }] },
        ],
    };
}

/** With no selector: every workload of the namespace takes calls from the namespace's own workloads. */
export const namespaceAllowSpec = (namespace: string): AuthorizationPolicySpec => ({ action: "ALLOW", rules: [{ from: [{ source: { namespaces: [namespace] } }] }] });

/** One workload (by the `cluster` label the Operator and Halyard give pods) takes calls from one principal on one port. */
export const principalAllowSpec = (cluster: string, principal: string, port: number): AuthorizationPolicySpec => ({
    selector: { matchLabels: { cluster } },
    action: "ALLOW",
    rules: [{ from: [{ source: { principals: [principal] } }], to: [{ operation: { ports: [String(port)] } }] }],
});
