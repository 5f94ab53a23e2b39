// Composition root: read the stack config, build the components, export what
// operators need. No logic of its own lives here.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./components/config";
import { CertificateAuthority, JVM_TRUSTSTORE_SECRET, JvmTrustStore, SECRET_KEY, SERVICE_CATALOG, ServiceCertificate, ServiceName, identityOf } from "./components/pki";
import { ExternalRedis, REDIS_PORT, RedisTls, planRedisClients, redisPodDnsNames, redisServiceHost, redisUrl } from "./components/redis";
import {
    JvmOptions,
    SPINNAKER_SERVICE_API_VERSION,
    SpinnakerPatches,
    TlsMaterial,
    buildSpinnakerSettings,
    halyardProperties,
    pulumiTlsMaterial,
    secretFilePath,
} from "./components/spinnaker";

const config = loadStackConfig();
const ns = config.namespace;
const pkiArgs = {
    key: config.key,
    organization: config.organization,
    validityHours: config.certValidityHours,
    renewBeforeHours: config.renewBeforeHours,
};

const ca = new CertificateAuthority("spinnaker-ca", {
    key: config.key,
    organization: config.organization,
    validityHours: config.caValidityHours,
    renewBeforeHours: config.renewBeforeHours,
    imported: config.importedCa,
});
const caArgs = { namespace: ns, caCertPem: ca.certPem, caPrivateKeyPem: ca.privateKeyPem, ...pkiArgs };

const certificates = Object.fromEntries(
    config.services.map((name) => [
        name,
        new ServiceCertificate(`spin-${name}`, { ...caArgs, identity: identityOf(SERVICE_CATALOG[name]), extraDnsNames: config.extraSans[name] }),
    ]),
);

// --- Redis -----------------------------------------------------------------
const redisArgs = {
    namespace: ns,
    image: config.redis.image,
    storageSize: config.redis.storageSize,
    storageClass: config.redis.storageClass,
    resources: config.redis.resources,
};
function tlsRedis(name: string, clientAuth: "yes" | "no", replicas: number, allowedClusters?: string[]): RedisTls {
    const cert = new ServiceCertificate(`spin-${name}`, { ...caArgs, identity: { name, format: "pem" }, extraDnsNames: redisPodDnsNames(name, ns, replicas) });
    return new RedisTls(`spin-${name}`, { ...redisArgs, name, replicas, clientAuth, allowedClusters, tls: { secretName: cert.secretName, checksum: cert.checksum } });
}
const goServices = config.services.filter((s) => SERVICE_CATALOG[s].redis === "go");
const external = config.redis.mode === "external" ? new ExternalRedis("spinnaker-redis", { namespace: ns, url: config.redis.externalUrl! }) : undefined;
const redis = external ? undefined : tlsRedis("redis", "yes", config.redis.replicas);
const goRedis = config.redis.goServices === "tls-only" && goServices.length > 0 ? tlsRedis("redis-go", "no", 0, goServices.map((s) => `spin-${s}`)) : undefined;
const redisPlan = planRedisClients({
    services: config.services,
    sqlServices: config.redis.sqlServices,
    goServices: config.redis.goServices,
    endpoint: external ? { kind: "external", url: external.urlRef } : { kind: "in-cluster", url: redisUrl(redisServiceHost("redis", ns), REDIS_PORT) },
    goEndpointUrl: goRedis ? redisUrl(redisServiceHost("redis-go", ns), REDIS_PORT) : undefined,
});

// --- Spinnaker settings: one model for the Operator patch and Halyard files ---
const javaServices = config.services.filter((s) => SERVICE_CATALOG[s].runtime === "java");
const redisJavaClients = javaServices.filter((s) => redisPlan.services[s]?.client === "kork");
const tls: Partial<Record<ServiceName, TlsMaterial>> = Object.fromEntries(config.services.map((s) => [s, pulumiTlsMaterial(s, identityOf(SERVICE_CATALOG[s]).format)]));
const jvmTrustStoreRef = { secret: JVM_TRUSTSTORE_SECRET, key: SECRET_KEY.truststore };
const settings = buildSpinnakerSettings({
    namespace: ns,
    services: config.services,
    clientAuth: config.clientAuth,
    tls,
    redis: redisPlan,
    jvmTrustStore: redisJavaClients.length > 0 ? jvmTrustStoreRef : undefined,
});

