// The SpinnakerMtls component's arguments: one per stack config key, with the
// key's name, typed. The component turns them back into the raw form the
// stack config has (strings; lists as JSON text) and validates them with the
// very checks the stack config goes through, so a program that uses the
// component and a stack of this project are held to the same rules. Problems
// name `args.<key>`; when the args came from stack config (index.ts), they
// name the config key, as they always have.
//
// Enumerated values are `const` objects with a type of the same name: the
// pattern Pulumi's component-package schema inference reads as an enum, and a
// literal union for TypeScript callers.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, CONFIG_NAMESPACE, CONFIG_SPEC, ConfigKey, DEFERRED_SECRET, RawConfig } from "../config";
import type { CaTrust } from "../pki/caRotation";
import type { RotationObservation } from "./rotationObservation";

export const SpinnakerServiceName = {
    clouddriver: "clouddriver",
    deck: "deck",
    dinghy: "dinghy",
    echo: "echo",
    fiat: "fiat",
    front50: "front50",
    gate: "gate",
    igor: "igor",
    kayenta: "kayenta",
    orca: "orca",
    rosco: "rosco",
    terraformer: "terraformer",
} as const;
export type SpinnakerServiceName = (typeof SpinnakerServiceName)[keyof typeof SpinnakerServiceName];

export const KeyAlgorithm = { ECDSA: "ECDSA", RSA: "RSA" } as const;
export type KeyAlgorithm = (typeof KeyAlgorithm)[keyof typeof KeyAlgorithm];

export const EcdsaCurve = { P256: "P256", P384: "P384" } as const;
export type EcdsaCurve = (typeof EcdsaCurve)[keyof typeof EcdsaCurve];

export const ClientAuth = { want: "want", need: "need" } as const;
export type ClientAuth = (typeof ClientAuth)[keyof typeof ClientAuth];

export const CaRotation = { none: "none", trustBoth: "trust-both", issueNext: "issue-next", trustNext: "trust-next" } as const;
export type CaRotation = (typeof CaRotation)[keyof typeof CaRotation];

export const RedisMode = { inCluster: "in-cluster", external: "external" } as const;
export type RedisMode = (typeof RedisMode)[keyof typeof RedisMode];

export const GoServicesRedis = { none: "none", tlsOnly: "tls-only" } as const;
export type GoServicesRedis = (typeof GoServicesRedis)[keyof typeof GoServicesRedis];

export const SpinnakerFlavor = { oss: "oss", armory: "armory" } as const;
export type SpinnakerFlavor = (typeof SpinnakerFlavor)[keyof typeof SpinnakerFlavor];

export const SpinnakerServiceMode = { patch: "patch", create: "create" } as const;
export type SpinnakerServiceMode = (typeof SpinnakerServiceMode)[keyof typeof SpinnakerServiceMode];

export const CertificateBackend = { pulumi: "pulumi", certManager: "cert-manager", otterize: "otterize" } as const;
export type CertificateBackend = (typeof CertificateBackend)[keyof typeof CertificateBackend];

export const OtterizeCertificateProvider = { certManager: "cert-manager", spire: "spire", otterizeCloud: "otterize-cloud" } as const;
export type OtterizeCertificateProvider = (typeof OtterizeCertificateProvider)[keyof typeof OtterizeCertificateProvider];

export const IstioInjection = { namespace: "namespace", perService: "per-service" } as const;
export type IstioInjection = (typeof IstioInjection)[keyof typeof IstioInjection];

export const IngressIssuer = { spinnakerCa: "spinnaker-ca", acmeDns01: "acme-dns01" } as const;
export type IngressIssuer = (typeof IngressIssuer)[keyof typeof IngressIssuer];

/**
 * Everything SpinnakerMtls takes. Every argument is optional and defaults as
 * the stack config key of the same name does (docs/configuration.md has each
 * one's meaning and default). The secret ones, `caKeyPem`, `caNextKeyPem` and
 * `redisExternalUrl`, may be Pulumi secrets, and the last deployment's
 * `lastDeployedCaTrust` and `lastDeploymentObserved` may be Outputs;
 * everything else must be known when the component is created, because it
 * decides which resources exist.
 */
