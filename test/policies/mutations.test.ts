// The mutation suite: the program's own prod export (and dev's, for the
// @pulumi/tls certificates prod does not issue), broken one field at a time
// in every way the policies name, each checked with `verify --state` and the
// stack's policy config. Every mutation must be caught at mandatory level by
// the policy that names it, and the unbroken exports must pass.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ExportedResource, StackExport } from "../../engine/run";
import { policyConfigFor, verify } from "../../engine/verify";
import { policyPack } from "../support/policyPack";
import { stackRun } from "../support/stacks";

type Props = Record<string, unknown>;
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Mutation {
    readonly name: string;
    readonly policy: string;
    /** What the message must say (the field, or the object). */
    readonly says: RegExp;
    readonly edit: (exp: StackExport) => void;
}

const resource = (exp: StackExport, type: string, name: string): ExportedResource => {
    const r = exp.deployment.resources.find((x) => x.type === type && (x.inputs.metadata as Props | undefined)?.name === name);
    if (!r) throw new Error(`no ${type} ${name} in the export`);
    return r;
};

/** Applies the same edit to a resource's inputs (what Analyze sees) and outputs (what AnalyzeStack sees). */
const both = (r: ExportedResource, edit: (o: Obj) => void) => [r.inputs, r.outputs].forEach((o) => edit(o as Obj));
const PA = "kubernetes:security.istio.io/v1:PeerAuthentication";
const DR = "kubernetes:networking.istio.io/v1:DestinationRule";
const edit = (type: string, name: string, fn: (o: Obj) => void) => (exp: StackExport) => both(resource(exp, type, name), fn);
/** The SpinnakerService patch, whichever flavour's API group the stack uses. */
const spinnaker = (fn: (config: Obj) => void) => (exp: StackExport) => both(exp.deployment.resources.find((r) => r.type.endsWith(":SpinnakerServicePatch"))!, (o) => fn(o.spec.spinnakerConfig));
const redisConf = (fn: (text: string) => string) => edit("kubernetes:core/v1:ConfigMap", "spin-redis-config", (o) => (o.data["redis.conf"] = fn(o.data["redis.conf"])));
const certificate = (name: string, fn: (spec: Obj) => void) => edit("kubernetes:cert-manager.io/v1:Certificate", name, (o) => fn(o.spec));
const gateway = (fn: (servers: Obj[]) => void) => edit("kubernetes:networking.istio.io/v1:Gateway", "spinnaker-gateway", (o) => fn(o.spec.servers));
const STATEFULSET = "kubernetes:apps/v1:StatefulSet";
const PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