// --- Java runtime: the JVM-wide trust store and each service's argfile ------
const jvmTrust =
    redisJavaClients.length > 0
        ? new JvmTrustStore("jvm-truststore", {
              namespace: ns,
              caCertPem: ca.certPem,
              extraCasPem: [config.jvmExtraCaCertsPem, config.redis.externalCaCertPem].filter((p): p is string => p !== undefined),
          })
        : undefined;
/** The values behind the string Secret references the settings hold, for Halyard's argfile properties. */
const secretValues = new Map<string, pulumi.Output<string>>();
for (const name of javaServices) {
    const t = tls[name]!;
    secretValues.set(`${t.keystorePassword!.secret}/${t.keystorePassword!.key}`, certificates[name].keystorePassword!);
    secretValues.set(`${t.truststorePassword!.secret}/${t.truststorePassword!.key}`, certificates[name].truststorePassword!);
}
if (external) secretValues.set(`${external.urlRef.secret}/${external.urlRef.key}`, external.url);
const jvmOptions = Object.fromEntries(
    javaServices.map((name) => {
        const t = tls[name]!;
        const redisClient = redisJavaClients.includes(name);
        return [
            name,
            new JvmOptions(`spin-${name}-jvm`, {
                service: name,
                namespace: ns,
                keyStore: redisClient ? { path: secretFilePath(name, { secret: t.secret, key: t.keystore! }), password: secretValues.get(`${t.keystorePassword!.secret}/${t.keystorePassword!.key}`)! } : undefined,
                trustStore: redisClient && jvmTrust ? { path: secretFilePath(name, jvmTrustStoreRef), password: jvmTrust.password } : undefined,
                properties: Object.fromEntries(Object.entries(halyardProperties(settings, name)).map(([prop, ref]) => [prop, secretValues.get(`${ref.secret}/${ref.key}`)!])),
            }),
        ];
    }),
);

const spinnaker = new SpinnakerPatches("spinnaker", {
    flavor: config.spinnaker.flavor,
    name: config.spinnaker.serviceName,
    namespace: ns,
    mode: config.spinnaker.mode,
    version: config.spinnaker.version,
    force: config.spinnaker.patchForce,
    settings,
    podChecksums: Object.fromEntries(
        config.services.map((name) => [
            name,
            {
                "spinnaker-mtls/tls-checksum": certificates[name].checksum,
                ...(jvmOptions[name] ? { "spinnaker-mtls/jvm-options-checksum": jvmOptions[name].checksum } : {}),
                ...(jvmTrust && redisJavaClients.includes(name) ? { "spinnaker-mtls/jvm-truststore-checksum": jvmTrust.checksum } : {}),
            },
        ]),
    ),
    halyardDir: config.spinnaker.halyardDir,
});

// --- Stack outputs: public values only ------------------------------------
export const namespace = config.namespace;
export const clientAuth = config.clientAuth;
export const caCertificatePem = ca.certPem;
export const caNotAfter = ca.notAfter;
/** Per service: the Secret that holds its files, its SANs and its expiry. Nothing secret. */
export const serviceCertificates = pulumi.output(
    Object.fromEntries(config.services.map((name) => [name, { secretName: certificates[name].secretName, notAfter: certificates[name].notAfter, dnsNames: certificates[name].dnsNames }])),
);
export const redisEndpoint = redis ? redis.url : pulumi.output(`external (URL in Secret ${external!.urlRef.secret}, key ${external!.urlRef.key})`);
export const goServicesRedisEndpoint = goRedis ? goRedis.url : pulumi.output("none: no Go service is enabled");
/** Per service: how it reaches Redis. */
export const redisClients = Object.fromEntries(
    Object.entries(redisPlan.services).map(([name, plan]) => [name, plan!.client === "none" ? { client: "none", reason: plan!.reason } : { client: plan!.client }]),
);
export const jvmOptionsSecrets = Object.fromEntries(Object.entries(jvmOptions).map(([name, o]) => [name, o.secretName]));
export const spinnakerService = {
    apiVersion: SPINNAKER_SERVICE_API_VERSION[config.spinnaker.flavor],
    name: config.spinnaker.serviceName,
    namespace: ns,
    mode: config.spinnaker.mode,
};
/** The Halyard files (paths under the deployment folder); written to halyardDir when it is set. */
export const halyardFilePaths = spinnaker.halyardFiles.apply((files) => Object.keys(files).sort());
