// cert-manager v1.21's own controller and webhook (issue 13) over the prod
// stack's cert-manager objects, on the throwaway API server of issue 12.
//
// The controller and the webhook are built from the cert-manager Go module by
// test/e2e/build/cert-manager/build.sh (upstream's command modules are not
// served by the module proxy; see main.go there). This file runs that script
// itself (a warm run takes milliseconds) unless E2E_CERT_MANAGER_BIN names a
// binary already. The objects are prod's as the program produces them, from
// the offline engine, server-side applied as the Kubernetes provider would:
// this file judges cert-manager's answer to them, with no CLI in the way
// (prod.e2e.test.ts runs the same objects through the real CLI, where
// cert-manager's controller makes every Certificate Ready during `up`).
//
// What it proves: the webhook admits prod's Issuers and Certificates; the
// controller makes every Certificate of the CA Issuer Ready, and issues
// nothing for a Spinnaker name requested from another namespace; the
// Secrets it writes hold every key the SpinnakerService patch and the Redis
// StatefulSets read; Java 17 and JSSE load the PKCS#12 stores and complete
// mTLS; go-yaml-tools loads the Go service's key; a forced renewal (cmctl's
// trigger) rotates the key and changes what Reloader and the Redis reload
// sidecar watch; cert-manager's own validation judges the ACME issuer specs.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DNS01_PROVIDERS } from "../../components/config/istioConfig";
import { RELOADER_ANNOTATION } from "../../components/spinnaker/serviceSettings";
import { RunResult } from "../../engine/run";
import { run, stackRun, tempDir } from "../support/stacks";
import { importedChainRun, opensslChain } from "../support/pki";
import { Cluster, startCluster, toolchainDir } from "./support/cluster";
import {
    Json, Obj, Proc, api, apply, certManagerBinary, certObj, condition, decode, deniedByWebhook, get, goPeerBinary, goYamlToolsExchange,
    javaMtlsCheck, kubeObjects, objectPath, ofKind, secretKeyReferences, secretObj, serviceSettings, sha, spkiOf, startController, startWebhook,
    statefulSetSecretKeys, stopProc, tail, waitCertificateReady, waitUntil,
} from "./support/certManager";

// --- the suite ---------------------------------------------------------------

/** Where cert-manager itself runs (its webhook keeps its serving CA there); the program puts nothing in it. */
const CERT_MANAGER_NS = "cert-manager";
/** A namespace that is not Spinnaker's, from which someone asks for a Spinnaker identity. */
const INTRUDER_NS = "intruder";
/** Where the imported-intermediate case runs, apart from prod's objects. */
const CHAIN_NS = "chain";

