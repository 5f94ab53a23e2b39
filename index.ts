// Composition root: read the stack config, build the components, export what
// operators need. No logic of its own lives here.
import * as pulumi from "@pulumi/pulumi";
import { CA_ISSUER, CertManagerCertificate, CertManagerInstall, CertManagerIssuers } from "./components/certmanager";
import { istioPrincipal, loadStackConfig, serviceExtraDnsNames, usesCertManager } from "./components/config";
import { kubernetesProvider } from "./components/kubernetes/provider";
import { skipAwaitTransformation } from "./components/kubernetes/skipAwait";
import { IstioIngress, IstioMesh } from "./components/mesh";
import { OtterizeCredentials, operatorValues } from "./components/otterize";
import {
    CertificateAuthority,
    IssuedIdentity,
    JVM_TRUSTSTORE_SECRET,
    JvmTrustStore,
    SECRET_KEY,
    SERVICE_CATALOG,
    ServiceCertificate,
    ServiceName,
    TlsIdentity,
    clusterLocalHost,
    identityKeySpec,
    identityOf,
} from "./components/pki";
import { ExternalRedis, REDIS_PORT, RedisTls, planRedisClients, redisPodDnsNames, redisUrl } from "./components/redis";
import { JvmOptions, SPINNAKER_SERVICE_API_VERSION, SpinnakerPatches, buildSpinnakerSettings, halyardProperties, secretFilePath } from "./components/spinnaker";

const config = loadStackConfig();
const ns = config.namespace;
if (config.kubernetes.e2eSkipAwait) pulumi.runtime.registerStackTransformation(skipAwaitTransformation);

// Every Kubernetes object goes through this provider (a cluster, or files in render mode).
const k8sProvider = kubernetesProvider("kubernetes", config.kubernetes);
const inCluster = (opts: pulumi.ComponentResourceOptions = {}): pulumi.ComponentResourceOptions => ({ ...opts, providers: [k8sProvider] });
const edge = config.istio.enabled ? config.istio.ingress : undefined;

const ca = new CertificateAuthority("spinnaker-ca", {
    key: config.key,
    organization: config.organization,
    validityHours: config.caValidityHours,
    renewBeforeHours: config.renewBeforeHours,
    imported: config.importedCa,
});

// --- cert-manager, when anything is issued through it ----------------------
const certManagerInstall = config.certManager.install ? new CertManagerInstall("cert-manager", { namespace: config.certManager.namespace, version: config.certManager.version }, inCluster()) : undefined;
const issuers = usesCertManager(config)
    ? new CertManagerIssuers(
          "cert-manager-issuers",
          {
              namespace: config.certManager.namespace,
              caCertPem: ca.certPem,
              caPrivateKeyPem: ca.privateKeyPem,
              acme: edge?.acme ? { ...edge.acme, host: edge.host } : undefined,
          },
          inCluster({ dependsOn: certManagerInstall ? [certManagerInstall.release] : [] }),
      )
    : undefined;

/** Every identity's certificate, from the configured backend; the rest of the program does not care which. */
function issue(identity: TlsIdentity, extraDnsNames?: readonly string[]): IssuedIdentity {
    const common = { identity, namespace: ns, key: identityKeySpec(identity, config.key, config.rsaBits), organization: config.organization, validityHours: config.certValidityHours, renewBeforeHours: config.renewBeforeHours, extraDnsNames };
    if (config.certManager.backend === "otterize") {
        // The operator issues the certificate when a pod carrying these annotations starts.
        return new OtterizeCredentials(`spin-${identity.name}`, { identity, namespace: ns, ttlHours: config.certManager.otterize.certTtlHours, extraDnsNames }, inCluster());
    }
    return config.certManager.backend === "cert-manager"
        ? new CertManagerCertificate(`spin-${identity.name}`, { ...common, issuer: CA_ISSUER }, inCluster({ dependsOn: [issuers!] }))
        : new ServiceCertificate(
              `spin-${identity.name}`,
              { ...common, caCertPem: ca.certPem, caPrivateKeyPem: ca.privateKeyPem, retainSecretOnDelete: config.certManager.tlsSecretHandover },
              inCluster(),
          );
}

const certificates = Object.fromEntries(
    config.services.map((name) => [name, issue(identityOf(SERVICE_CATALOG[name]), serviceExtraDnsNames(name, ns, config.spinnaker, config.extraSans[name]))]),
) as Record<ServiceName, IssuedIdentity>;

