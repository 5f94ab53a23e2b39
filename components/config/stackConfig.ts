// The whole stack configuration, read and validated in one place before any
// resource is registered. Defaults live in the `config:` schema of
// Pulumi.yaml (the CLI fills them in; the offline engine does the same), so
// every key not listed as optional is treated as present. Each area has its
// own reader; this module runs them all and reports every problem at once.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, CONFIG_NAMESPACE, OPTIONAL_KEYS, SECRET_KEYS } from "./keys";
import { PkiConfig, readPkiConfig, readServices } from "./pkiConfig";
import { ConfigReader, RawConfig, configKey, fq } from "./reader";
import { RedisConfig, readRedisConfig } from "./redisConfig";
import { SpinnakerConfig, readSpinnakerConfig } from "./spinnakerConfig";
import { CertManagerConfig, readCertManagerConfig } from "./certManagerConfig";
import { IstioConfig, readIstioConfig } from "./istioConfig";
import { SERVICE_CATALOG, ServiceName } from "../../lib/catalog/serviceCatalog";
import { pemBlocks } from "../pki/caChain";
import { KubernetesConfig, readKubernetesConfig } from "./kubernetesConfig";

export { CONFIG_KEYS, CONFIG_NAMESPACE, CONFIG_SPEC, OPTIONAL_KEYS, SECRET_KEYS } from "./keys";
export type { ConfigKey, ConfigKeyType } from "./keys";
export type { RawConfig } from "./reader";
export { DEFERRED_SECRET, withKeyNames } from "./reader";
export * from "./pkiConfig";
export * from "./redisConfig";
export * from "./spinnakerConfig";
export * from "./certManagerConfig";
export * from "./istioConfig";
export * from "./kubernetesConfig";

export interface StackConfig extends PkiConfig {
    readonly redis: RedisConfig;
    readonly spinnaker: SpinnakerConfig;
    readonly certManager: CertManagerConfig;
    readonly istio: IstioConfig;
    readonly kubernetes: KubernetesConfig;
}

/**
 * cert-manager is needed for its Certificates: the service certificates
 * (backend cert-manager, or otterize through cert-manager, whose operator signs
 * with this program's CA Issuer) or the ingress certificate.
 */
export const usesCertManager = (c: Pick<StackConfig, "certManager" | "istio">): boolean =>
    c.certManager.backend === "cert-manager" || (c.certManager.backend === "otterize" && c.certManager.otterize.provider === "cert-manager") || c.istio.ingress !== undefined;

const GO_SERVICE_NAMES = (Object.keys(SERVICE_CATALOG) as ServiceName[]).filter((s) => SERVICE_CATALOG[s].runtime === "go");
const JAVA_SERVICE_NAMES = (Object.keys(SERVICE_CATALOG) as ServiceName[]).filter((s) => SERVICE_CATALOG[s].runtime === "java");

/** Every problem at once; a RunError, so the Pulumi CLI prints the message without a stack trace. */
export class StackConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "StackConfigError";
    }
}

/** The combinations the Otterize credentials operator cannot serve, found before any resource exists. */
function checkOtterize(r: ConfigReader, certManager: CertManagerConfig, pki: PkiConfig | undefined, spinnaker: SpinnakerConfig | undefined): void {
    const provider = certManager.otterize.provider;
    const go = (pki?.services ?? []).filter((s) => GO_SERVICE_NAMES.includes(s));
    if (provider !== "cert-manager" && go.length > 0) {
        // The operator's SPIRE path generates an EC P-256 key and writes it as PKCS#8; no
        // annotation picks another key, and go-yaml-tools reads only "RSA PRIVATE KEY".
        r.problem(
            `${fq("services")} enables ${go.join(" and ")} with ${fq("certificateBackend")} "otterize" and ${fq("otterizeCertificateProvider")} "${provider}", ` +
                `but that provider gives every workload an EC P-256 key in PKCS#8 and Armory's Go services read only RSA keys in PKCS#1 ("RSA PRIVATE KEY"); ` +
                'use otterizeCertificateProvider "cert-manager" (cert-manager\'s default key is RSA in PKCS#1), or remove the Go services',
        );
    }
    const java = (pki?.services ?? []).some((s) => JAVA_SERVICE_NAMES.includes(s));
    if (provider !== "cert-manager" && java && pki && pki.jvmExtraCaCertsPem === undefined) {
        r.problem(
            `${fq("otterizeCertificateProvider")} is "${provider}" but ${fq("jvmExtraCaCertsPem")} is not set; every Java service's ok-http-client trusts the JVM trust store, ` +
                `which must hold the CA that signs the ${provider} certificates (this program's CA signs nothing then): set jvmExtraCaCertsPem to that CA bundle`,
        );
    }
    if (spinnaker?.halyardDir !== undefined) {
        r.problem(
            `${fq("halyardDir")} is set with ${fq("certificateBackend")} "otterize"; the operator takes each Java service's keystore password only as a literal pod annotation, ` +
                "which the Halyard files would carry in plain text on disk: use the Operator (SpinnakerService), or another backend with Halyard",
        );
    }
}

