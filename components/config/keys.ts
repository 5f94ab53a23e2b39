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
    "e2eSkipAwait",
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
    "jvmExtraCaCertsPem",
    "redisStorageClass",
    "redisExternalUrl",
    "redisExternalCaCertPem",
    "spinnakerVersion",
    "halyardDir",
    "gateUrl",
    "deckUrl",
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
export const SECRET_KEYS: ReadonlySet<string> = new Set<ConfigKey>(["caKeyPem", "redisExternalUrl"]);