// --- Redis -----------------------------------------------------------------
const sidecarLabel = config.istio.enabled && config.istio.injection === "per-service" ? { "sidecar.istio.io/inject": "true" } : undefined;
function tlsRedis(name: string, clientAuth: "yes" | "no", replicas: number, allowedClusters?: string[]): RedisTls {
    const cert = issue({ name, format: "pem" }, redisPodDnsNames(name, ns, replicas));
    return new RedisTls(`spin-${name}`, {
        name,
        namespace: ns,
        image: config.redis.image,
        replicas,
        storageSize: config.redis.storageSize,
        storageClass: config.redis.storageClass,
        resources: config.redis.resources,
        clientAuth,
        allowedClusters,
        podLabels: sidecarLabel,
        tls: { secretName: cert.secretName, checksum: cert.checksum },
        podAnnotations: cert.podAnnotations,
    }, inCluster());
}
const goServices = config.services.filter((s) => SERVICE_CATALOG[s].redis === "go");
const external = config.redis.mode === "external" ? new ExternalRedis("spinnaker-redis", { namespace: ns, url: config.redis.externalUrl! }, inCluster()) : undefined;
const redis = external ? undefined : tlsRedis("redis", "yes", config.redis.replicas);
const goRedis = config.redis.goServices === "tls-only" && goServices.length > 0 ? tlsRedis("redis-go", "no", 0, goServices.map((s) => `spin-${s}`)) : undefined;
const redisPlan = planRedisClients({
    services: config.services,
    sqlServices: config.redis.sqlServices,
    goServices: config.redis.goServices,
    endpoint: external ? { kind: "external", url: external.urlRef } : { kind: "in-cluster", url: redisUrl(clusterLocalHost("redis", ns), REDIS_PORT) },
    goEndpointUrl: goRedis ? redisUrl(clusterLocalHost("redis-go", ns), REDIS_PORT) : undefined,
});

// --- Spinnaker settings: one model for the Operator patch and Halyard files ---
const javaServices = config.services.filter((s) => SERVICE_CATALOG[s].runtime === "java");
const redisJavaClients = javaServices.filter((s) => redisPlan.services[s]?.client === "kork");
const jvmTrustStoreRef = { secret: JVM_TRUSTSTORE_SECRET, key: SECRET_KEY.truststore };
const jvmTrustStorePasswordRef = { secret: JVM_TRUSTSTORE_SECRET, key: SECRET_KEY.truststorePassword };
const settings = buildSpinnakerSettings({
    namespace: ns,
    services: config.services,
    clientAuth: config.clientAuth,
    tls: Object.fromEntries(config.services.map((s) => [s, certificates[s].material])),
    redis: redisPlan,
    jvmTrustStore: javaServices.length > 0 ? { ...jvmTrustStoreRef, passwordKey: jvmTrustStorePasswordRef } : undefined,
    mesh: config.istio.enabled
        ? { perServiceInjection: config.istio.injection === "per-service", servicePortPatch: config.istio.servicePortPatch, edge: edge && { host: edge.host } }
        : undefined,
    // Renewed outside Pulumi (by cert-manager, or by the Otterize operator): Reloader restarts the readers.
    reloadOnSecretChange: config.certManager.backend !== "pulumi",
    browserUrls: { gate: config.spinnaker.gateUrl, deck: config.spinnaker.deckUrl },
    haServices: config.spinnaker.haServices,
});

// --- Java runtime: the JVM-wide trust store and each service's argfile ------
const jvmTrust =
    javaServices.length > 0
        ? new JvmTrustStore("jvm-truststore", {
              namespace: ns,
              caCertPem: ca.certPem,
              extraCasPem: [config.jvmExtraCaCertsPem, config.redis.externalCaCertPem].filter((p): p is string => p !== undefined),
          }, inCluster())
        : undefined;