export interface SpinnakerMtlsArgs {
    /** Namespace Spinnaker runs in. */
    readonly namespace?: string;
    /** The Spinnaker services to secure. */
    readonly services?: SpinnakerServiceName[];
    /** Key algorithm of the CA and every service key. */
    readonly keyAlgorithm?: KeyAlgorithm;
    /** Curve of every ECDSA key. */
    readonly ecdsaCurve?: EcdsaCurve;
    /** Size of every RSA key: 2048, 3072 or 4096. */
    readonly rsaBits?: number;
    /** Lifetime of a generated root CA, in hours. */
    readonly caValidityHours?: number;
    /** Lifetime of each service certificate, in hours. */
    readonly certValidityHours?: number;
    /** How long before expiry a certificate is re-issued, in hours. */
    readonly renewBeforeHours?: number;
    /** want while rolling mutual TLS out, then need. */
    readonly clientAuth?: ClientAuth;
    /** O= of every certificate. */
    readonly organization?: string;
    /** Extra DNS names as "service:name". */
    readonly extraSans?: string[];
    /** An organisation's CA certificate (PEM) to import instead of generating one; with caKeyPem. */
    readonly caCertPem?: string;
    /** The imported CA's private key (PEM); pass it as a Pulumi secret. */
    readonly caKeyPem?: pulumi.Input<string>;
    /** A CA rotation's phase, one per pulumi up: none, trust-both, issue-next, trust-next (docs/ca-rotation.md). */
    readonly caRotation?: CaRotation;
    /** Which generated CA is current (1, 2, ...); finishing a rotation adds one. */
    readonly caGeneration?: number;
    /** During a rotation, the next CA to import (PEM); unset, the next CA is generated. With caNextKeyPem. */
    readonly caNextCertPem?: string;
    /** The imported next CA's private key (PEM); pass it as a Pulumi secret. */
    readonly caNextKeyPem?: pulumi.Input<string>;
    /**
     * Not a config key: what the stack's last deployment trusted, its `caTrust` output
     * (lastDeployedCaTrust() reads it; in another language, a StackReference of the stack
     * itself). With it, a caRotation step that would fail handshakes is refused before anything
     * in the cluster changes; without it, nothing is judged. A plain value is judged with the
     * other args, an Output when it resolves.
     */
    readonly lastDeployedCaTrust?: pulumi.Input<CaTrust>;
    /**
     * Not a config key: what the cluster showed of the last deployment when caRotation moves
     * (observeLastDeployment() reads it). A step is refused while any consumer has not converged.
     * Left out while lastDeployedCaTrust is an Output, the component reads the cluster itself.
     */
    readonly lastDeploymentObserved?: pulumi.Input<RotationObservation>;
    /** Extra CA certificates (PEM) for the Java services' JVM-wide trust store. */
    readonly jvmExtraCaCertsPem?: string;
    /** in-cluster (a TLS-only Redis this component runs) or external. */
    readonly redisMode?: RedisMode;
    /** Redis image of the in-cluster StatefulSet. */
    readonly redisImage?: string;
    /** Read replicas besides the primary (0 to 5). */
    readonly redisReplicas?: number;
    /** Size of each Redis volume. */
    readonly redisStorageSize?: string;
    /** StorageClass of the Redis volumes. */
    readonly redisStorageClass?: string;
    /** CPU request of each Redis pod. */
    readonly redisCpuRequest?: string;
    /** Memory request of each Redis pod. */
    readonly redisMemoryRequest?: string;
    /** CPU limit of each Redis pod. */
    readonly redisCpuLimit?: string;
    /** Memory limit of each Redis pod (maxmemory is three quarters of it). */
    readonly redisMemoryLimit?: string;
    /** With redisMode external, the rediss:// URL of your Redis; pass it as a Pulumi secret. */
    readonly redisExternalUrl?: pulumi.Input<string>;
    /** With redisMode external, the CA certificate(s) of your Redis when not a public CA. */
    readonly redisExternalCaCertPem?: string;
    /** Java services run fully on SQL (clouddriver, fiat, front50, orca). */
    readonly sqlServices?: SpinnakerServiceName[];
    /** How dinghy and terraformer reach Redis. */
    readonly goServicesRedis?: GoServicesRedis;
    /** Which Operator owns the SpinnakerService. */
    readonly spinnakerFlavor?: SpinnakerFlavor;
    /** metadata.name of the SpinnakerService. */
    readonly spinnakerServiceName?: string;
    /** patch your SpinnakerService, or create one. */
    readonly spinnakerServiceMode?: SpinnakerServiceMode;
    /** With spinnakerServiceMode create, the Spinnaker version. */
    readonly spinnakerVersion?: string;
    /** Take over SpinnakerService fields another field manager set. */
    readonly patchForce?: boolean;
    /** Where pulumi up writes the Halyard files. */
    readonly halyardDir?: string;
    /** The https URL browsers reach Gate at, without an ingress. */
    readonly gateUrl?: string;
    /** The https URL browsers reach Deck at, without an ingress. */
    readonly deckUrl?: string;
    /** Services run as Spinnaker's high-availability split. */
    readonly haServices?: SpinnakerServiceName[];
    /** Your own strategic-merge patches of Spinnaker's Services, as JSON text per service; written beside the program's. */
    readonly spinnakerServicePatches?: string;
    /** Who issues the service certificates. */
    readonly certificateBackend?: CertificateBackend;
    /** With certificateBackend otterize, the operator's certificate provider. */
    readonly otterizeCertificateProvider?: OtterizeCertificateProvider;
    /** With certificateBackend otterize, each certificate's lifetime in hours. */
    readonly otterizeCertTtlHours?: number;
    /** Keep the spin-<svc>-tls Secrets when Pulumi stops managing them. */
    readonly tlsSecretHandover?: boolean;
    /** cert-manager's cluster resource namespace. */
    readonly certManagerNamespace?: string;
    /** Install cert-manager (Helm) for clusters that lack it. */
    readonly certManagerInstall?: boolean;
    /** The cert-manager chart version installed with certManagerInstall. */
    readonly certManagerVersion?: string;
    /** Put Spinnaker in an Istio mesh with STRICT mutual TLS. */
    readonly istio?: boolean;
    /** How sidecars are injected. */
    readonly istioInjection?: IstioInjection;
    /** Also a STRICT PeerAuthentication in the mesh root namespace. */
    readonly istioMeshWideStrict?: boolean;
    /** The mesh root namespace. */
    readonly istioRootNamespace?: string;
    /** The mesh's trust domain. */
    readonly istioTrustDomain?: string;
    /** Default-deny AuthorizationPolicies for Spinnaker. */
    readonly istioAuthorizationPolicy?: boolean;
    /** Declare each Spinnaker Service port's protocol for the mesh. */
    readonly istioServicePortPatch?: boolean;
    /** The public host of the HTTPS ingress for Deck and Gate. */
    readonly ingressHost?: string;
    /** Where the ingress gateway runs. */
    readonly ingressNamespace?: string;
    /** Labels of the ingress gateway pods, "key=value[,key=value]". */
    readonly ingressGatewaySelector?: string;
    /** The ingress gateway's ServiceAccount. */
    readonly ingressGatewayServiceAccount?: string;
    /** Who signs the ingress certificate. */
    readonly ingressIssuer?: IngressIssuer;
    /** With acme-dns01, the ACME account's email. */
    readonly acmeEmail?: string;
    /** With acme-dns01, the ACME directory URL. */
    readonly acmeServer?: string;
    /** With acme-dns01, cert-manager's dns01 solver as JSON text. */
    readonly acmeDns01Solver?: string;
    /** Render mode: write manifests here instead of applying them. */
    readonly renderYamlToDirectory?: string;
    /** The kubeconfig context to deploy to. */
    readonly kubeContext?: string;
}

