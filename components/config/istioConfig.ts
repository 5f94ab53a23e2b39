// The Istio part of the stack config: the mesh around Spinnaker (sidecars,
// STRICT mTLS, authorization) and the HTTPS ingress for Deck and Gate.
import { DNS01_PROVIDERS, Dns01Provider, dns01BodyProblems } from "./dns01";
import { ConfigReader, fq, isDnsName } from "./reader";

export type IstioInjection = "namespace" | "per-service";
export type IngressIssuer = "spinnaker-ca" | "acme-dns01";

export const ISTIO_INJECTION_MODES: readonly IstioInjection[] = ["namespace", "per-service"];
export const INGRESS_ISSUERS: readonly IngressIssuer[] = ["spinnaker-ca", "acme-dns01"];
/** The providers cert-manager's ACME DNS-01 solver knows (ACMEChallengeSolverDNS01). */
export { DNS01_PROVIDERS } from "./dns01";

export interface AcmeConfig {
    readonly email: string;
    readonly server: string;
    /** cert-manager's `dns01` solver block, e.g. { route53: { region: "eu-west-1" } }. */
    readonly dns01: Readonly<Record<string, unknown>>;
}

export interface IngressConfig {
    readonly host: string;
    readonly namespace: string;
    readonly gatewaySelector: Readonly<Record<string, string>>;
    readonly gatewayServiceAccount: string;
    readonly issuer: IngressIssuer;
    readonly acme?: AcmeConfig;
}

export interface IstioConfig {
    readonly enabled: boolean;
    readonly injection: IstioInjection;
    readonly meshWideStrict: boolean;
    readonly rootNamespace: string;
    readonly trustDomain: string;
    readonly authorizationPolicy: boolean;
    /** The user's explicit yes to the program owning each Service's kustomize patch list (the ports' protocol). */
    readonly servicePortPatch: boolean;
    /** Set when ingressHost is: the Gateway, VirtualService and Certificate for Deck and Gate. */
    readonly ingress?: IngressConfig;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export function readIstioConfig(r: ConfigReader): IstioConfig | undefined {
    const before = r.problems.length;
    const enabled = r.bool("istio");
    const injection = r.oneOf<IstioInjection>("istioInjection", ISTIO_INJECTION_MODES);
    const meshWideStrict = r.bool("istioMeshWideStrict");
    const rootNamespace = r.dnsLabel("istioRootNamespace", "namespace");
    const trustDomain = r.get("istioTrustDomain");
    if (trustDomain !== undefined && !isDnsName(trustDomain)) r.bad("istioTrustDomain", trustDomain, 'allowed: a DNS-style trust domain, e.g. "cluster.local"');
    const authorizationPolicy = r.bool("istioAuthorizationPolicy");
    const servicePortPatch = r.bool("istioServicePortPatch");
    if (enabled && servicePortPatch === false) {
        r.problem(
            `${fq("istio")} is true but ${fq("istioServicePortPatch")} is false; the Operator names every Service port "http", so Istio would parse the services' own TLS as HTTP and break every call. ` +
                "The program declares each port's protocol through spec.kustomize.<svc>.service.patchesStrategicMerge, a list server-side apply owns whole: " +
                "set istioServicePortPatch to true to agree (put your own Service patches in spinnakerServicePatches: the program writes them into the same list, before its own)",
        );
    }

    const host = r.optional("ingressHost");
    const ingressNamespace = r.dnsLabel("ingressNamespace", "namespace");
    const selectorRaw = r.get("ingressGatewaySelector");
    const gatewaySelector: Record<string, string> = {};
    if (selectorRaw !== undefined) {
        for (const pair of selectorRaw.split(",")) {
            const [k, v, ...rest] = pair.trim().split("=");
            if (!k || v === undefined || rest.length || !LABEL_KEY.test(k) || !LABEL_VALUE.test(v)) {
                r.bad("ingressGatewaySelector", selectorRaw, 'allowed: label pairs "key=value[,key=value]" selecting your ingress gateway pods, e.g. "istio=ingressgateway"');
                break;
            }
            gatewaySelector[k] = v;
        }
    }
    const gatewayServiceAccount = r.get("ingressGatewayServiceAccount");
    if (gatewayServiceAccount !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(gatewayServiceAccount)) {
        r.bad("ingressGatewayServiceAccount", gatewayServiceAccount, "allowed: the ServiceAccount name of your ingress gateway pods");
    }
    const issuer = r.oneOf<IngressIssuer>("ingressIssuer", INGRESS_ISSUERS);
    const email = r.optional("acmeEmail");
    const server = r.get("acmeServer");
    const dns01Raw = r.optional("acmeDns01Solver");

    if (host !== undefined) {
        if (host.includes("*")) r.bad("ingressHost", host, "a wildcard host would route any name to Spinnaker; allowed: one DNS name, e.g. spinnaker.example.com");
        else if (!isDnsName(host) || !host.includes(".")) r.bad("ingressHost", host, "allowed: a fully qualified DNS name, e.g. spinnaker.example.com");
        if (enabled === false) r.problem(`${fq("ingressHost")} is set but ${fq("istio")} is false; the ingress is an Istio Gateway, so set istio to true or unset ingressHost`);
    }
    let acme: AcmeConfig | undefined;
    if (issuer === "acme-dns01") {
        if (host === undefined) r.problem(`${fq("ingressIssuer")} is "acme-dns01" but ${fq("ingressHost")} is not set; ACME issues the ingress certificate, so set the host`);
        if (email === undefined) r.problem(`${fq("acmeEmail")} is not set; ingressIssuer "acme-dns01" registers an ACME account, which needs a contact email`);
        else if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) r.bad("acmeEmail", email, "allowed: an email address for the ACME account");
        if (server !== undefined && !/^https:\/\/[^\s]+$/.test(server)) r.bad("acmeServer", server, "allowed: the https:// directory URL of an ACME server");
        const dns01 = dns01Raw === undefined ? undefined : parseDns01(dns01Raw, r);
        if (dns01Raw === undefined) {
            r.problem(
                `${fq("acmeDns01Solver")} is not set; ingressIssuer "acme-dns01" proves the host through DNS, e.g. '{"route53":{"region":"eu-west-1"}}' ` +
                    "(HTTP-01 is not offered: the gateway redirects every HTTP request to HTTPS, and Let's Encrypt's HTTP-01 challenge then never reaches a solver)",
            );
        }
        if (email !== undefined && dns01 !== undefined && server !== undefined) acme = { email, server, dns01 };
    } else if (dns01Raw !== undefined || email !== undefined) {
        r.problem(`${fq("acmeEmail")} and ${fq("acmeDns01Solver")} apply only with ${fq("ingressIssuer")} "acme-dns01"`);
    }

