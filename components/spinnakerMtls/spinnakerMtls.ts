// SpinnakerMtls: mutual TLS for every Spinnaker service, as one component a
// program installs and creates. It validates its args before it registers
// anything, then composes the parts: the CA, each service's certificate from
// the configured backend, Redis, the Spinnaker settings with the JVM's trust
// and each Java service's argfile, the SpinnakerService patch, and the Istio
// mesh and ingress.
//
// Its children keep the names they had when this project's index.ts composed
// them at the stack root, and each top-level child carries an alias to that
// old place, so an existing stack's next `pulumi up` moves them into the
// component without replacing anything. Those fixed names are also why a
// stack holds one SpinnakerMtls: a second would want the same Kubernetes
// objects in the same namespace.
import * as pulumi from "@pulumi/pulumi";
import { CertManagerCertificate, caIssuerName, CertManagerInstall, CertManagerIssuers } from "../certmanager";
import {
    StackConfig,
    StackConfigError,
    externalUrlProblems,
    NEXT_CA_KEYS,
    importedCaKeyProblems,
    istioPrincipal,
    parseStackConfig,
    serviceExtraDnsNames,
    usesCertManager,
    withKeyNames,
} from "../config";
import { kubernetesProvider } from "../kubernetes/provider";
import { NO_KUBELET_ENV, e2eNoKubelet, skipAwaitTransformation } from "../kubernetes/skipAwait";
import { IstioIngress, IstioMesh } from "../mesh";
import { OtterizeCredentials, operatorValues } from "../otterize";
import { CA_TRUST_SECRET, CaTrustBundle, CertificateAuthority, IssuedIdentity, JVM_TRUSTSTORE_SECRET, JvmTrustStore, SECRET_KEY, ServiceCertificate, TlsIdentity, identityKeySpec, identityOf, rootSignedSecretName } from "../pki";
import { CaRole, CaTrust, FORCE_CA_ROTATION_ENV, PHASE_PLAN, caResourceName, caRotationGateProblems, parseCaTrust, phaseRoles } from "../pki/caRotation";
import { fq } from "../config/reader";
import { CA_TRUST_CHECKSUM_ANNOTATION, TLS_CHECKSUM_ANNOTATION } from "../pki/rotationStatus";
import { plannedCaTrust } from "./caTrustPlan";
import { permittedDnsNames } from "./permittedDnsNames";
import { RotationObservation, observeLastDeployment } from "./rotationObservation";
import { ExternalRedis, REDIS_PORT, RedisTls, planRedisClients, redisPodDnsNames, redisUrl } from "../redis";
import { GATE_API_SERVICE, GateApiService, JvmOptions, SPINNAKER_SERVICE_API_VERSION, SpinnakerPatches, buildSpinnakerSettings, halyardProperties, secretFilePath } from "../spinnaker";
import { SERVICE_CATALOG, ServiceName, clusterLocalHost } from "../../lib/catalog/serviceCatalog";
import { SpinnakerMtlsArgs, argName, argsToRawConfig, stackConfigSourceOf } from "./spinnakerMtlsArgs";

/** Per service: the Secret holding its files, its SANs, and its expiry or who renews it. Nothing secret. */
export interface ServiceCertificateInfo {
    secretName: string;
    dnsNames: string[];
    /** RFC 3339 expiry, when this component issues the certificate (backend pulumi). */
    notAfter?: string;
    /** Who renews it otherwise: cert-manager, or the Otterize credentials operator. */
    renewedBy?: string;
}

/** How one service reaches Redis. */
export interface RedisClientInfo {
    /** kork, go, or none. */
    client: string;
    /** With client none: why the service is not a Redis client. */
    reason?: string;
}

/** The SpinnakerService the component patches or creates. */
export interface SpinnakerServiceRef {
    apiVersion: string;
    name: string;
    namespace: string;
    mode: string;
}