/** The args that may arrive as Pulumi secrets (Outputs); every other one must be a plain value. */
export const SECRET_ARGS = ["caKeyPem", "caNextKeyPem", "redisExternalUrl"] as const satisfies readonly ConfigKey[];
export type SecretArg = (typeof SECRET_ARGS)[number];

/** The args that are no stack config key: the program hands them over itself. */
export const NON_CONFIG_ARGS = ["lastDeployedCaTrust", "lastDeploymentObserved"] as const;

/** How the component's problems name an argument. */
export const argName = (key: string): string => `args.${key}`;

/**
 * Where args came from, when not from a program's own call: stack config,
 * whose problems name the config keys and whose secret keys the engine
 * reports. Kept off the enumerable properties, so it is never mistaken for an
 * argument (and never serialized).
 */
export const STACK_CONFIG_SOURCE = Symbol("spinnaker-mtls stack config source");
export interface StackConfigSource {
    /** The raw values exactly as the engine handed them over. */
    readonly raw: RawConfig;
    readonly engineSecretKeys: ReadonlySet<string>;
}

/** The raw form of one argument's value, as stack config would hold it. */
function rawValue(value: unknown): string {
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return JSON.stringify(value);
}

export interface RawArgs {
    /** Every key, namespaced as the engine passes config, defaults filled in. */
    readonly raw: RawConfig;
    /** The secret args that arrived as Outputs: checked when their values resolve. */
    readonly deferred: Partial<Record<SecretArg, pulumi.Output<string>>>;
    /** Arguments the component does not know, and values that are no value at all. */
    readonly problems: string[];
}