/**
 * The optimal string alignment distance between two names: insertions,
 * deletions, substitutions and swaps of two neighbours, the edits a typo makes.
 */
export function editDistance(a: string, b: string): number {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}

/**
 * The candidates a mistyped name most likely meant: those nearest to it, case
 * ignored (`clientauth` is `clientAuth`), when they are near enough to be a
 * typo (one edit for names under six letters, else two, or a quarter of the
 * name for long ones: `aws` is not a typo of `tls`); else a name cut
 * short (`caKey` for `caKeyPem`), when at most three candidates start with it.
 * None otherwise: a far-fetched guess misleads more than it helps.
 */
export function nearestNames(name: string, candidates: readonly string[]): string[] {
    const lower = name.toLowerCase();
    const limit = name.length < 6 ? 1 : Math.max(2, Math.floor(name.length / 4));
    const scored = candidates.map((c) => ({ c, d: editDistance(lower, c.toLowerCase()) })).filter((x) => x.d <= limit);
    if (scored.length) {
        const best = Math.min(...scored.map((x) => x.d));
        return scored.filter((x) => x.d === best).map((x) => x.c);
    }
    const longer = name.length >= 4 ? candidates.filter((c) => c.toLowerCase().startsWith(lower)) : [];
    return longer.length <= 3 ? longer : [];
}

/**
 * An unknown key of this project, its value and the key it most likely
 * meant. The value is hidden when it may be a secret: the engine says so,
 * the key it resembles is a secret, or it holds a private key.
 */
function unknownKeyProblem(key: string, value: string, engineSecretKeys: ReadonlySet<string> | undefined): string {
    const near = nearestNames(key.slice(CONFIG_NAMESPACE.length + 1), CONFIG_KEYS);
    const secret = engineSecretKeys?.has(key) || near.some((k) => SECRET_KEYS.has(k)) || /PRIVATE KEY/.test(value);
    const clipped = value.length > 60 ? `${JSON.stringify(value.slice(0, 40))}... (${value.length} characters)` : JSON.stringify(value);
    const shown = secret ? "(secret value hidden)" : clipped;
    return near.length
        ? `${key} is not a known key (its value ${shown} is not read); did you mean ${near.map(fq).join(" or ")}?`
        : `${key} is not a known key (its value ${shown} is not read), and no known key is near that name; Pulumi.yaml declares every key (docs/configuration.md)`;
}

/**
 * The URLs browsers use for Deck and Gate when the stack names none and has no
 * ingress: the port-forwards docs/spinnaker.md describes (`kubectl port-forward
 * svc/spin-deck 9000`, `svc/spin-gate 8084`). Without any URL Halyard would give
 * Deck's code http://localhost:8084 for Gate (its GateService default), which
 * Gate, serving HTTPS, never answers: Deck could not reach Gate as shipped.
 */
export const PORT_FORWARD_URLS = { gateUrl: "https://localhost:8084", deckUrl: "https://localhost:9000" } as const;

function withBrowserUrls(spinnaker: SpinnakerConfig, istio: IstioConfig, services: readonly ServiceName[]): SpinnakerConfig {
    if (istio.ingress || !services.some((s) => s === "deck" || s === "gate")) return spinnaker;
    const defaulted = (["gateUrl", "deckUrl"] as const).filter((k) => spinnaker[k] === undefined);
    if (defaulted.length === 0) return spinnaker;
    return { ...spinnaker, ...Object.fromEntries(defaulted.map((k) => [k, PORT_FORWARD_URLS[k]])), portForwardUrls: defaulted };
}

/**
 * Parses and validates raw stack config. Collects every problem and throws one
 * StackConfigError naming each key, its value (never a secret one) and what is
 * allowed. `now` is used to check an imported CA's validity window.
 */