    if (r.problems.length > before) return undefined;
    return {
        enabled: enabled!,
        injection: injection!,
        meshWideStrict: meshWideStrict!,
        rootNamespace: rootNamespace!,
        trustDomain: trustDomain!,
        authorizationPolicy: authorizationPolicy!,
        servicePortPatch: servicePortPatch!,
        ...(host !== undefined
            ? {
                  ingress: {
                      host,
                      namespace: ingressNamespace!,
                      gatewaySelector,
                      gatewayServiceAccount: gatewayServiceAccount!,
                      issuer: issuer!,
                      ...(acme ? { acme } : {}),
                  },
              }
            : {}),
    };
}

function parseDns01(raw: string, r: ConfigReader): Record<string, unknown> | undefined {
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        parsed = undefined;
    }
    const keys = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? Object.keys(parsed).filter((k) => k !== "cnameStrategy") : [];
    if (keys.length !== 1 || !(DNS01_PROVIDERS as readonly string[]).includes(keys[0])) {
        r.bad("acmeDns01Solver", raw, `allowed: a JSON object with one DNS provider of cert-manager's dns01 solver (${DNS01_PROVIDERS.join(", ")}), e.g. '{"route53":{"region":"eu-west-1"}}'`);
        return undefined;
    }
    const provider = keys[0] as Dns01Provider;
    const problems = dns01BodyProblems(provider, (parsed as Record<string, unknown>)[provider]);
    if (problems.length) {
        r.bad("acmeDns01Solver", raw, `${problems.join("; ")} (cert-manager refuses the issuer otherwise)`);
        return undefined;
    }
    return parsed as Record<string, unknown>;
}

/** The SPIFFE principal Istio gives a ServiceAccount's workloads. */
export const istioPrincipal = (trustDomain: string, namespace: string, serviceAccount: string): string => `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
