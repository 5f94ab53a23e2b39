// The otterize stack's certificates as the Otterize credentials operator's
// cert-manager path would have them issued (issue 14), by cert-manager
// v1.21's own controller and webhook, on the throwaway API server of issue 12.
//
// The operator itself cannot be built: the Go module proxy refuses
// github.com/otterize/credentials-operator (and its /src module) at every
// version. Its cert-manager path is short, so this file does what that path
// does with a pod's annotations, in our own words (`operatorCertManagerObjects`
// below, citing the upstream functions), and hands the result to the real
// cert-manager. The stack's objects come from the offline engine and are
// server-side applied as the Kubernetes provider would: what is judged here
// is the operator's path and cert-manager's answer, not the CLI.
//
// What it proves: the annotations the program puts on clouddriver's and
// front50's pods (SpinnakerService service-settings) and
// on spin-redis's pod template, read as the operator reads them and issued
// through the namespaced CA Issuer the stack output otterizeOperatorValues names,
// give Secrets that hold every key the profiles and the Redis StatefulSet
// read; keytool opens the JKS stores with the password of the program's own
// spin-<svc>-keystore-password Secret; clouddriver and front50 complete
// mutual TLS in JSSE with the store types their profiles name; terraformer,
// whose leaf the program signs with the root (go-yaml-tools presents no
// chain), asks the operator for nothing, and its key is PKCS#1 RSA with which
// go-yaml-tools serves and calls mutual TLS;
// Redis runs the program's redis.conf on its Secret; each certificate lives
// exactly the cert-ttl annotation's seconds.
//
// What it does NOT prove: the operator's own reconcile (its pod watcher, the
// service-name resolution from the pod's owner, its CertificateRequest
// approver, its handling of updates and deletions), anything of its SPIRE or
// Otterize Cloud providers, and any restart on renewal (Reloader's, or the
// operator's restart-pod-on-certificate-renewal, which the program does not
// use). A change of the operator's cert-manager path in a later release would
// go unseen here.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { unwrap } from "../../engine/monitor";
import { RunResult } from "../../engine/run";
import { RedisServer } from "../support/redisServer";
import { session } from "../support/resp";
import { stackRun, tempDir } from "../support/stacks";
import { Cluster, startCluster, toolchainDir } from "./support/cluster";
import {
    JavaStore, Json, Obj, Proc, apply, certManagerBinary, condition, decode, get, goPeerBinary, goYamlToolsExchange, javaMtlsCheck, kubeObjects,
    ofKind, secretKeyReferences, secretObj, serviceSettings, startController, startWebhook, statefulSetSecretKeys, stopProc, tail, waitCertificateReady,
} from "./support/certManager";

// The operator's annotation keys, spelled as upstream spells them
// (src/operator/controllers/metadata/annotations.go), not imported from the
// program: a key the program misspelt would then go unread here, as it would
// by the operator.
const ANNOTATION = {
    tlsSecretName: "credentials-operator.otterize.com/tls-secret-name",
    dnsNames: "credentials-operator.otterize.com/dns-names",
    certTtl: "credentials-operator.otterize.com/cert-ttl",
    certType: "credentials-operator.otterize.com/cert-type",
    jksPassword: "credentials-operator.otterize.com/jks-password",
} as const;
/** The operator's default JKS password (annotations.go), used when a pod names none. */
const OPERATOR_DEFAULT_JKS_PASSWORD = "password";
/** Where the operator's cert-manager path keeps JKS passwords (manager.go, JKSPasswordsSecretName). */
const JKS_PASSWORDS_SECRET = "jks-passwords";
/** The field manager our stand-in writes as, so that its objects are told apart from the program's. */
const OPERATOR_FIELD_MANAGER = "credentials-operator-standin";

const JAVA_SERVICES = ["clouddriver", "front50"];
const GO_SERVICE = "terraformer";
const REDIS = "spin-redis";

/** A workload whose pods carry the operator's annotations: its name (the operator's service name) and those annotations. */
interface Workload { readonly name: string; readonly namespace: string; readonly annotations: Record<string, string> }