/**
 * Args to raw config: each given value in its raw form, every other key its
 * default. Pure, apart from recognising Outputs.
 */
export function argsToRawConfig(args: SpinnakerMtlsArgs): RawArgs {
    const raw: Record<string, string> = {};
    const deferred: Partial<Record<SecretArg, pulumi.Output<string>>> = {};
    const problems: string[] = [];
    const given = args as Readonly<Record<string, unknown>>;
    for (const key of Object.keys(given).sort()) {
        if (!(CONFIG_KEYS as readonly string[]).includes(key) && !(NON_CONFIG_ARGS as readonly string[]).includes(key) && given[key] !== undefined) {
            problems.push(`${argName(key)} is not a SpinnakerMtls argument; known: ${CONFIG_KEYS.join(", ")}`);
        }
    }
    for (const key of CONFIG_KEYS) {
        const value = given[key];
        let text: string;
        if (value === undefined || value === null) {
            text = CONFIG_SPEC[key].default;
        } else if (pulumi.Output.isInstance(value) || value instanceof Promise) {
            if ((SECRET_ARGS as readonly string[]).includes(key)) {
                deferred[key as SecretArg] = pulumi.output(value as pulumi.Input<string>);
                text = DEFERRED_SECRET;
            } else {
                problems.push(`${argName(key)} is a Pulumi Output; it decides which resources exist, so it must be a plain value when SpinnakerMtls is created (only the secrets ${SECRET_ARGS.slice(0, -1).join(", ")} and ${SECRET_ARGS[SECRET_ARGS.length - 1]} may be Outputs)`);
                text = CONFIG_SPEC[key].default;
            }
        } else {
            text = rawValue(value);
        }
        raw[`${CONFIG_NAMESPACE}:${key}`] = text;
    }
    return { raw, deferred, problems };
}

/** A raw value in its argument's type, or the raw text when it is not one (validation then names it). */
function typedValue(key: ConfigKey, text: string): unknown {
    switch (CONFIG_SPEC[key].type) {
        case "integer":
            // Only where the round trip gives the same text back, so the checks see what the stack holds.
            return /^[0-9]+$/.test(text) && String(Number(text)) === text ? Number(text) : text;
        case "boolean":
            return text === "true" ? true : text === "false" ? false : text;
        case "array":
            try {
                const parsed: unknown = JSON.parse(text);
                if (Array.isArray(parsed) && parsed.every((v) => typeof v === "string") && JSON.stringify(parsed) === text) return parsed;
            } catch {
                // kept as text: the config check reports it
            }
            return text;
        default:
            return text;
    }
}

/**
 * The component's args from this project's stack config (raw, as the engine
 * hands it over). Keys the stack leaves unset stay unset (the component fills
 * the same defaults); the source rides along, so that problems keep naming the
 * config keys, and values the engine got in plain text are still refused for
 * the secret keys.
 */
export function argsFromStackConfig(raw: RawConfig, engineSecretKeys: ReadonlySet<string>, program: Pick<SpinnakerMtlsArgs, (typeof NON_CONFIG_ARGS)[number]> = {}): SpinnakerMtlsArgs {
    const args: Record<string, unknown> = { ...program };
    for (const key of CONFIG_KEYS) {
        const text = raw[`${CONFIG_NAMESPACE}:${key}`];
        if (text !== undefined) args[key] = typedValue(key, text);
    }
    const source: StackConfigSource = { raw, engineSecretKeys };
    Object.defineProperty(args, STACK_CONFIG_SOURCE, { value: source, enumerable: false });
    return args as SpinnakerMtlsArgs;
}

export function stackConfigSourceOf(args: SpinnakerMtlsArgs): StackConfigSource | undefined {
    return (args as { [STACK_CONFIG_SOURCE]?: StackConfigSource })[STACK_CONFIG_SOURCE];
}