const PROD: Mutation[] = [
    { name: "PeerAuthentication PERMISSIVE", policy: "peer-authentication-strict", says: /spec\.mtls\.mode: is 'PERMISSIVE'/, edit: edit(PA, "default", (o) => (o.spec.mtls.mode = "PERMISSIVE")) },
    { name: "PeerAuthentication mode removed", policy: "peer-authentication-strict", says: /spec\.mtls\.mode: is not set/, edit: edit(PA, "default", (o) => delete o.spec.mtls) },
    { name: "a port-level PERMISSIVE override", policy: "peer-authentication-strict", says: /spec\.portLevelMtls\.8084\.mode/, edit: edit(PA, "default", (o) => (o.spec.portLevelMtls = { 8084: { mode: "PERMISSIVE" } })) },
    {
        name: "the PeerAuthentication deleted",
        policy: "peer-authentication-coverage",
        says: /Namespace spinnaker: runs .*StatefulSet spinnaker\/spin-redis \(Redis\)/,
        edit: (exp) => (exp.deployment.resources = exp.deployment.resources.filter((r) => r.type !== PA)),
    },
    { name: "DestinationRule DISABLE", policy: "destination-rule-no-disable", says: /DestinationRule spinnaker\/spin-gate: spec\.trafficPolicy\.tls\.mode: is DISABLE/, edit: edit(DR, "spin-gate", (o) => (o.spec.trafficPolicy.tls.mode = "DISABLE")) },
    {
        name: "DestinationRule port-level DISABLE",
        policy: "destination-rule-no-disable",
        says: /spec\.trafficPolicy\.portLevelSettings\[0\]\.tls\.mode/,
        edit: edit(DR, "spin-redis", (o) => (o.spec.trafficPolicy.portLevelSettings = [{ port: { number: 6379 }, tls: { mode: "DISABLE" } }])),
    },
    {
        name: "DestinationRule subset DISABLE",
        policy: "destination-rule-no-disable",
        says: /spec\.subsets\[0\]\.trafficPolicy\.tls\.mode/,
        edit: edit(DR, "spin-orca", (o) => (o.spec.subsets = [{ name: "canary", labels: { version: "canary" }, trafficPolicy: { tls: { mode: "DISABLE" } } }])),
    },
    { name: "namespace injection disabled", policy: "sidecar-injection-not-disabled", says: /Namespace spinnaker: metadata\.labels\.istio-injection/, edit: edit("kubernetes:core/v1:NamespacePatch", "spinnaker", (o) => (o.metadata.labels["istio-injection"] = "disabled")) },
    {
        name: "Redis pod opted out of the sidecar",
        policy: "sidecar-injection-not-disabled",
        says: /StatefulSet spinnaker\/spin-redis: spec\.template\.metadata\.annotations\.sidecar\.istio\.io\/inject/,
        edit: edit(STATEFULSET, "spin-redis", (o) => (o.spec.template.metadata.annotations["sidecar.istio.io/inject"] = "false")),
    },
    {
        name: "a Spinnaker service opted out of the sidecar",
        policy: "sidecar-injection-not-disabled",
        says: /service-settings\.orca\.kubernetes\.podAnnotations\.sidecar\.istio\.io\/inject/,
        edit: spinnaker((c) => (c["service-settings"].orca.kubernetes.podAnnotations["sidecar.istio.io/inject"] = "false")),
    },
    { name: "Gateway PASSTHROUGH", policy: "gateway-tls", says: /spec\.servers\[1\]\.tls\.mode: is 'PASSTHROUGH'/, edit: gateway((s) => (s[1].tls.mode = "PASSTHROUGH")) },
    { name: "Gateway TLS 1.1", policy: "gateway-tls", says: /spec\.servers\[1\]\.tls\.minProtocolVersion: is 'TLSV1_1'/, edit: gateway((s) => (s[1].tls.minProtocolVersion = "TLSV1_1")) },
    { name: "Gateway HTTP without redirect", policy: "gateway-tls", says: /spec\.servers\[0\]\.tls\.httpsRedirect/, edit: gateway((s) => delete s[0].tls) },
    { name: "Gateway '*' host", policy: "gateway-tls", says: /spec\.servers\[1\]\.hosts\[0\]: is '\*'/, edit: gateway((s) => (s[1].hosts = ["*"])) },
    { name: "VirtualService '*' host", policy: "virtual-service-hosts", says: /VirtualService spinnaker\/spinnaker: spec\.hosts\[0\]/, edit: edit("kubernetes:networking.istio.io/v1:VirtualService", "spinnaker", (o) => (o.spec.hosts = ["*"])) },
    { name: "clouddriver TLS off", policy: "spinnaker-server-ssl", says: /profiles\.clouddriver\.server\.ssl\.enabled: is 'false', so clouddriver serves plain HTTP/, edit: spinnaker((c) => (c.profiles.clouddriver.server.ssl.enabled = false)) },
    { name: "clouddriver TLS off by environment", policy: "spinnaker-server-ssl", says: /service-settings\.clouddriver\.env\.SERVER_SSL_ENABLED/, edit: spinnaker((c) => (c["service-settings"].clouddriver.env.SERVER_SSL_ENABLED = "false")) },
    { name: "fiat without its keystore", policy: "spinnaker-server-ssl", says: /profiles\.fiat\.server\.ssl\.key-store: is not set/, edit: spinnaker((c) => delete c.profiles.fiat.server.ssl["key-store"]) },
    { name: "terraformer without its certificate", policy: "spinnaker-server-ssl", says: /profiles\.terraformer\.server\.ssl\.certFile: is not set/, edit: spinnaker((c) => delete c.profiles.terraformer.server.ssl.certFile) },
    {
        name: "Gate's edge exception opened to any caller",
        policy: "spinnaker-server-ssl",
        says: /gate serves plain HTTP outside the edge exception: AuthorizationPolicy spinnaker\/spinnaker-mtls-allow-namespace spec\.rules\[0\] has no 'from'/,
        edit: edit("kubernetes:security.istio.io/v1:AuthorizationPolicy", "spinnaker-mtls-allow-namespace", (o) => delete o.spec.rules[0].from),
    },
    { name: "orca client-auth want", policy: "spinnaker-client-auth-need", says: /profiles\.orca\.server\.ssl\.client-auth: orca has client-auth 'want'/, edit: spinnaker((c) => (c.profiles.orca.server.ssl["client-auth"] = "want")) },
    { name: "terraformer clientAuth want", policy: "spinnaker-client-auth-need", says: /profiles\.terraformer\.server\.ssl\.clientAuth/, edit: spinnaker((c) => (c.profiles.terraformer.server.ssl.clientAuth = "want")) },
    { name: "rosco client-auth none", policy: "spinnaker-client-auth-required", says: /rosco has client-auth 'none'/, edit: spinnaker((c) => (c.profiles.rosco.server.ssl["client-auth"] = "none")) },
    { name: "echo without TCP probes", policy: "spinnaker-tcp-probes", says: /service-settings\.echo\.kubernetes\.useTcpProbe/, edit: spinnaker((c) => (c["service-settings"].echo.kubernetes.useTcpProbe = false)) },
    { name: "gate's Redis in plaintext", policy: "spinnaker-redis-tls", says: /profiles\.gate\.redis\.connection: is 'redis:\/\//, edit: spinnaker((c) => (c.profiles.gate.redis.connection = "redis://spin-redis.spinnaker.svc.cluster.local:6379")) },
    { name: "terraformer's Redis in plaintext", policy: "spinnaker-redis-tls", says: /profiles\.terraformer\.redis\.baseUrl/, edit: spinnaker((c) => (c.profiles.terraformer.redis.baseUrl = "redis://spin-redis-go.spinnaker.svc.cluster.local:6379")) },
    { name: "a literal keystore password", policy: "spinnaker-secret-references", says: /profiles\.kayenta\.server\.ssl\.key-store-password: is a literal password/, edit: spinnaker((c) => (c.profiles.kayenta.server.ssl["key-store-password"] = "changeit")) },
    { name: "Certificate without client auth", policy: "certificate-usages", says: /Certificate spinnaker\/spin-echo: spec\.usages: lacks 'client auth'/, edit: certificate("spin-echo", (s) => (s.usages = s.usages.filter((u: string) => u !== "client auth"))) },
    { name: "Certificate with a 1024-bit RSA key", policy: "certificate-key-strength", says: /Certificate spinnaker\/spin-orca: spec\.privateKey\.size: is 1024/, edit: certificate("spin-orca", (s) => (s.privateKey = { algorithm: "RSA", size: 1024, rotationPolicy: "Always" })) },
    { name: "Certificate valid a year", policy: "certificate-validity", says: /Certificate spinnaker\/spin-igor: spec\.duration: is 8760h/, edit: certificate("spin-igor", (s) => (s.duration = "8760h")) },
    { name: "Certificate without a renewal window", policy: "certificate-validity", says: /Certificate spinnaker\/spin-igor: spec\.renewBefore: is not set/, edit: certificate("spin-igor", (s) => delete s.renewBefore) },
    { name: "keystore on the legacy profile", policy: "cert-manager-keystore-profile", says: /Certificate spinnaker\/spin-front50: spec\.keystores\.pkcs12\.profile: is 'LegacyRC2'/, edit: certificate("spin-front50", (s) => (s.keystores.pkcs12.profile = "LegacyRC2")) },
    {
        name: "Redis without its certificate reload",
        policy: "redis-tls-reload",
        says: /StatefulSet spinnaker\/spin-redis: spec\.template\.spec\.containers\[0\]\.volumeMounts\[2\]: Redis mounts Secret spin-redis-tls/,
        edit: edit(STATEFULSET, "spin-redis", (o) => (o.spec.template.spec.containers = o.spec.template.spec.containers.filter((c: Obj) => c.name !== "tls-reload"))),
    },
    { name: "Redis with a plaintext port", policy: "redis-tls-only", says: /data\["redis\.conf"\] port: is 6379/, edit: redisConf((t) => t.replace(/^port 0$/m, "port 6379")) },
    { name: "Redis without client certificates", policy: "redis-tls-only", says: /tls-auth-clients: is 'no'/, edit: redisConf((t) => t.replace(/^tls-auth-clients yes$/m, "tls-auth-clients no")) },
    { name: "Redis allowing TLS 1.0", policy: "redis-tls-only", says: /tls-protocols: is 'TLSv1 TLSv1\.2 TLSv1\.3'/, edit: redisConf((t) => t.replace(/^tls-protocols .*$/m, 'tls-protocols "TLSv1 TLSv1.2 TLSv1.3"')) },
    {
        name: "Redis re-opening the plaintext port on its command line",
        policy: "redis-tls-only",
        says: /StatefulSet spinnaker\/spin-redis: spec\.template\.spec\.containers\[0\] arguments port: is 6379/,
        edit: edit(STATEFULSET, "spin-redis", (o) => (o.spec.template.spec.containers[0].command[2] += " --port 6379")),
    },
    { name: "a private key in a ConfigMap", policy: "no-secrets-in-configmaps", says: /ConfigMap spinnaker\/spin-redis-config: data\["tls\.key"\]: holds a PEM private key/, edit: edit("kubernetes:core/v1:ConfigMap", "spin-redis-config", (o) => (o.data["tls.key"] = PRIVATE_KEY)) },
    {
        name: "a password in a pod's environment",
        policy: "no-secrets-in-env",
        says: /env\[0\] \(REDIS_PASSWORD\): holds a literal password/,
        edit: edit(STATEFULSET, "spin-redis", (o) => (o.spec.template.spec.containers[0].env = [{ name: "REDIS_PASSWORD", value: "hunter2" }])),
    },
    { name: "a password in Spinnaker's environment", policy: "no-secrets-in-env", says: /service-settings\.gate\.env\.JDK_JAVA_OPTIONS: holds a password in JVM option/, edit: spinnaker((c) => (c["service-settings"].gate.env.JDK_JAVA_OPTIONS = "-Djavax.net.ssl.keyStorePassword=hunter2")) },
    {
        name: "a private key exported from the stack",
        policy: "no-secrets-in-stack-outputs",
        says: /stack output caPrivateKey: holds a PEM private key/,
        edit: (exp) => (exp.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack")!.outputs.caPrivateKey = PRIVATE_KEY),
    },
    { name: "a Certificate the cert-manager API would refuse", policy: "kubernetes-schema", says: /Certificate spin-orca: .*duration/, edit: certificate("spin-orca", (s) => (s.duration = 2160)) },
];

const TLS_CERT = "tls:index/locallySignedCert:LocallySignedCert";
const tlsResource = (exp: StackExport, type: string, urnEnd: string) => exp.deployment.resources.find((r) => r.type === type && r.urn.endsWith(urnEnd))!;
const DEV: Mutation[] = [
    { name: "a service certificate without client_auth", policy: "certificate-usages", says: /LocallySignedCert spin-gate-cert: allowedUses: lacks 'client_auth'/, edit: (exp) => both(tlsResource(exp, TLS_CERT, "spin-gate-cert"), (o) => (o.allowedUses = o.allowedUses.filter((u: string) => u !== "client_auth"))) },
    { name: "a service certificate valid a year", policy: "certificate-validity", says: /LocallySignedCert spin-orca-cert: validityPeriodHours: is 8760/, edit: (exp) => both(tlsResource(exp, TLS_CERT, "spin-orca-cert"), (o) => (o.validityPeriodHours = 8760)) },
    { name: "a service certificate never renewed early", policy: "certificate-validity", says: /LocallySignedCert spin-orca-cert: earlyRenewalHours: is 0/, edit: (exp) => both(tlsResource(exp, TLS_CERT, "spin-orca-cert"), (o) => (o.earlyRenewalHours = 0)) },
    {
        name: "a 1024-bit RSA key",
        policy: "certificate-key-strength",
        says: /PrivateKey spin-echo-key: rsaBits: is 1024/,
        edit: (exp) => both(tlsResource(exp, "tls:index/privateKey:PrivateKey", "spin-echo-key"), (o) => Object.assign(o, { algorithm: "RSA", rsaBits: 1024 })),
    },
    { name: "client-auth none during the rollout", policy: "spinnaker-client-auth-required", says: /profiles\.igor\.server\.ssl\.client-auth: igor has client-auth 'none'/, edit: spinnaker((c) => (c.profiles.igor.server.ssl["client-auth"] = "none")) },
];

function suite(stack: string, mutations: Mutation[]) {
    describe(`${stack} export`, () => {
        let dir: string;
        let pristine: string;
        before(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), `mutations-${stack}-`));
            // Secrets stay encrypted, as in a file a user would hand to verify --state.
            pristine = JSON.stringify((await stackRun(stack)).export);
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        const check = async (exp: StackExport) => {
            const file = path.join(dir, "state.json");
            fs.writeFileSync(file, JSON.stringify(exp));
            return verify({ state: file, policyConfig: policyConfigFor(stack), tags: {} }, await policyPack());
        };

        it("passes unbroken, reading every secret", async () => {
            const outcome = await check(JSON.parse(pristine) as StackExport);
            assert.strictEqual(outcome.exitCode, 0, outcome.report);
            assert.strictEqual(outcome.result.unreadableSecrets, 0);
        });

        for (const m of mutations) {
            it(`catches ${m.name} (${m.policy})`, async () => {
                const exp = JSON.parse(pristine) as StackExport;
                m.edit(exp);
                const outcome = await check(exp);
                assert.strictEqual(outcome.exitCode, 1, outcome.report);
                const hits = outcome.result.findings.filter((f) => f.policy === m.policy && f.level === "mandatory" && m.says.test(f.message));
                assert.ok(hits.length > 0, `no mandatory ${m.policy} finding matching ${m.says}:\n${outcome.report}`);
                assert.match(outcome.report, new RegExp(`^${m.policy}\\s+mandatory\\s`, "m"));
            });
        }
    });
}

describe("mutation suite: verify --state catches every way the policies name to weaken mTLS", () => {
    suite("prod", PROD);
    suite("dev", DEV);
});