/**
 * What the credentials operator's cert-manager path writes for one workload,
 * our rendering of otterize/credentials-operator's
 * src/operator/controllers/certmanageradapter/manager.go
 * (CertManagerSecretsManager.PopulateSecretObject and getJKSPasswordSecretRef),
 * with the entry id of certmanageradapter's registry (getEntryId:
 * "<service>.<namespace>"), the pod annotations parsed as the pod reconciler
 * parses them (dns-names split on commas, cert-ttl an int32 of seconds), and
 * the Certificate named after the Secret as K8sSecretsManagerBase.EnsureTLSSecret
 * names it. No privateKey spec: cert-manager's default key then (RSA 2048, PKCS#1).
 */
function operatorCertManagerObjects(w: Workload, issuerRef: { name: string; kind: string }): { certificate: Obj; jksPassword?: { key: string; value: string } } {
    const a = w.annotations;
    const secretName = a[ANNOTATION.tlsSecretName];
    assert.ok(secretName, `${w.name}: no ${ANNOTATION.tlsSecretName}, so the operator would issue nothing`);
    const ttl = a[ANNOTATION.certTtl] ? Number.parseInt(a[ANNOTATION.certTtl], 10) : 0;
    assert.ok(Number.isInteger(ttl) && ttl >= 0 && ttl < 2 ** 31, `${w.name}: cert-ttl ${a[ANNOTATION.certTtl]} is not an int32`);
    const certType = a[ANNOTATION.certType] ?? "pem";
    const dnsNames = a[ANNOTATION.dnsNames] ? a[ANNOTATION.dnsNames].split(",") : undefined;
    // The pod reconciler refuses the pod when a name fails govalidator.IsDNSName (labels of
    // letters, digits, '_' and '-', up to 63 characters each).
    for (const n of dnsNames ?? []) assert.match(n, /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}(\.[A-Za-z0-9_][A-Za-z0-9_-]{0,62})*$/, `${w.name}: ${n} is not a DNS name to the operator`);
    const spec: Json = {
        secretName,
        dnsNames,
        commonName: `${w.name}.${w.namespace}`,
        issuerRef,
        ...(ttl !== 0 ? { duration: `${ttl}s` } : {}),
    };
    let jksPassword: { key: string; value: string } | undefined;
    if (certType === "jks") {
        jksPassword = { key: secretName, value: a[ANNOTATION.jksPassword] ?? OPERATOR_DEFAULT_JKS_PASSWORD };
        spec.keystores = { jks: { create: true, passwordSecretRef: { name: JKS_PASSWORDS_SECRET, key: secretName } } };
    }
    const certificate: Obj = {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: {
            name: secretName,
            namespace: w.namespace,
            // PopulateSecretObject forces cert-manager's file names onto the Certificate's annotations
            // (K8sSecretsManagerBase.UpdateSecretObject adds the entry's bookkeeping ones, left out here:
            // cert-manager reads none of them).
            annotations: {
                "credentials-operator.otterize.com/ca-file-name": "ca.crt",
                "credentials-operator.otterize.com/cert-file-name": "tls.crt",
                "credentials-operator.otterize.com/key-file-name": "tls.key",
                "credentials-operator.otterize.com/truststore-file-name": "truststore.jks",
                "credentials-operator.otterize.com/keystore-file-name": "keystore.jks",
                [ANNOTATION.certType]: certType,
            },
        },
        spec,
    };
    return { certificate, jksPassword };
}

