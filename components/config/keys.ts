// Every config key this program reads, without the namespace. Pulumi.yaml
// declares the same set (a test holds the two together), each with its type
// and, unless listed as optional here, a default.

export const CONFIG_NAMESPACE = "spinnaker-mtls";

export const CONFIG_KEYS = [
    // PKI
    "namespace",
    "services",
    "keyAlgorithm",
    "ecdsaCurve",
    "rsaBits",
    "caValidityHours",
    "certValidityHours",
    "renewBeforeHours",
    "clientAuth",
    "organization",
    "extraSans",
    "caCertPem",
    "caKeyPem",
    "caRotation",
    "caGeneration",
    "caNextCertPem",
    "caNextKeyPem",
    "jvmExtraCaCertsPem",
    // Redis
    "redisMode",
    "redisImage",
    "redisReplicas",
    "redisStorageSize",
    "redisStorageClass",
    "redisCpuRequest",
    "redisMemoryRequest",
    "redisCpuLimit",
    "redisMemoryLimit",
    "redisExternalUrl",
    "redisExternalCaCertPem",
    "sqlServices",
    "goServicesRedis",
    // Spinnaker
    "spinnakerFlavor",
    "spinnakerServiceName",
    "spinnakerServiceMode",
    "spinnakerVersion",
    "patchForce",
    "halyardDir",
    "gateUrl",
    "deckUrl",
    "haServices",
    "spinnakerServicePatches",
    // cert-manager
    "certificateBackend",
    "certManagerNamespace",
    "certManagerInstall",
    "certManagerVersion",
    "tlsSecretHandover",
    // Otterize
    "otterizeCertificateProvider",
    "otterizeCertTtlHours",
    // Istio
    "istio",
    "istioInjection",
    "istioMeshWideStrict",
    "istioRootNamespace",
    "istioTrustDomain",
    "istioAuthorizationPolicy",
    "istioServicePortPatch",
    "ingressHost",
    "ingressNamespace",
    "ingressGatewaySelector",
    "ingressGatewayServiceAccount",
    "ingressIssuer",
    "acmeEmail",
    "acmeServer",
    "acmeDns01Solver",
    // Kubernetes
    "renderYamlToDirectory",
    "kubeContext",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/**
 * Keys that may be left unset. Pulumi.yaml gives them the default "" (the
 * Pulumi CLI refuses a stack that leaves a key without a default unset), and
 * the program reads "" as unset.
 */
export const OPTIONAL_KEYS: ReadonlySet<string> = new Set<ConfigKey>([
    "caCertPem",
    "caKeyPem",
    "caNextCertPem",
    "caNextKeyPem",
    "jvmExtraCaCertsPem",
    "redisStorageClass",
    "redisExternalUrl",
    "redisExternalCaCertPem",
    "spinnakerVersion",
    "halyardDir",
    "gateUrl",
    "deckUrl",
    "spinnakerServicePatches",
    "ingressHost",
    "acmeEmail",
    "acmeDns01Solver",
    "renderYamlToDirectory",
    "kubeContext",
]);

/**
 * Keys whose values are secrets: never shown in a message, and refused when the
 * engine did not receive them as secrets. Pulumi.yaml cannot say so itself: a
 * key it marks secret may not have the plain default "" these optional keys need.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set<ConfigKey>(["caKeyPem", "caNextKeyPem", "redisExternalUrl"]);

/** A key's type as Pulumi.yaml declares it. */
export type ConfigKeyType = "string" | "integer" | "boolean" | "array";

/**
 * Every key's type and default, in the raw form the engine hands a program
 * (strings; lists as JSON text). Pulumi.yaml declares the same (a test holds
 * the two together): the CLI fills a stack's defaults from there, and the
 * SpinnakerMtls component, which has no Pulumi.yaml of its own, from here.
 */
export const CONFIG_SPEC: Readonly<Record<ConfigKey, { readonly type: ConfigKeyType; readonly default: string }>> = {
    namespace: { type: "string", default: "spinnaker" },
    services: { type: "array", default: "[\"clouddriver\",\"deck\",\"echo\",\"fiat\",\"front50\",\"gate\",\"igor\",\"orca\",\"rosco\"]" },
    keyAlgorithm: { type: "string", default: "ECDSA" },
    ecdsaCurve: { type: "string", default: "P256" },
    rsaBits: { type: "integer", default: "3072" },
    caValidityHours: { type: "integer", default: "87600" },
    certValidityHours: { type: "integer", default: "2160" },
    renewBeforeHours: { type: "integer", default: "360" },
    clientAuth: { type: "string", default: "need" },
    organization: { type: "string", default: "Spinnaker" },
    extraSans: { type: "array", default: "[]" },
    caCertPem: { type: "string", default: "" },
    caKeyPem: { type: "string", default: "" },
    caRotation: { type: "string", default: "none" },
    caGeneration: { type: "integer", default: "1" },
    caNextCertPem: { type: "string", default: "" },
    caNextKeyPem: { type: "string", default: "" },
    jvmExtraCaCertsPem: { type: "string", default: "" },
    redisMode: { type: "string", default: "in-cluster" },
    redisImage: { type: "string", default: "redis:7.2.7" },
    redisReplicas: { type: "integer", default: "0" },
    redisStorageSize: { type: "string", default: "8Gi" },
    redisStorageClass: { type: "string", default: "" },
    redisCpuRequest: { type: "string", default: "250m" },
    redisMemoryRequest: { type: "string", default: "512Mi" },
    redisCpuLimit: { type: "string", default: "1" },
    redisMemoryLimit: { type: "string", default: "1Gi" },
    redisExternalUrl: { type: "string", default: "" },
    redisExternalCaCertPem: { type: "string", default: "" },
    sqlServices: { type: "array", default: "[]" },
    goServicesRedis: { type: "string", default: "none" },
    spinnakerFlavor: { type: "string", default: "oss" },
    spinnakerServiceName: { type: "string", default: "spinnaker" },
    spinnakerServiceMode: { type: "string", default: "patch" },
    spinnakerVersion: { type: "string", default: "" },
    patchForce: { type: "boolean", default: "false" },
    halyardDir: { type: "string", default: "" },
    gateUrl: { type: "string", default: "" },
    deckUrl: { type: "string", default: "" },
    haServices: { type: "array", default: "[]" },
    spinnakerServicePatches: { type: "string", default: "" },
    certificateBackend: { type: "string", default: "pulumi" },
    otterizeCertificateProvider: { type: "string", default: "cert-manager" },
    otterizeCertTtlHours: { type: "integer", default: "24" },
    tlsSecretHandover: { type: "boolean", default: "false" },
    certManagerNamespace: { type: "string", default: "cert-manager" },
    certManagerInstall: { type: "boolean", default: "false" },
    certManagerVersion: { type: "string", default: "v1.21.2" },
    istio: { type: "boolean", default: "false" },
    istioInjection: { type: "string", default: "namespace" },
    istioMeshWideStrict: { type: "boolean", default: "false" },
    istioRootNamespace: { type: "string", default: "istio-system" },
    istioTrustDomain: { type: "string", default: "cluster.local" },
    istioAuthorizationPolicy: { type: "boolean", default: "true" },
    istioServicePortPatch: { type: "boolean", default: "false" },
    ingressHost: { type: "string", default: "" },
    ingressNamespace: { type: "string", default: "istio-system" },
    ingressGatewaySelector: { type: "string", default: "istio=ingressgateway" },
    ingressGatewayServiceAccount: { type: "string", default: "istio-ingressgateway-service-account" },
    ingressIssuer: { type: "string", default: "spinnaker-ca" },
    acmeEmail: { type: "string", default: "" },
    acmeServer: { type: "string", default: "https://acme-v02.api.letsencrypt.org/directory" },
    acmeDns01Solver: { type: "string", default: "" },
    renderYamlToDirectory: { type: "string", default: "" },
    kubeContext: { type: "string", default: "" },
};