export function parseStackConfig(raw: RawConfig, now: Date = new Date(), engineSecretKeys?: ReadonlySet<string>): StackConfig {
    const r = new ConfigReader(raw, OPTIONAL_KEYS, SECRET_KEYS);
    if (engineSecretKeys) {
        // Pulumi.yaml cannot mark these keys secret: the CLI would then refuse their
        // plain default "" ("must be encrypted as it's secret"). So the program
        // refuses a value the engine did not receive as a secret.
        for (const key of [...SECRET_KEYS].sort()) {
            const value = raw[configKey(key)];
            if (value !== undefined && value !== "" && !engineSecretKeys.has(configKey(key))) {
                r.problem(`${fq(key)} is stored in plain text (value hidden); it is a secret: set it with pulumi config set --secret ${key} (or --secret-file ${key}=<file> for the offline commands)`);
            }
        }
    }
    const known = new Set<string>(CONFIG_KEYS.map(configKey));
    for (const key of Object.keys(raw).sort()) {
        if (key.startsWith(`${CONFIG_NAMESPACE}:`) && !known.has(key)) r.problem(unknownKeyProblem(key, raw[key] ?? "", engineSecretKeys));
    }
    const services = readServices(r);
    const pki = readPkiConfig(r, services, now);
    const redis = readRedisConfig(r, services);
    const spinnaker = readSpinnakerConfig(r, services);
    const certManager = readCertManagerConfig(r);
    const istio = readIstioConfig(r);
    const kubernetes = readKubernetesConfig(r);
    if (istio?.ingress && services) {
        const missing = (["deck", "gate"] as const).filter((s) => !services.includes(s));
        if (missing.length) r.problem(`${fq("ingressHost")} is set but ${fq("services")} does not enable ${missing.join(" and ")}; the ingress serves Deck and Gate`);
    }
    if (istio?.ingress && pki?.extraSans.deck?.length) {
        // Behind the ingress Deck serves plain HTTP to its sidecar and gets no certificate of its own.
        r.problem(
            `${fq("extraSans")} names deck (${pki.extraSans.deck.join(", ")}) but ${fq("ingressHost")} is set: behind the ingress Deck serves plain HTTP to its sidecar and has no certificate to carry the name; ` +
                "the ingress certificate carries the ingress host: remove the deck entries",
        );
    }
    if (istio?.ingress && spinnaker) {
        for (const key of ["gateUrl", "deckUrl"] as const) {
            if (spinnaker[key] !== undefined) r.problem(`${fq(key)} is set but so is ${fq("ingressHost")}, from which the program derives the browser URLs; unset ${key}`);
        }
    }
    if (pki && pki.clientAuth === "need" && pki.services.includes("dinghy")) {
        // armory/dinghy as published: its event client (events to echo) builds its own default
        // transport, and its settings loader initializes a copy of `http`, so the plank client
        // that calls orca and front50 gets no TLS config either. Nothing it sends carries a
        // client certificate, so at need every call is refused.
        r.problem(
            `${fq("services")} enables dinghy with ${fq("clientAuth")} "need", but dinghy presents no client certificate on any call it makes (its events to echo, its pipelines to orca and front50), so every one would be refused; ` +
                'keep clientAuth "want" while dinghy runs, or remove dinghy from services',
        );
    }
    if (istio?.enabled && spinnaker && spinnaker.haServices.length > 0) {
        r.problem(
            `${fq("haServices")} names ${spinnaker.haServices.join(" and ")} but ${fq("istio")} is true; the mesh would need each split service's port protocol and DestinationRule, which the program does not declare yet: run the split without the mesh, or the mesh without the split`,
        );
    }
    const goServices = pki?.services.filter((x) => SERVICE_CATALOG[x].runtime === "go") ?? [];
    if (pki?.importedCa && pemBlocks(pki.importedCa.certPem).length > 1 && certManager && certManager.backend !== "pulumi" && goServices.length > 0) {
        // go-yaml-tools sends only the first certificate of its certFile (pkg/tls/tls.go), so every peer must
        // finish a Go service's chain from its own store; cert-manager's ca.crt and truststore.p12 hold the root alone.
        r.problem(
            `${fq("caCertPem")} is an intermediate with its chain and ${fq("certificateBackend")} is "${certManager.backend}" while ${goServices.join(" and ")} ${goServices.length > 1 ? "run" : "runs"}: ` +
                "their go-yaml-tools presents only the first certificate of its certFile, so every peer must hold the intermediate in its trust store, and cert-manager writes only the root into ca.crt and truststore.p12; " +
                'use certificateBackend "pulumi" (its stores hold the root and the intermediates), or import the root itself',
        );
    }
    if (pki && pki.caRotation !== "none" && certManager?.backend === "otterize") {
        // The operator writes each pod's ca.crt and truststore.jks itself, from its one issuer (docs/otterize.md):
        // no store of its would hold both CAs, and the program cannot hand it a bundle.
        r.problem(
            `${fq("caRotation")} is "${pki.caRotation}" but ${fq("certificateBackend")} is "otterize"; a rotation without failed handshakes needs every store to hold both CAs, ` +
                "and the Otterize credentials operator writes each pod's ca.crt and truststore from the one CA of its issuer: " +
                'rotate with certificateBackend "pulumi" or "cert-manager" (docs/ca-rotation.md), or set caRotation "none"',
        );
    }
    if (certManager?.backend === "otterize") checkOtterize(r, certManager, pki, spinnaker);
    if (kubernetes?.renderYamlToDirectory !== undefined && certManager?.install) {
        r.problem(`${fq("certManagerInstall")} is true but ${fq("renderYamlToDirectory")} is set; installing cert-manager is a Helm release, which needs a cluster: install cert-manager yourself, or render without it`);
    }
    if (r.problems.length > 0 || !pki || !redis || !spinnaker || !certManager || !istio || !kubernetes) throw new StackConfigError(r.problems);
    return { ...pki, redis, spinnaker: withBrowserUrls(spinnaker, istio, services ?? []), certManager, istio, kubernetes };
}