describe("cert-manager v1.21 (its controller and webhook) over prod's cert-manager objects", function () {
    this.timeout(900_000);
    const t = tempDir("cert-manager-e2e");
    let cluster: Cluster | undefined;
    let controller: Proc | undefined;
    let webhook: Proc | undefined;
    let bin = "";
    let prod: RunResult;
    let objs: Obj[];
    let certificates: Obj[];
    let caIssuerName = "";
    let caIssuerNs = "";
    /** Secrets as cert-manager wrote them, by name, once every CA Certificate is Ready. */
    const written = new Map<string, Obj>();
    const applyWarnings: string[] = [];

    const logs = () => `controller log:\n${tail(controller?.log ?? "")}\nwebhook log:\n${tail(webhook?.log ?? "", 10)}`;

    before(async function () {
        const tc = toolchainDir();
        // A missing part fails the suite (never a skip): the reason is the message.
        if (!tc) throw new Error("E2E_TOOLCHAIN_DIR is unset or holds no kube-apiserver: run through test/e2e/run.sh (it sources test/e2e/build/toolchain/build.sh's env)");
        bin = certManagerBinary();
        prod = await stackRun("prod");
        objs = kubeObjects(prod);
        certificates = ofKind(objs, "Certificate");
        assert.deepStrictEqual(ofKind(objs, "ClusterIssuer"), [], "prod renders no ClusterIssuer");
        const caIssuer = ofKind(objs, "Issuer").find((i) => i.spec.ca);
        assert.ok(caIssuer, "prod renders a CA Issuer");
        caIssuerName = caIssuer.metadata.name;
        caIssuerNs = caIssuer.metadata.namespace!;
        const caSecret = ofKind(objs, "Secret").find((s) => s.metadata.name === caIssuer.spec.ca.secretName && s.metadata.namespace === caIssuerNs);
        assert.ok(caSecret, `prod renders the CA Issuer's Secret ${caIssuer.spec.ca.secretName} beside it, in ${caIssuerNs}`);

        cluster = await startCluster({ toolchainDir: tc, controllerManager: false, crds: true });
        const namespaces = [...new Set([CERT_MANAGER_NS, INTRUDER_NS, CHAIN_NS, ...objs.map((o) => o.metadata.namespace).filter((n): n is string => !!n)])].sort();
        for (const ns of namespaces) await apply(cluster, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });

        // The webhook first, so that every cert-manager object below is admitted by cert-manager's own validation.
        webhook = await startWebhook(cluster, bin, CERT_MANAGER_NS, t.dir);

        // prod's objects, in the program's dependency order: Secrets, issuers, Certificates.
        for (const kind of ["Secret", "ClusterIssuer", "Issuer", "Certificate"]) {
            for (const o of ofKind(objs, kind)) applyWarnings.push(...(await apply(cluster, o)).warnings.map((w) => `${kind} ${o.metadata.name}: ${w}`));
        }

        controller = startController(cluster, bin, CERT_MANAGER_NS, t.dir);
        for (const c of certificates.filter((x) => x.spec.issuerRef.name === caIssuerName)) {
            await waitCertificateReady(cluster, c, controller, logs);
            written.set(c.spec.secretName, await get(cluster, secretObj(c.spec.secretName, c.metadata.namespace!)));
        }
    });

    after(async () => {
        await stopProc(controller);
        await stopProc(webhook);
        await cluster?.stop();
        t.remove();
    });

    it("the webhook admits prod's Secrets, Issuers and Certificates, with no warnings", () => {
        assert.deepStrictEqual(applyWarnings, []);
        assert.ok(ofKind(objs, "Issuer").some((i) => i.spec.acme), "prod's ACME Issuer went through the webhook too");
    });

    /** Pulumi.prod.yaml's extraSans: names the stack asks for beyond what callers inside the cluster use. */
    const EXTRA_SANS: Record<string, string[]> = { "spin-gate": ["spinnaker-api.example.com"] };
    /** A Redis pod's own names (replicas reach the primary as <pod>.<headless Service>). */
    const isRedisPodName = (cert: string, name: string) => cert.startsWith("spin-redis") && new RegExp(`^${cert}-[0-9]+\\.${cert}-headless\\.`).test(name);
    /**
     * The names a Service's callers use: the four forms Kubernetes DNS gives a
     * Service (the short ones through the pod's search path), and every host
     * in an http(s) or rediss URL of the rendered objects that names it.
     */
    const calledBy = (service: string, namespace: string): string[] => {
        const dns = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
        const hosts = [...JSON.stringify(objs).matchAll(/(?:https?|rediss):\/\/([a-z0-9.-]+)/g)].map((m) => m[1]).filter((h) => h === service || h.startsWith(`${service}.`));
        return [...new Set([...dns, ...hosts])].sort();
    };

    it("every Certificate of the CA Issuer becomes Ready, signed by the program's CA, for the names its callers use", async () => {
        const ca = ofKind(objs, "Issuer").find((i) => i.metadata.name === caIssuerName && i.metadata.namespace === caIssuerNs)!;
        const issuer = await get(cluster!, { apiVersion: ca.apiVersion, kind: "Issuer", metadata: { name: caIssuerName, namespace: caIssuerNs } });
        assert.strictEqual(condition(issuer, "Ready")?.status, "True", JSON.stringify(issuer.status));
        // The Issuer's Secret holds the generated CA's issuing CA (tls.crt, tls.key) and its root (ca.crt): the root's key is not in the cluster.
        const caFiles = decode(ofKind(objs, "Secret").find((s) => s.metadata.name === ca.spec.ca.secretName && s.metadata.namespace === caIssuerNs)!);
        const issuing = new crypto.X509Certificate(caFiles["tls.crt"]);
        const root = new crypto.X509Certificate(String(prod.stackOutputs.caCertificatePem));
        assert.strictEqual(caFiles["ca.crt"].toString(), root.toString(), "the Issuer's ca.crt is the stack's root");
        assert.ok(issuing.checkIssued(root) && issuing.verify(root.publicKey) && issuing.fingerprint256 !== root.fingerprint256, "the Issuer signs with a CA under the root");
        assert.ok(!root.checkPrivateKey(crypto.createPrivateKey(caFiles["tls.key"])), "the Issuer's key is not the root's");
        const fromCa = certificates.filter((c) => c.spec.issuerRef.name === caIssuerName);
        assert.ok(fromCa.length >= 10, `prod has its service Certificates on the CA issuer (${fromCa.length})`);
        for (const c of fromCa) {
            const files = decode(written.get(c.spec.secretName)!);
            const [leafPem, ...carried] = files["tls.crt"].toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
            const leaf = new crypto.X509Certificate(leafPem ?? "");
            assert.ok(leaf.verify(issuing.publicKey), `${c.metadata.name}: signed by the program's issuing CA`);
            assert.strictEqual(leaf.issuer, issuing.subject);
            assert.deepStrictEqual(carried.map((b) => b.trim()), [issuing.toString().trim()], `${c.metadata.name}: tls.crt carries the issuing CA after the leaf`);
            assert.strictEqual(files["ca.crt"].toString(), root.toString(), `${c.metadata.name}: ca.crt is the program's root`);
            const sans = (leaf.subjectAltName ?? "").split(", ").map((s) => s.replace(/^DNS:/, "")).sort();
            // Judged against the names the service is called by, not against the program's own spec:
            // its Kubernetes Service's DNS names, and every host the rendered config sends callers to.
            const called = calledBy(c.metadata.name, c.metadata.namespace!);
            assert.deepStrictEqual(called.filter((n) => !sans.includes(n)), [], `${c.metadata.name}: names callers use that the certificate lacks`);
            const extra = sans.filter((n) => !called.includes(n) && !(EXTRA_SANS[c.metadata.name] ?? []).includes(n) && !isRedisPodName(c.metadata.name, n));
            assert.deepStrictEqual(extra, [], `${c.metadata.name}: names on the certificate that no caller uses`);
            assert.strictEqual(leaf.subject.split("\n").find((l) => l.startsWith("CN="))?.slice(3), c.spec.commonName);
            const keyAlg = leaf.publicKey.asymmetricKeyType === "ec" ? "ECDSA" : "RSA";
            assert.strictEqual(keyAlg, c.spec.privateKey.algorithm, `${c.metadata.name}: key algorithm`);
        }
    });

    it("a Certificate for a Spinnaker name asked for from another namespace is never issued, while the same request in Spinnaker's namespace is", async () => {
        const orca = certificates.find((c) => c.metadata.name === "spin-orca")!;
        const ask = (name: string, namespace: string, issuerRef: Json): Obj => ({
            apiVersion: orca.apiVersion,
            kind: "Certificate",
            metadata: { name, namespace },
            spec: { secretName: `${name}-tls`, commonName: "spin-orca", dnsNames: orca.spec.dnsNames, usages: orca.spec.usages, privateKey: { algorithm: "ECDSA", size: 256 }, issuerRef },
        });
        // The CA Issuer by name from the intruder's own namespace, and the ClusterIssuer the program used to declare.
        const intruders = [
            ask("spin-orca", INTRUDER_NS, { name: caIssuerName, kind: "Issuer", group: "cert-manager.io" }),
            ask("spin-orca-cluster", INTRUDER_NS, { name: caIssuerName, kind: "ClusterIssuer", group: "cert-manager.io" }),
        ];
        // Positive control: the same request in Spinnaker's namespace is issued by this controller.
        const control = ask("spin-orca-control", caIssuerNs, { name: caIssuerName, kind: "Issuer", group: "cert-manager.io" });
        for (const c of [...intruders, control]) await apply(cluster!, c);
        await waitCertificateReady(cluster!, control, controller!, logs);
        for (const c of intruders) {
            // The controller has judged each one: a CertificateRequest exists, approved (by the built-in
            // approver, which approves everything) and pending on an issuer its namespace does not have.
            const request = await waitUntil(`a CertificateRequest for ${c.metadata.namespace}/${c.metadata.name}`, 120_000, async () => {
                const list = JSON.parse((await api(cluster!, "GET", `/apis/cert-manager.io/v1/namespaces/${INTRUDER_NS}/certificaterequests`)).body) as { items: Obj[] };
                const cr = list.items.find((x) => x.metadata.annotations?.["cert-manager.io/certificate-name"] === c.metadata.name);
                return cr && condition(cr, "Ready")?.reason === "Pending" ? cr : undefined;
            }, logs);
            assert.match(condition(request, "Ready")?.message ?? "", new RegExp(`^Referenced "${c.spec.issuerRef.kind}" not found`), JSON.stringify(request.status));
            assert.notStrictEqual(condition(await get(cluster!, certObj(c)), "Ready")?.status, "True", `${c.metadata.name} was issued`);
            const secret = await api(cluster!, "GET", objectPath(secretObj(c.spec.secretName, INTRUDER_NS)));
            assert.strictEqual(secret.status, 404, `${c.spec.secretName} exists in ${INTRUDER_NS}`);
        }
    });

    it("a leaf cert-manager issues from the CA Issuer for a name outside the CA's constraints (login.example.com) is refused by JSSE and OpenSSL; one inside is taken (the positive control)", async () => {
        // cert-manager's CA issuer checks no name constraints: whoever may create a Certificate in Spinnaker's
        // namespace gets one signed. What stops it is the issuing CA's constraints, which no store holds as an anchor.
        const ask = (name: string, dnsName: string): Obj => ({
            apiVersion: "cert-manager.io/v1",
            kind: "Certificate",
            metadata: { name, namespace: caIssuerNs },
            spec: { secretName: `${name}-tls`, commonName: dnsName, dnsNames: [dnsName], usages: ["digital signature", "server auth", "client auth"], privateKey: { algorithm: "ECDSA", size: 256 }, issuerRef: { name: caIssuerName, kind: "Issuer", group: "cert-manager.io" } },
        });
        const rogue = ask("rogue-login", "login.example.com");
        const control = ask("spin-orca-inside", `spin-orca.${caIssuerNs}.svc.cluster.local`);
        for (const c of [rogue, control]) await apply(cluster!, c);
        const server = javaStores("clouddriver", t.dir);
        const root = path.join(t.dir, "root.pem");
        fs.writeFileSync(root, String(prod.stackOutputs.caCertificatePem));
        const judged = new Map<string, { jsse: childProcess.SpawnSyncReturns<string>; openssl: childProcess.SpawnSyncReturns<string> }>();
        for (const c of [rogue, control]) {
            await waitCertificateReady(cluster!, c, controller!, logs);
            const files = decode(await get(cluster!, secretObj(c.spec.secretName, caIssuerNs)));
            const [leaf, ...carried] = files["tls.crt"].toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
            const base = path.join(t.dir, c.metadata.name);
            fs.writeFileSync(`${base}.crt`, files["tls.crt"]);
            fs.writeFileSync(`${base}-leaf.crt`, leaf ?? "");
            fs.writeFileSync(`${base}-carried.crt`, carried.join(""));
            fs.writeFileSync(`${base}.key`, files["tls.key"], { mode: 0o600 });
            const p12 = childProcess.spawnSync("openssl", ["pkcs12", "-export", "-inkey", `${base}.key`, "-in", `${base}.crt`, "-out", `${base}.p12`, "-passout", "env:P12_PASSWORD", "-name", c.metadata.name], { encoding: "utf8", env: { ...process.env, P12_PASSWORD: server.password } });
            assert.strictEqual(p12.status, 0, p12.stderr);
            judged.set(c.metadata.name, {
                // The caller presents the cert-manager leaf and its chain; clouddriver's own stores judge it.
                jsse: javaMtlsCheck(
                    { keystore: { file: server.keystore, password: server.password }, truststore: { file: server.truststore, password: server.password } },
                    { keystore: { file: `${base}.p12`, password: server.password }, truststore: { file: server.truststore, password: server.password } },
                    `spin-clouddriver.${server.namespace}.svc.cluster.local`,
                ),
                openssl: childProcess.spawnSync("openssl", ["verify", "-CAfile", root, "-untrusted", `${base}-carried.crt`, `${base}-leaf.crt`], { encoding: "utf8" }),
            });
        }
        const inside = judged.get(control.metadata.name)!;
        assert.strictEqual(inside.jsse.status, 0, `the positive control: ${inside.jsse.stdout}${inside.jsse.stderr}`);
        assert.match(inside.jsse.stdout, /^OK CN=spin-orca\./);
        assert.strictEqual(inside.openssl.status, 0, inside.openssl.stdout + inside.openssl.stderr);
        const outside = judged.get(rogue.metadata.name)!;
        assert.notStrictEqual(outside.jsse.status, 0, outside.jsse.stdout);
        assert.match(outside.jsse.stdout, /^REFUSED /);
        assert.notStrictEqual(outside.openssl.status, 0);
        assert.match(outside.openssl.stdout + outside.openssl.stderr, /permitted subtree violation/);
    });

    it("an imported intermediate with its chain: cert-manager's CA issuer hands each leaf the intermediate in tls.crt and the root in ca.crt", async () => {
        const chain = opensslChain({ commonName: "Example Org Root", pathLen: 1 }, { commonName: "Spinnaker Issuing CA", pathLen: 0 });
        const withChain = await run(importedChainRun(chain));
        // The chain's CA Issuer, its Secret and orca's Certificate (with its password Secret), moved to a namespace of their own.
        const moved = (o: Obj): Obj => ({ ...o, metadata: { ...o.metadata, namespace: CHAIN_NS } });
        const chainObjs = kubeObjects(withChain);
        const orca = ofKind(chainObjs, "Certificate").find((c) => c.metadata.name === "spin-orca")!;
        const picked = [
            ofKind(chainObjs, "Secret").find((x) => x.metadata.name === "spinnaker-mtls-ca" && x.metadata.namespace === caIssuerNs)!,
            ofKind(chainObjs, "Secret").find((x) => x.metadata.name === orca.spec.keystores.pkcs12.passwordSecretRef.name)!,
            ofKind(chainObjs, "Issuer").find((x) => x.spec.ca)!,
            orca,
        ];
        for (const o of picked) await apply(cluster!, moved(o));
        const ready = await waitCertificateReady(cluster!, moved(orca), controller!, logs);
        assert.strictEqual(condition(ready, "Ready")?.status, "True");
        const files = decode(await get(cluster!, secretObj(orca.spec.secretName, CHAIN_NS)));
        const blocks = files["tls.crt"].toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
        assert.strictEqual(blocks.length, 2, "tls.crt: the leaf, then the intermediate");
        assert.strictEqual(blocks[1].trim(), chain.cas[1].certPem.trim());
        assert.strictEqual(files["ca.crt"].toString().trim(), chain.cas[0].certPem.trim(), "ca.crt: the root");
        const leaf = new crypto.X509Certificate(blocks[0]);
        assert.ok(leaf.verify(new crypto.X509Certificate(chain.cas[1].certPem).publicKey), "signed by the intermediate");
    });

    it("the ACME Certificate is the one left pending: its issuer is not run here (no ACME server is reachable)", async () => {
        const acmeIssuers = new Set(ofKind(objs, "Issuer").filter((i) => i.spec.acme).map((i) => i.metadata.name));
        const acmeCerts = certificates.filter((c) => acmeIssuers.has(c.spec.issuerRef.name));
        assert.strictEqual(acmeCerts.length + written.size, certificates.length, "every Certificate is either the CA's or ACME's");
        for (const c of acmeCerts) assert.notStrictEqual(condition(await get(cluster!, certObj(c)), "Ready")?.status, "True");
    });

    it("the Secrets cert-manager writes hold every key the SpinnakerService patch and the Redis StatefulSets read", () => {
        const patch = objs.find((o) => o.kind === "SpinnakerService");
        assert.ok(patch, "prod renders the SpinnakerService patch");
        const consumers: [string, Map<string, Set<string>>][] = [
            ["SpinnakerService patch", secretKeyReferences(patch.spec)],
            ...ofKind(objs, "StatefulSet").map((s) => [`StatefulSet ${s.metadata.name}`, statefulSetSecretKeys(s, ofKind(objs, "ConfigMap"))] as [string, Map<string, Set<string>>]),
        ];
        let checked = 0;
        const secretNames = new Set(certificates.map((c) => c.spec.secretName));
        for (const [who, refs] of consumers) {
            for (const [secret, keys] of refs) {
                if (!secretNames.has(secret)) continue; // the program's own Secrets (passwords, JVM trust store)
                const data = written.get(secret);
                assert.ok(data, `${who} reads ${secret}, which no Ready Certificate wrote`);
                for (const k of keys) {
                    assert.ok(decode(data)[k]?.length, `${who} reads ${secret}[${k}], which cert-manager did not write (it wrote ${Object.keys(data.data ?? {}).join(", ")})`);
                    checked++;
                }
            }
        }
        // Both kinds of consumer were found, so the check is not vacuous.
        assert.ok(consumers.filter(([, refs]) => [...refs.keys()].some((s) => secretNames.has(s))).length >= 3, "the patch and both Redis StatefulSets read cert-manager's Secrets");
        // At least each Java service's keystore.p12 and each Redis's tls.crt and tls.key: their CAs come from
        // the program's trust bundle, not from cert-manager's ca.crt or truststore.p12 (docs/cert-manager-and-istio.md).
        const floor = certificates.filter((c) => c.spec.keystores?.pkcs12?.create).length + 2 * ofKind(objs, "StatefulSet").length;
        assert.ok(floor >= 10 && checked >= floor, `${checked} references checked, ${floor} expected at least`);
        // What cert-manager writes besides: for each Secret, exactly its documented set.
        for (const c of certificates.filter((x) => x.spec.issuerRef.name === caIssuerName)) {
            const expected = ["ca.crt", "tls.crt", "tls.key", ...(c.spec.keystores?.pkcs12?.create ? ["keystore.p12", "truststore.p12"] : [])].sort();
            assert.deepStrictEqual(Object.keys(written.get(c.spec.secretName)!.data ?? {}).sort(), expected, c.spec.secretName);
        }
    });

    it("every CertificateRequest carries the requester the webhook stamped, and was approved by cert-manager's approver", async () => {
        const namespaces = [...new Set(certificates.map((c) => c.metadata.namespace!))];
        let n = 0;
        for (const ns of namespaces) {
            const list = JSON.parse((await api(cluster!, "GET", `/apis/cert-manager.io/v1/namespaces/${ns}/certificaterequests`)).body) as { items: Obj[] };
            for (const cr of list.items) {
                // Set by the mutating webhook's identity plugin from the request's user (the controller's, here e2e-admin).
                assert.strictEqual(cr.spec.username, "e2e-admin", `${cr.metadata.name}: spec.username`);
                assert.ok(cr.spec.groups?.includes("system:masters"), `${cr.metadata.name}: spec.groups`);
                if (certificates.find((c) => c.metadata.name === cr.metadata.annotations?.["cert-manager.io/certificate-name"])?.spec.issuerRef.name !== caIssuerName) continue;
                assert.strictEqual(condition(cr, "Approved")?.status, "True", `${cr.metadata.name}: ${JSON.stringify(cr.status)}`);
                assert.strictEqual(condition(cr, "Ready")?.status, "True");
                n++;
            }
        }
        assert.strictEqual(n, written.size, "one issued CertificateRequest per CA Certificate");
    });

    /** A Java service's stores as the patch wires them: keystore and truststore files plus the password Secret's value. */
    function javaStores(service: string, dir: string) {
        const c = certificates.find((x) => x.metadata.name === `spin-${service}`)!;
        const files = decode(written.get(c.spec.secretName)!);
        const pw = c.spec.keystores.pkcs12.passwordSecretRef;
        const password = decode(ofKind(objs, "Secret").find((s) => s.metadata.name === pw.name && s.metadata.namespace === c.metadata.namespace)!)[pw.key].toString();
        const keystore = path.join(dir, `${service}.p12`);
        const truststore = path.join(dir, `${service}-truststore.p12`);
        fs.writeFileSync(keystore, files["keystore.p12"], { mode: 0o600 });
        fs.writeFileSync(truststore, files["truststore.p12"], { mode: 0o600 });
        return { keystore, truststore, password, namespace: c.metadata.namespace! };
    }

    it("keystore.p12 and truststore.p12 use the Modern2023 profile and load in Java 17's keytool", () => {
        const java = certificates.filter((c) => c.spec.keystores?.pkcs12?.create);
        assert.ok(java.length >= 8, `prod's Java services get PKCS#12 stores (${java.length})`);
        for (const c of java) {
            assert.strictEqual(c.spec.keystores.pkcs12.profile, "Modern2023");
            const s = javaStores(c.metadata.name.replace(/^spin-/, ""), t.dir);
            const ks = childProcess.spawnSync("keytool", ["-list", "-v", "-storetype", "PKCS12", "-keystore", s.keystore, "-storepass", s.password], { encoding: "utf8" });
            assert.strictEqual(ks.status, 0, `${c.metadata.name}: ${ks.stderr}`);
            assert.match(ks.stdout, /Your keystore contains 1 entry/);
            assert.match(ks.stdout, /Entry type: PrivateKeyEntry/);
            assert.match(ks.stdout, new RegExp(`Owner: CN=${c.spec.commonName}`));
            const ts = childProcess.spawnSync("keytool", ["-list", "-storetype", "PKCS12", "-keystore", s.truststore, "-storepass", s.password], { encoding: "utf8" });
            assert.strictEqual(ts.status, 0, `${c.metadata.name}: ${ts.stderr}`);
            assert.match(ts.stdout, /trustedCertEntry/);
            // Modern2023: PBES2 (PBKDF2, AES-256-CBC) and a SHA-256 MAC; OpenSSL 3 reads it without -legacy.
            const info = childProcess.spawnSync("openssl", ["pkcs12", "-in", s.keystore, "-info", "-noout", "-passin", "env:P12_PASSWORD"], { encoding: "utf8", env: { ...process.env, P12_PASSWORD: s.password } });
            assert.strictEqual(info.status, 0, `${c.metadata.name}: ${info.stderr}`);
            const out = `${info.stdout}${info.stderr}`;
            assert.match(out, /MAC: sha256/);
            assert.match(out, /PBES2, PBKDF2, AES-256-CBC/);
            assert.doesNotMatch(out, /RC2|3DES|pbeWithSHA1/i);
        }
    });

    it("two services' cert-manager-issued stores complete mutual TLS in JSSE (clouddriver serves, front50 calls)", () => {
        const server = javaStores("clouddriver", t.dir);
        const client = javaStores("front50", t.dir);
        const r = javaMtlsCheck(
            { keystore: { file: server.keystore, password: server.password }, truststore: { file: server.truststore, password: server.password } },
            { keystore: { file: client.keystore, password: client.password }, truststore: { file: client.truststore, password: client.password } },
            `spin-clouddriver.${server.namespace}.svc.cluster.local`,
        );
        assert.strictEqual(r.status, 0, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /^OK CN=spin-front50/);
    });

    it("go-yaml-tools loads terraformer's key (RSA, PKCS#1; its leaf the program's, from the root, beside cert-manager's) and serves and calls mutual TLS with it", async () => {
        assert.ok(!certificates.some((x) => x.metadata.name === "spin-terraformer"), "terraformer gets no Certificate: go-yaml-tools presents no chain");
        const secretName = "spin-terraformer-root-signed-tls";
        const secret = ofKind(objs, "Secret").find((s) => s.metadata.name === secretName);
        assert.ok(secret, "prod runs terraformer, with the program's Secret");
        const files = decode(secret);
        assert.match(files["tls.key"].toString(), /^-----BEGIN RSA PRIVATE KEY-----\n/);
        const leaf = new crypto.X509Certificate(files["tls.crt"]);
        const root = new crypto.X509Certificate(String(prod.stackOutputs.caCertificatePem));
        assert.ok(leaf.checkIssued(root) && leaf.verify(root.publicKey), "signed by the root itself, which every store holds");
        // terraformer's profile as the patch renders it, its encryptedFile references laid out as the Operator mounts them.
        const patch = objs.find((o) => o.kind === "SpinnakerService")!;
        const { starting, response } = await goYamlToolsExchange({
            peer: goPeerBinary(), service: "terraformer", profile: patch.spec.spinnakerConfig.profiles.terraformer,
            secretName, files, dnsName: `spin-terraformer.${caIssuerNs}.svc.cluster.local`, dir: t.dir,
        });
        assert.deepStrictEqual(starting?.key, { type: "RSA", bits: (crypto.createPrivateKey(files["tls.key"]).asymmetricKeyDetails?.modulusLength) });
        assert.strictEqual(response?.status, 200);
        // The server saw terraformer's client certificate, verified against its CA.
        assert.deepStrictEqual(JSON.parse(response.body!), { peer: "spin-terraformer" });
    });

    describe("forced renewal, as `cmctl renew` triggers it", () => {
        interface Snapshot { cert: Obj; secret: Obj }
        const was = new Map<string, Snapshot>();
        const now = new Map<string, Snapshot>();
        // One of each kind cert-manager renews: a Java service (Reloader restarts it), Redis (its reload sidecar).
        // (The Go services' leaves are the program's: pulumi up renews them.)
        const renewed = ["spin-clouddriver", "spin-redis"];

        // cmctl renew (github.com/cert-manager/cmctl, pkg/renew/renew.go): sets the
        // Issuing condition, True, reason ManuallyTriggered, on the status subresource.
        async function cmctlRenew(c: Obj): Promise<void> {
            const current = await get(cluster!, certObj(c));
            const conditions = (current.status?.conditions ?? []).filter((x: { type: string }) => x.type !== "Issuing");
            conditions.push({ type: "Issuing", status: "True", reason: "ManuallyTriggered", message: "Certificate re-issuance manually triggered", observedGeneration: (current.metadata as { generation?: number }).generation, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") });
            const res = await api(cluster!, "PUT", `${objectPath(certObj(c))}/status`, { ...current, status: { ...current.status, conditions } });
            assert.ok(res.status < 300, `${res.status} ${res.body.slice(0, 300)}`);
        }

        before(async () => {
            for (const name of renewed) {
                const c = certificates.find((x) => x.metadata.name === name);
                assert.ok(c, `prod has ${name}`);
                was.set(name, { cert: await get(cluster!, certObj(c)), secret: written.get(c.spec.secretName)! });
                await cmctlRenew(c);
            }
            for (const name of renewed) {
                const c = certificates.find((x) => x.metadata.name === name)!;
                const rev = was.get(name)!.cert.status.revision as number;
                // At least one reissue: on a loaded machine cert-manager may issue twice (a
                // SecretMismatch seen while its own Secret update is in flight), which is its
                // business; what follows compares the first and the last state.
                const cert = await waitUntil(`${name} reissued (revision > ${rev}) and Ready`, 120_000, async () => {
                    const latest = await get(cluster!, certObj(c));
                    return (latest.status?.revision ?? 0) > rev && condition(latest, "Ready")?.status === "True" && !condition(latest, "Issuing") ? latest : undefined;
                }, logs);
                now.set(name, { cert, secret: await get(cluster!, secretObj(c.spec.secretName, c.metadata.namespace!)) });
            }
        });

        it("each Certificate gets a new private key (rotationPolicy Always) and a new certificate from the same CA", () => {
            for (const name of renewed) {
                const b = decode(was.get(name)!.secret);
                const a = decode(now.get(name)!.secret);
                assert.strictEqual(was.get(name)!.cert.spec.privateKey.rotationPolicy, "Always");
                assert.notStrictEqual(sha(a["tls.key"]), sha(b["tls.key"]), `${name}: tls.key rotated`);
                assert.notStrictEqual(spkiOf(a["tls.crt"]), spkiOf(b["tls.crt"]), `${name}: the certificate carries the new public key`);
                assert.notStrictEqual(new crypto.X509Certificate(a["tls.crt"]).serialNumber, new crypto.X509Certificate(b["tls.crt"]).serialNumber);
                assert.strictEqual(a["ca.crt"].toString(), b["ca.crt"].toString(), `${name}: ca.crt unchanged`);
                assert.ok(new crypto.X509Certificate(a["tls.crt"]).checkPrivateKey(crypto.createPrivateKey(a["tls.key"])), `${name}: new key matches new certificate`);
            }
        });

        it("what changes on each object: the Certificate's status, a new CertificateRequest, the Secret's data and cert-manager annotations", async () => {
            for (const name of renewed) {
                // CertificateRequest: a new one for the next revision, holding the new key's CSR.
                const c = certificates.find((x) => x.metadata.name === name)!;
                const list = JSON.parse((await api(cluster!, "GET", `/apis/cert-manager.io/v1/namespaces/${c.metadata.namespace}/certificaterequests`)).body) as { items: Obj[] };
                const mine = list.items.filter((cr) => cr.metadata.annotations?.["cert-manager.io/certificate-name"] === name);
                const revisions = mine.map((cr) => Number(cr.metadata.annotations?.["cert-manager.io/certificate-revision"])).sort();
                const rev = now.get(name)!.cert.status.revision as number;
                // The previous ones are gone: the Certificates set no revisionHistoryLimit, and the
                // revision manager then keeps 1 (pkg/controller/certificates/revisionmanager).
                assert.strictEqual(c.spec.revisionHistoryLimit, undefined);
                assert.deepStrictEqual(revisions, [rev], `${name}: CertificateRequests by revision`);
                const next = mine.find((cr) => Number(cr.metadata.annotations?.["cert-manager.io/certificate-revision"]) === rev)!;
                assert.strictEqual(Buffer.from(next.status.certificate, "base64").toString(), decode(now.get(name)!.secret)["tls.crt"].toString(), `${name}: the Secret holds the new request's certificate`);
                const b = was.get(name)!;
                const a = now.get(name)!;
                // Certificate: spec untouched (Pulumi sees no drift), status moves on.
                assert.deepStrictEqual(a.cert.spec, b.cert.spec, `${name}: spec unchanged`);
                assert.ok(a.cert.status.revision > b.cert.status.revision, `${name}: revision ${b.cert.status.revision} -> ${a.cert.status.revision}`);
                assert.ok(Date.parse(a.cert.status.notBefore) >= Date.parse(b.cert.status.notBefore));
                assert.notStrictEqual(a.cert.status.renewalTime, undefined);
                // Secret: the same keys; every key but ca.crt changes (PKCS#12 files re-encoded around the new key).
                const bd = decode(b.secret);
                const ad = decode(a.secret);
                assert.deepStrictEqual(Object.keys(ad).sort(), Object.keys(bd).sort());
                const changed = Object.keys(ad).filter((k) => !ad[k].equals(bd[k])).sort();
                const expected = Object.keys(ad).filter((k) => k !== "ca.crt" && k !== "truststore.p12").sort();
                assert.deepStrictEqual(changed.filter((k) => k !== "truststore.p12"), expected, `${name}: changed keys`);
                const ann = (s: Obj) => s.metadata.annotations ?? {};
                assert.strictEqual(ann(a.secret)["cert-manager.io/certificate-name"], name);
                assert.strictEqual(ann(a.secret)["cert-manager.io/issuer-name"], caIssuerName);
                assert.deepStrictEqual(a.secret.metadata.labels, b.secret.metadata.labels, `${name}: secretTemplate labels kept`);
            }
        });

        it("the Spinnaker services' restart trigger: the renewed Secret is one Reloader watches for the service, and its data changed", () => {
            const patch = objs.find((o) => o.kind === "SpinnakerService")!;
            const annotation = serviceSettings(patch).clouddriver?.kubernetes?.podAnnotations?.[RELOADER_ANNOTATION] as string | undefined;
            assert.ok(annotation, `clouddriver's pods carry ${RELOADER_ANNOTATION}`);
            const c = certificates.find((x) => x.metadata.name === "spin-clouddriver")!;
            assert.ok(annotation.split(",").includes(c.spec.secretName), `${annotation} names ${c.spec.secretName}`);
            // Reloader restarts when the hash of the Secret's data changes.
            const dataHash = (s: Obj) => sha(JSON.stringify(Object.entries(s.data ?? {}).sort()));
            assert.notStrictEqual(dataHash(now.get("spin-clouddriver")!.secret), dataHash(was.get("spin-clouddriver")!.secret));
        });

        it("Redis's reload trigger: the files its tls-reload sidecar checksums change (the reload itself: test/peers/redisReload.test.ts)", () => {
            const sts = ofKind(objs, "StatefulSet").find((s) => s.metadata.name === "spin-redis")!;
            const sidecar = sts.spec.template.spec.containers.find((x: { name: string }) => x.name === "tls-reload");
            assert.ok(sidecar, "spin-redis has its tls-reload sidecar");
            const mount = sidecar.volumeMounts[0].mountPath as string;
            const script = JSON.stringify(sidecar.command);
            const watched = [...script.matchAll(new RegExp(`cat ((?:${mount}/[A-Za-z0-9._-]+ ?)+)\\| ?cksum`, "g"))].flatMap((m) => m[1].trim().split(" ").map((f) => f.slice(mount.length + 1)));
            assert.ok(watched.length >= 2, `the sidecar checksums ${watched.join(", ")}`);
            const b = decode(was.get("spin-redis")!.secret);
            const a = decode(now.get("spin-redis")!.secret);
            assert.notStrictEqual(sha(Buffer.concat(watched.map((k) => a[k]))), sha(Buffer.concat(watched.map((k) => b[k]))));
        });
    });

    describe("ACME issuers, judged by cert-manager's own validation (the webhook's resourcevalidation plugin)", () => {
        const dryRun = (o: Obj) => api(cluster!, "POST", `${objectPath({ ...o, metadata: { ...o.metadata, name: undefined } })}?dryRun=All`, o);

        it("prod's ACME Issuer solves with DNS-01 only, and cert-manager admits it", async () => {
            const acme = ofKind(objs, "Issuer").filter((i) => i.spec.acme);
            assert.strictEqual(acme.length, 1);
            for (const i of acme) {
                for (const s of i.spec.acme.solvers) {
                    assert.ok(s.dns01 && !s.http01, JSON.stringify(s));
                }
                const r = await dryRun({ ...i, metadata: { ...i.metadata, name: `${i.metadata.name}-dry` } });
                assert.strictEqual(r.status, 201, r.body.slice(0, 500));
                assert.deepStrictEqual(r.warnings, []);
            }
        });

        it("cert-manager refuses what the DNS-01-only choice excludes: a solver with no challenge type, and one with two", async () => {
            const i = ofKind(objs, "Issuer").find((x) => x.spec.acme)!;
            const solver = i.spec.acme.solvers[0];
            for (const solvers of [[{ selector: solver.selector }], [{ ...solver, http01: { ingress: {} } }]]) {
                const r = await dryRun({ ...i, metadata: { ...i.metadata, name: "e2e-acme-variant" }, spec: { acme: { ...i.spec.acme, solvers } } });
                assert.ok(r.status >= 400 && deniedByWebhook(r), `${r.status} ${r.body.slice(0, 500)}`);
            }
        });

        // A complete body per provider, as cert-manager v1.21's CRD schema and
        // webhook (ValidateACMEChallengeSolverDNS01) ask for it.
        const COMPLETE: Record<(typeof DNS01_PROVIDERS)[number], object> = {
            acmeDNS: { host: "https://acme-dns.example.com", accountSecretRef: { name: "acme-dns", key: "acmedns.json" } },
            akamai: {
                serviceConsumerDomain: "akab-example.luna.akamaiapis.net",
                clientTokenSecretRef: { name: "akamai", key: "clientToken" },
                clientSecretSecretRef: { name: "akamai", key: "clientSecret" },
                accessTokenSecretRef: { name: "akamai", key: "accessToken" },
            },
            azureDNS: { subscriptionID: "00000000-0000-0000-0000-000000000000", resourceGroupName: "dns", hostedZoneName: "example.com", managedIdentity: { clientID: "00000000-0000-0000-0000-000000000001" } },
            cloudDNS: { project: "example-project" },
            cloudflare: { apiTokenSecretRef: { name: "cloudflare", key: "api-token" } },
            digitalocean: { tokenSecretRef: { name: "digitalocean", key: "token" } },
            rfc2136: { nameserver: "192.0.2.53:53" },
            route53: { region: "us-east-1" },
            webhook: { groupName: "acme.example.com", solverName: "example" },
        };

        it("with a complete body, every DNS-01 provider the program offers renders a DNS-01-only Issuer cert-manager admits", async () => {
            for (const provider of DNS01_PROVIDERS) {
                const result = await run({ stack: "prod", config: { "spinnaker-mtls:acmeDns01Solver": JSON.stringify({ [provider]: COMPLETE[provider] }) } });
                const issuer = ofKind(kubeObjects(result), "Issuer").find((x) => x.spec.acme);
                assert.ok(issuer, `${provider}: the program renders an ACME Issuer`);
                assert.ok(issuer.spec.acme.solvers.every((x: Json) => x.dns01?.[provider] && !x.http01), `${provider}: ${JSON.stringify(issuer.spec.acme.solvers)}`);
                const r = await dryRun({ ...issuer, metadata: { ...issuer.metadata, name: `e2e-acme-${provider.toLowerCase()}` } });
                assert.strictEqual(r.status, 201, `${provider}: ${r.body.slice(0, 500)}`);
                assert.deepStrictEqual(r.warnings, [], provider);
            }
        });

        it("whatever solver body the program's config accepts, cert-manager admits: incomplete ones are refused before any resource", async () => {
            // Per provider: an empty body, and the complete one with each field taken away in turn,
            // plus the combinations cert-manager forbids.
            const bodies: [string, object][] = [];
            for (const provider of DNS01_PROVIDERS) {
                bodies.push([provider, {}]);
                const complete = COMPLETE[provider] as Record<string, unknown>;
                for (const k of Object.keys(complete)) bodies.push([provider, Object.fromEntries(Object.entries(complete).filter(([x]) => x !== k))]);
            }
            bodies.push(["cloudflare", { apiKeySecretRef: { name: "cf", key: "k" }, apiTokenSecretRef: { name: "cf", key: "t" } }]);
            bodies.push(["cloudflare", { apiKeySecretRef: { name: "cf", key: "k" } }]);
            bodies.push(["route53", { accessKeyID: "AKIA", accessKeyIDSecretRef: { name: "aws", key: "id" } }]);
            bodies.push(["azureDNS", { ...(COMPLETE.azureDNS as object), clientID: "x" }]);
            const verdicts: string[] = [];
            let refusedByProgram = 0;
            let admitted = 0;
            for (const [provider, body] of bodies) {
                const value = JSON.stringify({ [provider]: body });
                let result: Awaited<ReturnType<typeof run>>;
                try {
                    result = await run({ stack: "prod", config: { "spinnaker-mtls:acmeDns01Solver": value } });
                } catch (e) {
                    assert.match(String(e), /spinnaker-mtls:acmeDns01Solver is /, value);
                    refusedByProgram++;
                    continue;
                }
                const issuer = ofKind(kubeObjects(result), "Issuer").find((x) => x.spec.acme);
                assert.ok(issuer, `${value}: the program renders an ACME Issuer`);
                const r = await dryRun({ ...issuer, metadata: { ...issuer.metadata, name: `e2e-acme-${provider.toLowerCase()}` } });
                // Which judge refused: the CRD's schema (the API server) or the webhook's Go rules.
                if (r.status !== 201) verdicts.push(`${value} (${deniedByWebhook(r) ? "webhook" : "CRD schema"}): ${(JSON.parse(r.body) as { message?: string }).message ?? r.body}`);
                else admitted++;
            }
            assert.deepStrictEqual(verdicts, [], "the program accepts these acmeDns01Solver values, and cert-manager refuses the issuer at pulumi up");
            // Both outcomes happen, so neither judge is vacuous.
            assert.ok(refusedByProgram > 0 && admitted > 0, `refused ${refusedByProgram}, admitted ${admitted}`);
        });
    });
});