/** A problem with SpinnakerMtls's args: every problem at once, no stack trace. */
export class SpinnakerMtlsArgsError extends pulumi.RunError {
    constructor(
        resourceName: string,
        readonly problems: readonly string[],
    ) {
        super(`Invalid SpinnakerMtls args for "${resourceName}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "SpinnakerMtlsArgsError";
    }
}

/**
 * The validated configuration: from stack config, the checks and messages the
 * stack config has always had (config key names, the engine's secret keys);
 * from a program's own args, the same checks naming `args.<key>`.
 */
function validate(
    name: string,
    args: SpinnakerMtlsArgs,
    now: Date,
): { config: StackConfig; secrets: { caKeyPem?: pulumi.Input<string>; caNextKeyPem?: pulumi.Input<string>; redisExternalUrl?: pulumi.Input<string> }; gate?: pulumi.Output<pulumi.Resource[]> } {
    const source = stackConfigSourceOf(args);
    const { raw, deferred, problems } = argsToRawConfig(args);
    // The rotation gate's inputs as plain values are judged now, with everything else. As Outputs (a
    // StackReference's, in another language's program) they are judged once they resolve: the gate is
    // then what the Kubernetes provider waits for, so a refused step changes nothing in the cluster,
    // and it fails the run with the error and the message the plain values would have given.
    const { lastDeployedCaTrust, lastDeploymentObserved } = args;
    const gateDeferred = unresolved(lastDeployedCaTrust) || unresolved(lastDeploymentObserved);
    const deferredGate = (config: StackConfig, named: (gate: () => string[]) => string[], fail: (problems: string[]) => Error): pulumi.Output<pulumi.Resource[]> =>
        pulumi.all([lastDeployedCaTrust, lastDeploymentObserved]).apply(async ([last, observed]) => {
            // Other languages have no observeLastDeployment(): left out, the component reads the cluster itself.
            const seen = lastDeploymentObserved === undefined ? await observeLastDeployment(args, last) : observed;
            const found = named(() => rotationGate(config, last, seen));
            if (found.length > 0) throw fail(found);
            return [];
        });
    if (source) {
        // The engine's own keys as well: a stack's misspelt key is no arg at all, and must still be reported.
        const config = parseStackConfig({ ...source.raw, ...raw }, now, source.engineSecretKeys);
        if (gateDeferred) return { config, secrets: {}, gate: deferredGate(config, (gate) => gate(), (found) => new StackConfigError(found)) };
        const gate = rotationGate(config, lastDeployedCaTrust as CaTrust | undefined, lastDeploymentObserved as RotationObservation | undefined);
        if (gate.length > 0) throw new StackConfigError(gate);
        return { config, secrets: {} };
    }
    let config: StackConfig | undefined;
    try {
        config = withKeyNames(argName, () => parseStackConfig(raw, now));
    } catch (e) {
        if (!(e instanceof StackConfigError)) throw e;
        problems.push(...e.problems);
    }
    if (config && !gateDeferred) problems.push(...withKeyNames(argName, () => rotationGate(config!, lastDeployedCaTrust as CaTrust | undefined, lastDeploymentObserved as RotationObservation | undefined)));
    if (problems.length > 0 || !config) throw new SpinnakerMtlsArgsError(name, problems);
    // Secret args that are Outputs get their checks when they resolve, before any resource reads them.
    const checked = (value: pulumi.Output<string>, check: (v: string) => string[]) =>
        pulumi.secret(value.apply((v) => {
            const found = withKeyNames(argName, () => check(v));
            if (found.length > 0) throw new SpinnakerMtlsArgsError(name, found);
            return v;
        }));
    return {
        config,
        secrets: {
            ...(deferred.caKeyPem ? { caKeyPem: checked(deferred.caKeyPem, (k) => importedCaKeyProblems(config!.importedCa!.certPem, k)) } : {}),
            ...(deferred.caNextKeyPem ? { caNextKeyPem: checked(deferred.caNextKeyPem, (k) => importedCaKeyProblems(config!.nextImportedCa!.certPem, k, NEXT_CA_KEYS)) } : {}),
            ...(deferred.redisExternalUrl ? { redisExternalUrl: checked(deferred.redisExternalUrl, externalUrlProblems) } : {}),
        },
        ...(gateDeferred ? { gate: deferredGate(config, (gate) => withKeyNames(argName, gate), (found) => new SpinnakerMtlsArgsError(name, found)) } : {}),
    };
}

/**
 * The gate of a CA rotation: against the last deployment's trust (a malformed record is the same as
 * none), and, when the step moves the trust, against what the cluster showed of the last deployment.
 */
function rotationGate(config: StackConfig, lastDeployed: unknown, observed: RotationObservation | undefined): string[] {
    const forced = process.env[FORCE_CA_ROTATION_ENV];
    const problems = caRotationGateProblems(parseCaTrust(lastDeployed), plannedCaTrust(config), config.caRotation, forced);
    if (problems.length > 0 || !observed || forced === config.caRotation) return problems;
    const force = `to go on knowingly, for one pulumi up, set ${FORCE_CA_ROTATION_ENV}=${config.caRotation}`;
    if (observed.error) {
        return [`${fq("caRotation")} is "${config.caRotation}", a step from the last deployment, and whether the cluster has converged on the last one could not be read: ${observed.error}; ${force}`];
    }
    const behind = (observed.consumers ?? []).filter((c) => !c.converged);
    if (behind.length === 0) return [];
    return [
        `${fq("caRotation")} is "${config.caRotation}", a step from the last deployment, but the cluster (${observed.server}) has not converged on the last one: ` +
            behind.map((c) => `${c.consumer}: ${c.notes.join("; ")}`).join(" | ") +
            `. Wait for the pods to restart (npm run rotation -- status shows each consumer), then run pulumi up again; ${force}`,
    ];
}

/** Whether a value holds an Output or a promise anywhere: a component package's inputs can nest them. */
function unresolved(value: unknown): boolean {
    if (pulumi.Output.isInstance(value) || value instanceof Promise) return true;
    if (Array.isArray(value)) return value.some(unresolved);
    return typeof value === "object" && value !== null && Object.values(value).some(unresolved);
}

/** PEM bundles one after the other, each ending in a newline; a single bundle exactly as given. */
function concatPem(pems: string[]): string {
    return pems.length === 1 ? pems[0] : pems.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}

export class SpinnakerMtls extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:index:SpinnakerMtls";

    /** The namespace Spinnaker runs in. */
    public readonly namespace: pulumi.Output<string>;
    /** want or need. */
    public readonly clientAuth: pulumi.Output<string>;
    /** Who issues the service certificates: pulumi, cert-manager or otterize. */
    public readonly certificateBackend: pulumi.Output<string>;
    /** The CA certificates every store holds (PEM, public): during a rotation, both CAs. */
    public readonly caCertificatePem: pulumi.Output<string>;
    /** The expiry (RFC 3339) of the CA that signs the certificates. */
    public readonly caNotAfter: pulumi.Output<string>;
    /**
     * Which CAs the stores trust and which one signs, by identity (an imported CA's fingerprint, a
     * generated CA's generation and make): what the next deployment's caRotation is judged against.
     */
    public readonly caTrust: pulumi.Output<CaTrust>;
    /**
     * The last deployment's caTrust this deployment was judged against (args.lastDeployedCaTrust);
     * this deployment's own caTrust when there was none to judge by. The policy pack's ca-rotation-step reads it.
     */
    public readonly lastDeployedCaTrust: pulumi.Output<CaTrust>;
    /**
     * With the otterize backend, the credentials operator's Helm values this component assumes (an
     * object); otherwise a sentence saying why there are none. Any, as the stack output always was.
     */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an object or a sentence, see above
    public readonly otterizeOperatorValues: pulumi.Output<any>;
    /** Per service: its Secret, SANs and expiry or renewer. */
    public readonly serviceCertificates: pulumi.Output<Record<string, ServiceCertificateInfo>>;
    /** The in-cluster Redis URL, or where the external one's URL is kept. */
    public readonly redisEndpoint: pulumi.Output<string>;
    /** The Go services' TLS-only Redis, when they are enabled. */
    public readonly goServicesRedisEndpoint: pulumi.Output<string>;
    /** Per service: how it reaches Redis. */
    public readonly redisClients: pulumi.Output<Record<string, RedisClientInfo>>;
    /** Per Java service: the Secret holding its JVM argfile. */
    public readonly jvmOptionsSecrets: pulumi.Output<Record<string, string>>;
    /** The SpinnakerService patched or created. */
    public readonly spinnakerService: pulumi.Output<SpinnakerServiceRef>;
    /** The Halyard files' paths under the deployment folder. */
    public readonly halyardFilePaths: pulumi.Output<string[]>;
    /** The ingress URL, or why there is none. */
    public readonly ingressUrl: pulumi.Output<string>;
    /** The in-cluster URL of Gate's client-certificate port (without the ingress), or why there is none. */
    public readonly gateApiUrl: pulumi.Output<string>;

    constructor(name: string, args: SpinnakerMtlsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        // Everything is checked before the component itself exists.
        const { config, secrets, gate } = validate(name, args, new Date());
        if (e2eNoKubelet()) {
            opts = { ...opts, transformations: [...(opts.transformations ?? []), skipAwaitTransformation] };
        }
        super(SpinnakerMtls.TYPE, name, {}, opts);
        if (e2eNoKubelet()) {
            pulumi.log.warn(`${NO_KUBELET_ENV}=1: the end-to-end tests' switch is on, and pulumi up will not wait for any workload or Service; unset it outside the e2e`, this);
        }
        const ns = config.namespace;
        if (config.spinnaker.portForwardUrls?.length) {
            const urls = config.spinnaker.portForwardUrls.map((k) => `${k} ${config.spinnaker[k]}`).join(", ");
            pulumi.log.info(`no ingress and no browser URL set: ${urls}, through kubectl port-forward (docs/spinnaker.md); set gateUrl and deckUrl to your own load balancer's URLs instead`, this);
        }
        // Each top-level child once sat at the stack root (see the header).
        const child = (o: pulumi.ComponentResourceOptions = {}): pulumi.ComponentResourceOptions => ({ ...o, parent: this, aliases: [{ parent: pulumi.rootStackResource }] });

        // Every Kubernetes object goes through this provider (a cluster, or files in render mode).
        const k8sProvider = kubernetesProvider("kubernetes", config.kubernetes, { parent: this, aliases: [{ parent: pulumi.rootStackResource }], ...(gate ? { dependsOn: gate } : {}) });
        const inCluster = (o: pulumi.ComponentResourceOptions = {}): pulumi.ComponentResourceOptions => child({ ...o, providers: [k8sProvider] });
        const edge = config.istio.enabled ? config.istio.ingress : undefined;

        if (process.env[FORCE_CA_ROTATION_ENV] === config.caRotation) {
            pulumi.log.warn(`${FORCE_CA_ROTATION_ENV}=${config.caRotation}: caRotation is not judged against the last deployment; handshakes may fail until every pod has restarted (docs/ca-rotation.md)`, this);
        }
        // Behind the ingress Deck serves plain HTTP to its sidecar and calls nothing: a certificate
        // there would be mounted by nobody, and its renewals would restart Deck for nothing.
        const certified = config.services.filter((s) => !(edge && s === "deck"));
        // Without the ingress, Gate's client-certificate port (default.apiPort) needs a Service of its own (gateApiService.ts).
        const gateApi = config.services.includes("gate") && !edge;
        const serviceExtras = Object.fromEntries(certified.map((s) => [s, serviceExtraDnsNames(s, ns, config.spinnaker, config.extraSans[s], gateApi)])) as Partial<Record<ServiceName, string[]>>;
        // A generated CA permits the namespace's names and the external names the stack issues (nameConstrainedCa.ts).
        const caPermittedDnsNames = permittedDnsNames({
            namespace: ns,
            externalNames: [...certified.flatMap((s) => serviceExtras[s]!), ...(edge && !edge.acme ? [edge.host] : [])],
        });

        // The CAs this phase needs: the current one (gone at trust-next), and during a rotation the next one,
        // each named by its generation, so that finishing (caGeneration + 1) renames nothing.
        const caFor = (role: CaRole): CertificateAuthority => {
            const imported = role === "current" ? config.importedCa : config.nextImportedCa;
            const keyPem = role === "current" ? secrets.caKeyPem : secrets.caNextKeyPem;
            return new CertificateAuthority(caResourceName(config.caGeneration + (role === "next" ? 1 : 0)), {
                key: config.key,
                organization: config.organization,
                validityHours: config.caValidityHours,
                renewBeforeHours: config.renewBeforeHours,
                imported: imported && { certPem: imported.certPem, keyPem: keyPem ?? imported.keyPem },
                permittedDnsNames: imported ? undefined : caPermittedDnsNames,
            }, child());
        };
        const cas = Object.fromEntries(phaseRoles(config.caRotation).map((r) => [r, caFor(r)])) as Partial<Record<CaRole, CertificateAuthority>>;
        const phase = PHASE_PLAN[config.caRotation];
        /** The CA that signs every certificate issued now. */
        const ca = cas[phase.signer]!;
        /** What every store holds: each trusted CA's bundle, current first. */
        const trustBundlePem = pulumi.all(phase.trusted.map((r) => cas[r]!.certPem)).apply(concatPem);

        // --- cert-manager, when anything is issued through it ----------------------
        const certManagerInstall = config.certManager.install
            ? new CertManagerInstall("cert-manager", { namespace: config.certManager.namespace, version: config.certManager.version }, inCluster())
            : undefined;
        const issuers = usesCertManager(config)
            ? new CertManagerIssuers(
                  "cert-manager-issuers",
                  {
                      namespace: ns,
                      services: config.certManager.backend === "cert-manager" || (config.certManager.backend === "otterize" && config.certManager.otterize.provider === "cert-manager"),
                      caCertPem: ca.signerCertPem,
                      caPrivateKeyPem: ca.privateKeyPem,
                      caIntermediatesPem: ca.intermediatesPem,
                      caRootCertPem: ca.rootCertPem,
                      // Each CA has an Issuer of its own, so that issue-next re-issues every Certificate at once.
                      caGeneration: config.caGeneration + (phase.signer === "next" ? 1 : 0),
                      ingress: edge && { namespace: edge.namespace, acme: edge.acme ? { ...edge.acme, host: edge.host } : undefined },
                  },
                  inCluster({ dependsOn: certManagerInstall ? [certManagerInstall.release] : [] }),
              )
            : undefined;

        // With cert-manager's certificates, the CAs every consumer trusts come from the program, in one Secret:
        // cert-manager's own ca.crt holds only its issuer's CA, never both during a rotation (caTrustBundle.ts).
        const trustBundle = config.certManager.backend === "cert-manager" ? new CaTrustBundle("ca-trust", { namespace: ns, caCertPem: trustBundlePem }, inCluster()) : undefined;
        const trust = trustBundle && { secretName: CA_TRUST_SECRET, truststorePassword: trustBundle.password };

        /** Every identity's certificate, from the configured backend; the rest of the component does not care which. */
        const issue = (identity: TlsIdentity, extraDnsNames?: readonly string[]): IssuedIdentity => {
            const common = { identity, namespace: ns, key: identityKeySpec(identity, config.key, config.rsaBits), organization: config.organization, validityHours: config.certValidityHours, renewBeforeHours: config.renewBeforeHours, extraDnsNames };
            /** Issued here by the program, signed by `signer` (the leaf carries `intermediatesPem` after itself). */
            const programIssued = (signer: { certPem: pulumi.Output<string>; privateKeyPem: pulumi.Output<string>; intermediatesPem?: pulumi.Output<string> }, secret: { retainSecretOnDelete?: boolean; secretName?: string }) =>
                new ServiceCertificate(
                    `spin-${identity.name}`,
                    { ...common, caCertPem: signer.certPem, caPrivateKeyPem: signer.privateKeyPem, intermediatesPem: signer.intermediatesPem, trustBundlePem, rootCertPem: ca.rootCertPem, ...secret },
                    inCluster(),
                );
            const handover = { retainSecretOnDelete: config.certManager.tlsSecretHandover };
            if (identity.presentsLeafOnly && ca.leafOnlySigner) {
                // Its peers' stores hold the root alone, and it sends no chain: the root signs its leaf, here,
                // whatever the backend, since the root's key never goes into the cluster (certificateAuthority.ts).
                // Beside cert-manager or the operator its Secret has a name of its own (rootSignedSecretName).
                return programIssued(ca.leafOnlySigner, config.certManager.backend === "pulumi" ? handover : { secretName: rootSignedSecretName(identity.name) });
            }
            if (config.certManager.backend === "otterize") {
                // The operator issues the certificate when a pod carrying these annotations starts.
                return new OtterizeCredentials(`spin-${identity.name}`, { identity, namespace: ns, ttlHours: config.certManager.otterize.certTtlHours, extraDnsNames }, inCluster());
            }
            return config.certManager.backend === "cert-manager"
                ? new CertManagerCertificate(`spin-${identity.name}`, { ...common, issuer: issuers!.caIssuerName, trust }, inCluster({ dependsOn: [issuers!, ...(trustBundle ? [trustBundle] : [])] }))
                : programIssued({ certPem: ca.signerCertPem, privateKeyPem: ca.privateKeyPem, intermediatesPem: ca.intermediatesPem }, handover);
        };

        const certificates = Object.fromEntries(certified.map((s) => [s, issue(identityOf(SERVICE_CATALOG[s]), serviceExtras[s])])) as Partial<Record<ServiceName, IssuedIdentity>>;

        // --- Redis -----------------------------------------------------------------
        const sidecarLabel = config.istio.enabled && config.istio.injection === "per-service" ? { "sidecar.istio.io/inject": "true" } : undefined;
        const tlsRedis = (redisName: string, clientAuth: "yes" | "no", replicas: number, allowedClusters?: string[]): RedisTls => {
            const cert = issue({ name: redisName, format: "pem" }, redisPodDnsNames(redisName, ns, replicas));
            return new RedisTls(`spin-${redisName}`, {
                name: redisName,
                namespace: ns,
                image: config.redis.image,
                replicas,
                storageSize: config.redis.storageSize,
                storageClass: config.redis.storageClass,
                resources: config.redis.resources,
                clientAuth,
                allowedClusters,
                podLabels: sidecarLabel,
                tls: { secretName: cert.secretName, trustSecretName: cert.material.trustSecret },
                podAnnotations: cert.podAnnotations,
            }, inCluster());
        };
        const goServices = config.services.filter((s) => SERVICE_CATALOG[s].redis === "go");
        const external = config.redis.mode === "external"
            ? new ExternalRedis("spinnaker-redis", { namespace: ns, url: secrets.redisExternalUrl ?? config.redis.externalUrl! }, inCluster())
            : undefined;
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
            tls: Object.fromEntries(certified.map((s) => [s, certificates[s]!.material])),
            redis: redisPlan,
            jvmTrustStore: javaServices.length > 0 ? { ...jvmTrustStoreRef, passwordKey: jvmTrustStorePasswordRef } : undefined,
            mesh: config.istio.enabled
                ? { perServiceInjection: config.istio.injection === "per-service", servicePortPatch: config.istio.servicePortPatch, edge: edge && { host: edge.host } }
                : undefined,
            // Renewed outside Pulumi (by cert-manager, or by the Otterize operator): Reloader restarts the readers.
            reloadOnSecretChange: config.certManager.backend !== "pulumi",
            browserUrls: { gate: config.spinnaker.gateUrl, deck: config.spinnaker.deckUrl },
            haServices: config.spinnaker.haServices,
            userServicePatches: config.spinnaker.servicePatches,
        });

        // --- Java runtime: the JVM-wide trust store and each service's argfile ------
        const jvmTrust =
            javaServices.length > 0
                ? new JvmTrustStore("jvm-truststore", {
                      namespace: ns,
                      caCertPem: trustBundlePem,
                      extraCasPem: [config.jvmExtraCaCertsPem, config.redis.externalCaCertPem].filter((p): p is string => p !== undefined),
                  }, inCluster())
                : undefined;
        /** The values behind the string Secret references the settings hold, for Halyard's argfile properties. */
        const secretValues = new Map<string, pulumi.Output<string>>();
        for (const s of javaServices) {
            const { material, keystorePassword, truststorePassword } = certificates[s]!;
            secretValues.set(`${material.keystorePassword!.secret}/${material.keystorePassword!.key}`, keystorePassword!);
            secretValues.set(`${material.truststorePassword!.secret}/${material.truststorePassword!.key}`, truststorePassword!);
        }
        if (external) secretValues.set(`${external.urlRef.secret}/${external.urlRef.key}`, external.url);
        if (jvmTrust) secretValues.set(`${jvmTrustStorePasswordRef.secret}/${jvmTrustStorePasswordRef.key}`, jvmTrust.password);
        const valueOf = (ref: { secret: string; key: string }) => secretValues.get(`${ref.secret}/${ref.key}`)!;
        const jvmOptions = Object.fromEntries(
            javaServices.map((s) => {
                const t = certificates[s]!.material;
                const redisClient = redisJavaClients.includes(s);
                return [
                    s,
                    new JvmOptions(`spin-${s}-jvm`, {
                        service: s,
                        namespace: ns,
                        keyStore: redisClient ? { path: secretFilePath(s, { secret: t.secret, key: t.keystore! }), password: valueOf(t.keystorePassword!), type: t.storeType } : undefined,
                        trustStore: redisClient && jvmTrust ? { path: secretFilePath(s, jvmTrustStoreRef), password: jvmTrust.password } : undefined,
                        properties: Object.fromEntries(Object.entries(halyardProperties(settings, s)).map(([prop, ref]) => [prop, valueOf(ref)])),
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
                certified.map((s) => [
                    s,
                    pulumi.all([
                        certificates[s]!.podAnnotations ?? {},
                        pulumi.all({
                            [TLS_CHECKSUM_ANNOTATION]: certificates[s]!.checksum,
                            ...(trustBundle && certificates[s]!.material.trustSecret ? { [CA_TRUST_CHECKSUM_ANNOTATION]: trustBundle.checksum } : {}),
                            ...(jvmOptions[s] ? { "spinnaker-mtls/jvm-options-checksum": jvmOptions[s].checksum } : {}),
                            ...(jvmTrust && jvmOptions[s] ? { "spinnaker-mtls/jvm-truststore-checksum": jvmTrust.checksum } : {}),
                        }),
                    ]).apply(([credentials, checksums]) => ({ ...credentials, ...checksums })),
                ]),
            ),
            halyardDir: config.spinnaker.halyardDir,
            // The pods roll once their TLS Secrets are there (cert-manager's, once its Certificates are Ready).
            after: Object.values(certificates).filter((c): c is IssuedIdentity => c !== undefined),
        }, inCluster());

        const gateApiService = gateApi ? new GateApiService(GATE_API_SERVICE, { namespace: ns }, inCluster()) : undefined;

        // --- Istio: the mesh and the ingress for Deck and Gate -----------------------
        if (config.istio.enabled) {
            new IstioMesh("istio", {
                namespace: ns,
                injection: config.istio.injection,
                meshWide: config.istio.meshWideStrict ? { rootNamespace: config.istio.rootNamespace } : undefined,
                services: [...config.services, ...(gateApiService ? ["gate-api"] : []), ...(redis ? ["redis", "redis-headless"] : []), ...(goRedis ? ["redis-go", "redis-go-headless"] : [])],
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

        // --- Outputs: public values only --------------------------------------------
        this.namespace = pulumi.output(ns);
        this.clientAuth = pulumi.output(config.clientAuth);
        this.certificateBackend = pulumi.output(config.certManager.backend);
        this.caCertificatePem = trustBundlePem;
        this.caNotAfter = ca.notAfter;
        this.caTrust = pulumi.output(plannedCaTrust(config));
        // Without a last deployment to judge by, this one is its own: a first up and the next one record the same.
        this.lastDeployedCaTrust = pulumi.output(args.lastDeployedCaTrust).apply((last) => parseCaTrust(last) ?? plannedCaTrust(config));
        this.otterizeOperatorValues = pulumi.output<unknown>(
            config.certManager.backend === "otterize" ? operatorValues(config.certManager.otterize.provider, caIssuerName(config.caGeneration)) : "none: certificateBackend is not otterize",
        );
        this.serviceCertificates = pulumi.output(
            Object.fromEntries(
                certified.map((s) => {
                    const c = certificates[s]!;
                    const renewedBy = config.certManager.backend === "otterize" ? "otterize credentials operator" : "cert-manager";
                    return [s, { secretName: c.secretName, dnsNames: c.dnsNames, ...(c.notAfter ? { notAfter: c.notAfter } : { renewedBy }) }];
                }),
            ),
        ) as pulumi.Output<Record<string, ServiceCertificateInfo>>;
        this.redisEndpoint = redis ? redis.url : pulumi.output(`external (URL in Secret ${external!.urlRef.secret}, key ${external!.urlRef.key})`);
        this.goServicesRedisEndpoint = goRedis ? goRedis.url : pulumi.output("none: no Go service is enabled");
        this.redisClients = pulumi.output(
            Object.fromEntries(
                Object.entries(redisPlan.services).map(([s, plan]) => [s, plan!.client === "none" ? { client: "none", reason: plan!.reason } : { client: plan!.client }]),
            ),
        );
        this.jvmOptionsSecrets = pulumi.output(Object.fromEntries(Object.entries(jvmOptions).map(([s, o]) => [s, o.secretName])));
        this.spinnakerService = pulumi.output({
            apiVersion: SPINNAKER_SERVICE_API_VERSION[config.spinnaker.flavor],
            name: config.spinnaker.serviceName,
            namespace: ns,
            mode: config.spinnaker.mode,
        });
        // The paths alone: with the otterize backend the files carry a keystore password, the list of their names does not.
        this.halyardFilePaths = pulumi.unsecret(spinnaker.halyardFiles.apply((files) => Object.keys(files).sort()));
        this.ingressUrl = ingress ? ingress.url : pulumi.output("none: no ingressHost");
        this.gateApiUrl = gateApiService
            ? gateApiService.url
            : pulumi.output(edge ? "none: behind the ingress Gate's API is the ingress URL's /api/v1" : "none: gate is not enabled");
        this.registerOutputs({
            namespace: this.namespace,
            clientAuth: this.clientAuth,
            certificateBackend: this.certificateBackend,
            caCertificatePem: this.caCertificatePem,
            caNotAfter: this.caNotAfter,
            caTrust: this.caTrust,
            lastDeployedCaTrust: this.lastDeployedCaTrust,
            otterizeOperatorValues: this.otterizeOperatorValues,
            serviceCertificates: this.serviceCertificates,
            redisEndpoint: this.redisEndpoint,
            goServicesRedisEndpoint: this.goServicesRedisEndpoint,
            redisClients: this.redisClients,
            jvmOptionsSecrets: this.jvmOptionsSecrets,
            spinnakerService: this.spinnakerService,
            halyardFilePaths: this.halyardFilePaths,
            ingressUrl: this.ingressUrl,
            gateApiUrl: this.gateApiUrl,
        });
    }
}