describe("Otterize's cert-manager path (stand-in) with cert-manager v1.21's controller and webhook, over the otterize stack", function () {
    this.timeout(600_000);
    const t = tempDir("otterize-e2e");
    let cluster: Cluster | undefined;
    let controller: Proc | undefined;
    let webhook: Proc | undefined;
    let stack: RunResult;
    let objs: Obj[];
    let patch: Obj;
    let namespace = "";
    let caIssuerName = "";
    let caIssuerRef = { name: "", namespace: "" };
    const workloads: Workload[] = [];
    /** Per workload name: the Certificate our stand-in applied, the Certificate once Ready, and the Secret cert-manager wrote. */
    const issued = new Map<string, { asked: Obj; ready: Obj; secret: Obj }>();
    const applyWarnings: string[] = [];
    const logs = () => `controller log:\n${tail(controller?.log ?? "")}\nwebhook log:\n${tail(webhook?.log ?? "", 10)}`;
    const programSecret = (name: string) => {
        const s = ofKind(objs, "Secret").find((x) => x.metadata.name === name && x.metadata.namespace === namespace);
        assert.ok(s, `the program renders Secret ${namespace}/${name}`);
        return decode(s);
    };
    const filesOf = (workload: string) => decode(issued.get(workload)!.secret);

    before(async function () {
        const tc = toolchainDir();
        // A missing part fails the suite (never a skip): the reason is the message.
        if (!tc) throw new Error("E2E_TOOLCHAIN_DIR is unset or holds no kube-apiserver: run through test/e2e/run.sh (it sources test/e2e/build/toolchain/build.sh's env)");
        const bin = certManagerBinary();
        stack = await stackRun("otterize");
        objs = kubeObjects(stack);

        // The operator is installed with the stack output's Helm values: cert-manager provider, this Issuer, namespaced.
        const values = unwrap(stack.stackOutputs.otterizeOperatorValues) as { global?: { certificateProvider?: string }; certManager?: { issuerName?: string; useClusterIssuer?: boolean } };
        assert.strictEqual(values.global?.certificateProvider, "cert-manager", JSON.stringify(values));
        assert.strictEqual(values.certManager?.useClusterIssuer, false, JSON.stringify(values));
        caIssuerName = values.certManager?.issuerName ?? "";
        const caIssuer = ofKind(objs, "Issuer").find((i) => i.metadata.name === caIssuerName);
        assert.ok(caIssuer?.spec.ca, `the stack renders the CA Issuer ${caIssuerName} that otterizeOperatorValues names`);
        caIssuerRef = { name: caIssuerName, namespace: caIssuer.metadata.namespace! };
        const caSecret = ofKind(objs, "Secret").find((s) => s.metadata.name === caIssuer.spec.ca.secretName && s.metadata.namespace === caIssuer.metadata.namespace);
        assert.ok(caSecret, `the stack renders the CA Secret ${caIssuer.spec.ca.secretName} beside its Issuer`);
        // Where cert-manager itself runs (its webhook keeps its serving CA there); the stack puts nothing in it.
        const certManagerNs = "cert-manager";

        const p = objs.find((o) => o.kind === "SpinnakerService");
        assert.ok(p?.metadata.namespace, "the stack renders the SpinnakerService patch");
        patch = p;
        namespace = p.metadata.namespace!;
        const settings = serviceSettings(patch);
        // The Spinnaker Operator names each service's Deployment spin-<svc>: the operator's service name for its pods.
        const goAnnotations = (settings[GO_SERVICE]?.kubernetes?.podAnnotations ?? {}) as Record<string, string>;
        assert.ok(settings[GO_SERVICE], `the stack runs ${GO_SERVICE}`);
        assert.deepStrictEqual(Object.keys(goAnnotations).filter((k) => k.startsWith("credentials-operator.otterize.com/")), [], `${GO_SERVICE} asks the operator for nothing`);
        for (const svc of JAVA_SERVICES) {
            const annotations = settings[svc]?.kubernetes?.podAnnotations as Record<string, string> | undefined;
            assert.ok(annotations, `${svc}: service-settings has podAnnotations`);
            workloads.push({ name: `spin-${svc}`, namespace, annotations });
        }
        const redis = ofKind(objs, "StatefulSet").find((s) => s.metadata.name === REDIS);
        assert.ok(redis?.spec.template.metadata?.annotations, `${REDIS}'s pod template has annotations`);
        workloads.push({ name: REDIS, namespace: redis.metadata.namespace!, annotations: redis.spec.template.metadata.annotations });

        cluster = await startCluster({ toolchainDir: tc, controllerManager: false, crds: true });
        for (const ns of [...new Set([certManagerNs, ...objs.map((o) => o.metadata.namespace).filter((n): n is string => !!n)])].sort()) {
            await apply(cluster, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        }
        webhook = await startWebhook(cluster, bin, certManagerNs, t.dir);
        // The stack's Secrets (the CA's, the keystore passwords, the JVM trust store) and its Issuers.
        for (const kind of ["Secret", "Issuer"]) {
            for (const o of ofKind(objs, kind)) applyWarnings.push(...(await apply(cluster, o)).warnings.map((w) => `${kind} ${o.metadata.name}: ${w}`));
        }

        // The operator's part: the jks-passwords Secret first (its Certificates reference it), then the Certificates,
        // each in its pod's namespace, naming the Issuer there (useClusterIssuer false).
        const made = workloads.map((w) => ({ w, ...operatorCertManagerObjects(w, { name: caIssuerName, kind: "Issuer" }) }));
        assert.ok(made.every((m) => m.certificate.metadata.namespace === caIssuerRef.namespace), "every pod the operator serves is in the CA Issuer's namespace");
        const passwords = made.filter((m) => m.jksPassword);
        assert.ok(passwords.length >= JAVA_SERVICES.length, "the Java services ask for jks");
        await apply(cluster, {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: JKS_PASSWORDS_SECRET, namespace },
            data: Object.fromEntries(passwords.map((m) => [m.jksPassword!.key, Buffer.from(m.jksPassword!.value).toString("base64")])),
        }, OPERATOR_FIELD_MANAGER);
        for (const m of made) applyWarnings.push(...(await apply(cluster, m.certificate, OPERATOR_FIELD_MANAGER)).warnings.map((w) => `Certificate ${m.certificate.metadata.name}: ${w}`));

        controller = startController(cluster, bin, certManagerNs, t.dir);
        for (const m of made) {
            const ready = await waitCertificateReady(cluster, m.certificate, controller, logs, 120_000);
            const secret = await get(cluster, secretObj(m.certificate.spec.secretName, m.w.namespace));
            issued.set(m.w.name, { asked: m.certificate, ready, secret });
        }
    });

    after(async () => {
        await stopProc(controller);
        await stopProc(webhook);
        await cluster?.stop();
        t.remove();
    });

    it("cert-manager's webhook admits the stack's objects and the operator's Certificates, with no warnings, and each Certificate becomes Ready from the program's CA", () => {
        assert.deepStrictEqual(applyWarnings, []);
        const ca = ofKind(objs, "Issuer").find((i) => i.metadata.name === caIssuerName)!;
        // The Issuer signs with the generated CA's issuing CA (tls.crt); its ca.crt is the root every store holds.
        const caFiles = decode(ofKind(objs, "Secret").find((s) => s.metadata.name === ca.spec.ca.secretName && s.metadata.namespace === caIssuerRef.namespace)!);
        const caCert = new crypto.X509Certificate(caFiles["tls.crt"]);
        assert.strictEqual(issued.size, workloads.length);
        for (const w of workloads) {
            const { ready } = issued.get(w.name)!;
            assert.strictEqual(condition(ready, "Ready")?.status, "True");
            const files = filesOf(w.name);
            const leaf = new crypto.X509Certificate(files["tls.crt"]);
            assert.ok(leaf.verify(caCert.publicKey), `${w.name}: signed by the program's CA`);
            assert.strictEqual(files["ca.crt"].toString(), caFiles["ca.crt"].toString(), `${w.name}: ca.crt is the program's root`);
            const sans = (leaf.subjectAltName ?? "").split(", ").map((s) => s.replace(/^DNS:/, "")).sort();
            assert.deepStrictEqual(sans, w.annotations[ANNOTATION.dnsNames].split(",").sort(), `${w.name}: the SANs are the dns-names annotation`);
            assert.strictEqual(leaf.subject, `CN=${w.name}.${w.namespace}`, `${w.name}: CN is the operator's entry id`);
        }
    });

    it("each Secret holds every key the service's profile (or the Redis StatefulSet) reads, and exactly cert-manager's set for its cert-type", () => {
        let checked = 0;
        const readers: [Workload, Map<string, Set<string>>][] = workloads.map((w) => [
            w,
            w.name === REDIS
                ? statefulSetSecretKeys(ofKind(objs, "StatefulSet").find((s) => s.metadata.name === REDIS)!, ofKind(objs, "ConfigMap"))
                : secretKeyReferences(patch.spec.spinnakerConfig.profiles[w.name.replace(/^spin-/, "")]),
        ]);
        for (const [w, refs] of readers) {
            const secretName = w.annotations[ANNOTATION.tlsSecretName];
            const keys = refs.get(secretName);
            assert.ok(keys?.size, `${w.name} reads its TLS Secret ${secretName}`);
            const files = filesOf(w.name);
            for (const k of keys) {
                assert.ok(files[k]?.length, `${w.name} reads ${secretName}[${k}], which cert-manager did not write (it wrote ${Object.keys(files).join(", ")})`);
                checked++;
            }
            const jks = w.annotations[ANNOTATION.certType] === "jks";
            assert.deepStrictEqual(Object.keys(files).sort(), ["ca.crt", "tls.crt", "tls.key", ...(jks ? ["keystore.jks", "truststore.jks"] : [])].sort(), secretName);
        }
        // Java profiles name both stores, Redis the three PEM files.
        assert.ok(checked >= 2 * JAVA_SERVICES.length + 3, `${checked} references checked`);
    });

    /** A store a profile section names (key-store / trust-store), resolved to a file and the password of the Secret it references. */
    function profileStore(service: string, section: Json, which: "key-store" | "trust-store"): JavaStore {
        const ref = /^encryptedFile:k8s!n:([^!]+)!k:(.+)$/.exec(section[which]);
        const pw = /^encrypted:k8s!n:([^!]+)!k:(.+)$/.exec(section[`${which}-password`]);
        assert.ok(ref && pw, `${service}: ${which} ${section[which]} with password ${section[`${which}-password`] === undefined ? "unset" : "a Secret reference"}`);
        const workload = workloads.find((w) => w.annotations[ANNOTATION.tlsSecretName] === ref[1]);
        // The TLS Secret is cert-manager's, any other (the JVM trust store) the program's.
        const data = workload ? filesOf(workload.name) : programSecret(ref[1]);
        const file = path.join(t.dir, `${service}-${which}-${ref[2]}`);
        fs.writeFileSync(file, data[ref[2]], { mode: 0o600 });
        return { file, password: programSecret(pw[1])[pw[2]].toString(), type: section[`${which}-type`] };
    }

    it("keytool lists keystore.jks and truststore.jks as JKS, with the password from the program's spin-<svc>-keystore-password", () => {
        for (const svc of JAVA_SERVICES) {
            const ssl = patch.spec.spinnakerConfig.profiles[svc].server.ssl;
            assert.strictEqual(ssl["key-store-type"], "JKS");
            assert.strictEqual(ssl["trust-store-type"], "JKS");
            const keystore = profileStore(svc, ssl, "key-store");
            const truststore = profileStore(svc, ssl, "trust-store");
            // The password Secret the profile names is the program's own, and the annotation carried the same literal.
            assert.match(ssl["key-store-password"], new RegExp(`^encrypted:k8s!n:spin-${svc}-keystore-password!k:`));
            assert.notStrictEqual(keystore.password, OPERATOR_DEFAULT_JKS_PASSWORD);
            const ks = childProcess.spawnSync("keytool", ["-list", "-v", "-storetype", "JKS", "-keystore", keystore.file, "-storepass:env", "STOREPASS"], { encoding: "utf8", env: { ...process.env, STOREPASS: keystore.password } });
            assert.strictEqual(ks.status, 0, `${svc}: ${ks.stderr}`);
            assert.match(ks.stdout, /Keystore type: JKS/i);
            // The service's key and chain, plus the CA as a trusted entry (cert-manager v1.21.2,
            // pkg/controller/certificates/issuing/internal/keystore.go, encodeJKSKeystore).
            assert.strictEqual([...ks.stdout.matchAll(/^Entry type: PrivateKeyEntry$/gm)].length, 1, ks.stdout);
            assert.strictEqual([...ks.stdout.matchAll(/^Entry type: trustedCertEntry$/gm)].length, 1, ks.stdout);
            assert.match(ks.stdout, new RegExp(`Owner: CN=spin-${svc}\\.${namespace}`));
            const ts = childProcess.spawnSync("keytool", ["-list", "-storetype", "JKS", "-keystore", truststore.file, "-storepass:env", "STOREPASS"], { encoding: "utf8", env: { ...process.env, STOREPASS: truststore.password } });
            assert.strictEqual(ts.status, 0, `${svc}: ${ts.stderr}`);
            assert.match(ts.stdout, /Keystore type: JKS/i);
            assert.match(ts.stdout, /trustedCertEntry/);
            // A wrong password is refused, so the listing above did check it.
            const wrong = childProcess.spawnSync("keytool", ["-list", "-storetype", "JKS", "-keystore", keystore.file, "-storepass:env", "STOREPASS"], { encoding: "utf8", env: { ...process.env, STOREPASS: `${keystore.password}x` } });
            assert.notStrictEqual(wrong.status, 0, `${svc}: keytool accepted a wrong password`);
        }
    });

    it("clouddriver serves and front50 calls mutual TLS in JSSE, each with the stores and store types its profile names", () => {
        const [serverSvc, clientSvc] = JAVA_SERVICES;
        const ssl = patch.spec.spinnakerConfig.profiles[serverSvc].server.ssl;
        const okhttp = patch.spec.spinnakerConfig.profiles[clientSvc]["ok-http-client"];
        const server = { keystore: profileStore(serverSvc, ssl, "key-store"), truststore: profileStore(serverSvc, ssl, "trust-store") };
        const client = { keystore: profileStore(clientSvc, okhttp, "key-store"), truststore: profileStore(clientSvc, okhttp, "trust-store") };
        assert.strictEqual(server.keystore.type, "JKS");
        assert.strictEqual(client.keystore.type, "JKS");
        const host = workloads.find((w) => w.name === `spin-${serverSvc}`)!.annotations[ANNOTATION.dnsNames].split(",").at(-1)!;
        const r = javaMtlsCheck(server, client, host);
        assert.strictEqual(r.status, 0, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^OK CN=spin-${clientSvc}\\.${namespace}\\b`));
    });

    it("terraformer's leaf is the program's, from the root: its tls.key is an RSA PRIVATE KEY (PKCS#1), and go-yaml-tools serves and calls mutual TLS with it", async () => {
        const secretName = `spin-${GO_SERVICE}-root-signed-tls`;
        const files = programSecret(secretName);
        assert.match(files["tls.key"].toString(), /^-----BEGIN RSA PRIVATE KEY-----\n/);
        const { starting, response } = await goYamlToolsExchange({
            peer: goPeerBinary(), service: GO_SERVICE, profile: patch.spec.spinnakerConfig.profiles[GO_SERVICE],
            secretName, files, dnsName: `spin-${GO_SERVICE}.${namespace}.svc.cluster.local`, dir: t.dir,
        });
        assert.deepStrictEqual(starting?.key, { type: "RSA", bits: crypto.createPrivateKey(files["tls.key"]).asymmetricKeyDetails?.modulusLength });
        assert.strictEqual(response?.status, 200);
        assert.deepStrictEqual(JSON.parse(response.body!), { peer: `spin-${GO_SERVICE}` });
    });

    it("Redis runs the program's redis.conf on its Secret, and a replica's connection (its own certificate, the pod's name) gets PONG", async () => {
        const conf = ofKind(objs, "ConfigMap").find((c) => c.metadata.name === `${REDIS}-config` && c.metadata.namespace === namespace)?.data?.["redis.conf"];
        assert.ok(conf, `${REDIS}-config holds redis.conf`);
        const files = filesOf(REDIS);
        const server = await RedisServer.start(path.join(t.dir, "redis"), { conf, tls: { "tls.crt": files["tls.crt"], "tls.key": files["tls.key"], "ca.crt": files["ca.crt"] } });
        try {
            const pod0 = workloads.find((w) => w.name === REDIS)!.annotations[ANNOTATION.dnsNames].split(",").find((n) => n.startsWith(`${REDIS}-0.`));
            assert.ok(pod0, "dns-names holds the first pod's name");
            const s = await session({ port: server.port, tls: { ca: files["ca.crt"], cert: files["tls.crt"], key: files["tls.key"], servername: pod0 } }, [["PING"]]);
            assert.strictEqual(s.error, undefined, server.logText());
            assert.deepStrictEqual(s.replies, ["PONG"]);
        } finally {
            await server.stop();
        }
    });

    it("each certificate lives exactly the cert-ttl annotation's seconds, and cert-manager renews it at two thirds", () => {
        for (const w of workloads) {
            const ttl = Number(w.annotations[ANNOTATION.certTtl]);
            assert.ok(ttl > 0, `${w.name}: cert-ttl ${w.annotations[ANNOTATION.certTtl]}`);
            const leaf = new crypto.X509Certificate(filesOf(w.name)["tls.crt"]);
            const lifetime = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000;
            // X.509 times are whole seconds; cert-manager reads the clock once for notBefore and once for notAfter.
            assert.ok(Math.abs(lifetime - ttl) <= 1, `${w.name}: the certificate lives ${lifetime} s, cert-ttl says ${ttl}`);
            const { status } = issued.get(w.name)!.ready;
            const notBefore = Date.parse(status.notBefore);
            const notAfter = Date.parse(status.notAfter);
            assert.ok(Math.abs((notAfter - notBefore) / 1000 - ttl) <= 1, `${w.name}: status ${status.notBefore} – ${status.notAfter}`);
            const renewAt = (Date.parse(status.renewalTime) - notBefore) / 1000;
            assert.ok(Math.abs(renewAt - (2 * ttl) / 3) <= 1, `${w.name}: renews ${renewAt} s after issue, expected 2/3 of ${ttl}`);
        }
    });
});