/** The values behind the string Secret references the settings hold, for Halyard's argfile properties. */
const secretValues = new Map<string, pulumi.Output<string>>();
for (const name of javaServices) {
    const { material, keystorePassword, truststorePassword } = certificates[name];
    secretValues.set(`${material.keystorePassword!.secret}/${material.keystorePassword!.key}`, keystorePassword!);
    secretValues.set(`${material.truststorePassword!.secret}/${material.truststorePassword!.key}`, truststorePassword!);
}
if (external) secretValues.set(`${external.urlRef.secret}/${external.urlRef.key}`, external.url);
if (jvmTrust) secretValues.set(`${jvmTrustStorePasswordRef.secret}/${jvmTrustStorePasswordRef.key}`, jvmTrust.password);
const valueOf = (ref: { secret: string; key: string }) => secretValues.get(`${ref.secret}/${ref.key}`)!;
const jvmOptions = Object.fromEntries(
    javaServices.map((name) => {
        const t = certificates[name].material;
        const redisClient = redisJavaClients.includes(name);
        return [
            name,
            new JvmOptions(`spin-${name}-jvm`, {
                service: name,
                namespace: ns,
                keyStore: redisClient ? { path: secretFilePath(name, { secret: t.secret, key: t.keystore! }), password: valueOf(t.keystorePassword!), type: t.storeType } : undefined,
                trustStore: redisClient && jvmTrust ? { path: secretFilePath(name, jvmTrustStoreRef), password: jvmTrust.password } : undefined,
                properties: Object.fromEntries(Object.entries(halyardProperties(settings, name)).map(([prop, ref]) => [prop, valueOf(ref)])),
            }, inCluster()),
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
    podAnnotations: Object.fromEntries(
        config.services.map((name) => [
            name,
            pulumi.all([
                certificates[name].podAnnotations ?? {},
                pulumi.all({
                    "spinnaker-mtls/tls-checksum": certificates[name].checksum,
                    ...(jvmOptions[name] ? { "spinnaker-mtls/jvm-options-checksum": jvmOptions[name].checksum } : {}),
                    ...(jvmTrust && jvmOptions[name] ? { "spinnaker-mtls/jvm-truststore-checksum": jvmTrust.checksum } : {}),
                }),
            ]).apply(([credentials, checksums]) => ({ ...credentials, ...checksums })),
        ]),
    ),
    halyardDir: config.spinnaker.halyardDir,
    // The pods roll once their TLS Secrets are there (cert-manager's, once its Certificates are Ready).
    after: Object.values(certificates),
}, inCluster());

// --- Istio: the mesh and the ingress for Deck and Gate -----------------------
if (config.istio.enabled) {
    new IstioMesh("istio", {
        namespace: ns,
        injection: config.istio.injection,
        meshWide: config.istio.meshWideStrict ? { rootNamespace: config.istio.rootNamespace } : undefined,
        services: [...config.services, ...(redis ? ["redis", "redis-headless"] : []), ...(goRedis ? ["redis-go", "redis-go-headless"] : [])],
        authorization: config.istio.authorizationPolicy
            ? {
                  ingress: edge && {
                      principal: istioPrincipal(config.istio.trustDomain, edge.namespace, edge.gatewayServiceAccount),
                      targets: (["deck", "gate"] as const).map((s) => ({ cluster: `spin-${s}`, port: SERVICE_CATALOG[s].port })),
                  },
              }
            : undefined,
    }, inCluster());
}
const ingress = edge
    ? new IstioIngress("ingress", {
          host: edge.host,
          namespace: edge.namespace,
          spinnakerNamespace: ns,
          selector: edge.gatewaySelector,
          issuer: issuers!.ingressIssuer,
          validityHours: config.certValidityHours,
          renewBeforeHours: config.renewBeforeHours,
          key: config.key,
          gate: { host: clusterLocalHost("gate", ns), port: SERVICE_CATALOG.gate.port },
          deck: { host: clusterLocalHost("deck", ns), port: SERVICE_CATALOG.deck.port },
          dependsOn: [issuers!],
      }, inCluster())
    : undefined;

// --- Stack outputs: public values only ------------------------------------
export const namespace = config.namespace;
export const clientAuth = config.clientAuth;
export const certificateBackend = config.certManager.backend;
export const caCertificatePem = ca.certPem;
/** backend otterize: the credentials operator's Helm values this stack's certificates assume. */
export const otterizeOperatorValues = config.certManager.backend === "otterize" ? operatorValues(config.certManager.otterize.provider, CA_ISSUER) : "none: certificateBackend is not otterize";
export const caNotAfter = ca.notAfter;
/** Per service: the Secret that holds its files, its SANs and its expiry (issued by Pulumi) or who renews it. Nothing secret. */
export const serviceCertificates = pulumi.output(
    Object.fromEntries(
        config.services.map((name) => {
            const c = certificates[name];
            const renewedBy = config.certManager.backend === "otterize" ? "otterize credentials operator" : "cert-manager";
            return [name, { secretName: c.secretName, dnsNames: c.dnsNames, ...(c.notAfter ? { notAfter: c.notAfter } : { renewedBy }) }];
        }),
    ),
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
// The paths alone: with the otterize backend the files carry a keystore password, the list of their names does not.
export const halyardFilePaths = pulumi.unsecret(spinnaker.halyardFiles.apply((files) => Object.keys(files).sort()));
export const ingressUrl = ingress ? ingress.url : pulumi.output("none: no ingressHost");
