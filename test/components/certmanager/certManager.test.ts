// cert-manager: the issuers, the per-service Certificates of the cert-manager
// backend, and the optional install, as the offline engine records them.
import * as assert from "assert";
import * as crypto from "crypto";
import { unwrap } from "../../../engine/monitor";
import { RunResult } from "../../../engine/run";
import { validateObject } from "../../../engine/schemas";
import { identityDnsNames } from "../../../lib/catalog/serviceCatalog";
import { SERVICE_CATALOG, ServiceName } from "../../../lib/catalog/serviceCatalog";
import { objectNamed, ofType, run, secretsByName, stackRun } from "../../support/stacks";
import { importedChainRun, opensslChain } from "../../support/pki";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, unknown> };
const objects = (r: RunResult, type: string) => ofType(r, type).map((x) => unwrap(x.inputs) as Obj);
const CERT = "kubernetes:cert-manager.io/v1:Certificate";
const ISSUER = "kubernetes:cert-manager.io/v1:Issuer";
const CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer";

describe("cert-manager", () => {
    it("prod: every cert-manager object validates against cert-manager's CRD schemas", async () => {
        const r = await stackRun("prod");
        const all = [...objects(r, CERT), ...objects(r, ISSUER)];
        assert.strictEqual(
            all.length,
            9 + 2 + 1 + 2,
            "a Certificate per Java service but Deck (9: behind the ingress Deck serves plain HTTP and has none; terraformer's leaf comes from the root, in the program), per Redis (2) and for the ingress; two Issuers",
        );
        assert.ok(!objects(r, CERT).some((c) => (c.metadata as { name: string }).name === "spin-deck"), "no Certificate for Deck behind the ingress");
        for (const o of all) assert.deepStrictEqual(await validateObject(o), { checked: true, problems: [] }, `${o.kind} ${o.metadata.name}`);
    });

    it("a Certificate that breaks the CRD schema is caught (the check can fail)", async () => {
        const c = JSON.parse(JSON.stringify(objects(await stackRun("prod"), CERT)[0])) as Obj;
        (c.spec.privateKey as Record<string, unknown>).rotationPolicy = "Sometimes";
        const v = await validateObject(c);
        assert.strictEqual(v.checked, true);
        assert.match(v.problems.join("\n"), /spec\/privateKey\/rotationPolicy must be equal to one of the allowed values/);
    });

    it("dev (backend pulumi, no ingress) uses no cert-manager at all", async () => {
        const r = await stackRun("dev");
        assert.strictEqual(objects(r, CERT).length + objects(r, ISSUER).length + objects(r, CLUSTER_ISSUER).length, 0);
    });

    describe("issuers", () => {
        const secrets = (r: RunResult) => ofType(r, "kubernetes:core/v1:Secret").map((s) => unwrap(s.outputs) as { metadata: { name: string; namespace: string }; data: Record<string, string> });
        const issuersIn = (r: RunResult) => objects(r, ISSUER).map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort();

        it("no ClusterIssuer: a CA Issuer in Spinnaker's namespace, beside its copy of the program's CA, and the ACME Issuer in the gateway's", async () => {
            const r = await stackRun("prod");
            assert.deepStrictEqual(objects(r, CLUSTER_ISSUER), [], "a ClusterIssuer would sign for a Certificate in any namespace");
            assert.deepStrictEqual(issuersIn(r), ["istio-system/spinnaker-mtls-acme", "spinnaker/spinnaker-mtls-ca"]);
            const ca = objects(r, ISSUER).find((i) => i.metadata.name === "spinnaker-mtls-ca")!;
            assert.deepStrictEqual(ca.spec, { ca: { secretName: "spinnaker-mtls-ca" } });
            const caSecrets = secrets(r).filter((s) => s.metadata.name === "spinnaker-mtls-ca");
            assert.deepStrictEqual(caSecrets.map((s) => s.metadata.namespace), ["spinnaker"], "the CA key sits only where its Issuer is");
            // cert-manager gets the issuing CA, never the root's key: tls.crt and tls.key are the issuing CA's,
            // ca.crt the root every store holds, so each leaf's ca.crt is the root (cert-manager's layout for a chain).
            const root = new crypto.X509Certificate(unwrap(r.stackOutputs.caCertificatePem) as string);
            const decoded = (k: string) => Buffer.from(caSecrets[0].data[k], "base64").toString();
            const issuing = new crypto.X509Certificate(decoded("tls.crt"));
            assert.strictEqual(decoded("ca.crt"), root.toString(), "ca.crt is the stack's root");
            assert.ok(issuing.checkIssued(root) && issuing.verify(root.publicKey), "tls.crt is a CA the root signed");
            assert.notStrictEqual(issuing.fingerprint256, root.fingerprint256);
            assert.ok(issuing.checkPrivateKey(crypto.createPrivateKey(decoded("tls.key"))), "tls.key is the issuing CA's key");
            assert.ok(!root.checkPrivateKey(crypto.createPrivateKey(decoded("tls.key"))), "not the root's");
        });
        it("an ACME Issuer proving the ingress host through DNS-01 only", async () => {
            const acme = objects(await stackRun("prod"), ISSUER).find((i) => i.metadata.name === "spinnaker-mtls-acme")!.spec.acme as { solvers: Record<string, unknown>[]; email: string };
            assert.strictEqual(acme.email, "platform-team@example.com");
            assert.deepStrictEqual(acme.solvers, [{ selector: { dnsNames: ["spinnaker.example.com"] }, dns01: { route53: { region: "us-east-1" } } }]);
        });
        it("an imported intermediate: the CA Issuer's Secret holds the intermediate in tls.crt and the root in ca.crt, cert-manager's layout for a CA with a chain", async () => {
            const chain = opensslChain({ commonName: "Org Root" }, { commonName: "Spinnaker Issuing CA" });
            const r = await run(importedChainRun(chain));
            const [caSecret] = secrets(r).filter((x) => x.metadata.name === "spinnaker-mtls-ca" && x.metadata.namespace === "spinnaker");
            const decoded = (k: string) => Buffer.from(caSecret.data[k], "base64").toString();
            assert.strictEqual(decoded("tls.crt"), chain.cas[1].certPem);
            assert.strictEqual(decoded("ca.crt"), chain.cas[0].certPem);
            assert.strictEqual(unwrap(r.stackOutputs.caCertificatePem), chain.cas[0].certPem + chain.cas[1].certPem, "the stores' bundle: the root, then the intermediate");
        });
        it("local (the program's own PKI, a CA-signed ingress): the CA and its Issuer only in the gateway's namespace, none in Spinnaker's", async () => {
            const r = await stackRun("local");
            assert.deepStrictEqual(issuersIn(r), ["istio-system/spinnaker-mtls-ca"]);
            assert.deepStrictEqual(secrets(r).filter((s) => s.metadata.name === "spinnaker-mtls-ca").map((s) => s.metadata.namespace), ["istio-system"]);
        });
        it("a CA-signed ingress certificate gets its own CA Issuer in the gateway's namespace, and no ACME Issuer exists", async () => {
            const r = await run({ stack: "prod", config: { "spinnaker-mtls:ingressIssuer": "spinnaker-ca", "spinnaker-mtls:acmeEmail": "", "spinnaker-mtls:acmeDns01Solver": "" } });
            assert.deepStrictEqual(issuersIn(r), ["istio-system/spinnaker-mtls-ca", "spinnaker/spinnaker-mtls-ca"]);
            assert.deepStrictEqual(secrets(r).filter((s) => s.metadata.name === "spinnaker-mtls-ca").map((s) => s.metadata.namespace).sort(), ["istio-system", "spinnaker"]);
            const ingress = objects(r, CERT).find((c) => c.metadata.name === "spinnaker-ingress")!;
            assert.strictEqual(ingress.metadata.namespace, "istio-system");
            assert.deepStrictEqual(ingress.spec.issuerRef, { name: "spinnaker-mtls-ca", kind: "Issuer", group: "cert-manager.io" });
        });
    });

    describe("the cert-manager backend's Certificates (prod)", () => {
        let r: RunResult;
        before(async () => {
            r = await stackRun("prod");
        });
        const services = (): ServiceName[] => Object.keys(unwrap(r.stackOutputs.serviceCertificates) as object) as ServiceName[];

        /** The services whose leaves cert-manager issues: all but the Go ones, which go-yaml-tools presents without a chain. */
        const issuedByCertManager = () => services().filter((s) => SERVICE_CATALOG[s].runtime !== "go");

        it("one per service, for both server and client auth, with the same SANs the program's own PKI would issue", () => {
            for (const s of issuedByCertManager()) {
                const c = objectNamed<Obj>(r, CERT, `spin-${s}`).spec as Record<string, unknown>;
                // The Go services' keys are RSA (see below), which adds key encipherment.
                const usages = SERVICE_CATALOG[s].runtime === "go" ? ["digital signature", "key encipherment", "server auth", "client auth"] : ["digital signature", "server auth", "client auth"];
                assert.deepStrictEqual(c.usages, usages, s);
                const extra = s === "gate" ? ["spinnaker-api.example.com"] : s === "deck" ? ["spinnaker.example.com"] : [];
                assert.deepStrictEqual(c.dnsNames, identityDnsNames(s, "spinnaker", extra), s);
                assert.deepStrictEqual(c.issuerRef, { name: "spinnaker-mtls-ca", kind: "Issuer", group: "cert-manager.io" });
                assert.strictEqual(c.secretName, `spin-${s}-tls`);
            }
        });

        it("keys from config (prod: ECDSA P-384), a new key at every renewal, duration and renewal window from config", () => {
            const c = objectNamed<Obj>(r, CERT, "spin-orca").spec;
            assert.deepStrictEqual(c.privateKey, { algorithm: "ECDSA", size: 384, rotationPolicy: "Always" });
            assert.deepStrictEqual({ duration: c.duration, renewBefore: c.renewBefore }, { duration: "2160h", renewBefore: "360h" });
        });

        it("Java services get PKCS#12 stores on the Modern2023 profile, protected by a password Secret the program creates", () => {
            const secrets = secretsByName(r);
            for (const s of issuedByCertManager()) {
                const keystores = (objectNamed<Obj>(r, CERT, `spin-${s}`).spec as { keystores?: { pkcs12: { create: boolean; profile: string; passwordSecretRef: { name: string; key: string } } } }).keystores;
                if (SERVICE_CATALOG[s].runtime !== "java") {
                    assert.strictEqual(keystores, undefined, s);
                    continue;
                }
                assert.strictEqual(keystores!.pkcs12.create, true);
                assert.strictEqual(keystores!.pkcs12.profile, "Modern2023");
                const ref = keystores!.pkcs12.passwordSecretRef;
                const password = secrets.get(ref.name)?.files[ref.key]?.toString();
                assert.match(password ?? "", /^[A-Za-z0-9]{32}$/, `${s}: ${ref.name}/${ref.key}`);
            }
        });

        it("RSA keys from config become RSA Certificates with key encipherment", async () => {
            const rsa = await run({ stack: "prod", config: { "spinnaker-mtls:keyAlgorithm": "RSA", "spinnaker-mtls:rsaBits": "4096" } });
            const c = objectNamed<Obj>(rsa, CERT, "spin-orca").spec;
            assert.deepStrictEqual(c.privateKey, { algorithm: "RSA", encoding: "PKCS1", size: 4096, rotationPolicy: "Always" });
            assert.deepStrictEqual(c.usages, ["digital signature", "key encipherment", "server auth", "client auth"]);
        });

        it("the Go services' leaves come from the root, in the program, in a Secret of their own: RSA PKCS#1 at rsaBits, no chain, since go-yaml-tools reads only RSA PRIVATE KEY blocks and presents its leaf alone", async () => {
            const check = (run: RunResult, bits: number) => {
                assert.strictEqual(ofType(run, CERT).filter((c) => (unwrap(c.inputs) as Obj).metadata.name === "spin-terraformer").length, 0, "no Certificate for terraformer");
                const files = secretsByName(run).get("spin-terraformer-root-signed-tls")!.files;
                const chain = files["tls.crt"].toString().match(/-----BEGIN CERTIFICATE-----/g)!;
                assert.strictEqual(chain.length, 1, "the leaf alone");
                const leaf = new crypto.X509Certificate(files["tls.crt"]);
                const runRoot = new crypto.X509Certificate(unwrap(run.stackOutputs.caCertificatePem) as string);
                assert.ok(leaf.checkIssued(runRoot) && leaf.verify(runRoot.publicKey), "signed by the root itself");
                assert.strictEqual(files["ca.crt"].toString(), runRoot.toString());
                assert.match(files["tls.key"].toString(), /^-----BEGIN RSA PRIVATE KEY-----/);
                assert.strictEqual(crypto.createPrivateKey(files["tls.key"]).asymmetricKeyDetails?.modulusLength, bits);
            };
            check(r, 3072);
            const sized = await run({ stack: "prod", config: { "spinnaker-mtls:rsaBits": "2048" } });
            check(sized, 2048);
            assert.deepStrictEqual(objectNamed<Obj>(sized, CERT, "spin-orca").spec.privateKey, { algorithm: "ECDSA", size: 384, rotationPolicy: "Always" }, "Java services keep the stack's key");
        });

        it("asks Reloader to restart a service when cert-manager renews its Secrets, through pod annotations (a map that merges), never a kustomize list", () => {
            type Patch = { spec: { spinnakerConfig: { "service-settings": Record<string, { kubernetes: { podAnnotations: Record<string, string> } }> }; kustomize?: Record<string, { deployment?: unknown; service?: unknown }> } };
            const m = unwrap(ofType(r, "kubernetes:spinnaker.armory.io/v1alpha2:SpinnakerServicePatch")[0].inputs) as Patch;
            const reload = (s: string) => m.spec.spinnakerConfig["service-settings"][s].kubernetes.podAnnotations["secret.reloader.stakater.com/reload"];
            assert.strictEqual(reload("orca"), "spin-orca-keystore-password,spin-orca-tls");
            assert.strictEqual(reload("terraformer"), "spin-terraformer-root-signed-tls");
            // The kustomize lists are atomic under server-side apply: a user's own Deployment patches there must survive.
            for (const [s, k] of Object.entries(m.spec.kustomize ?? {})) assert.strictEqual(k.deployment, undefined, s);
        });
    });

    it("installs cert-manager itself when asked, pinned, with its CRDs, before anything that needs them", async () => {
        const r = await run({ stack: "prod", config: { "spinnaker-mtls:certManagerInstall": "true" } });
        const release = ofType(r, "kubernetes:helm.sh/v3:Release")[0];
        const inputs = unwrap(release.inputs) as Record<string, unknown>;
        assert.deepStrictEqual(
            { chart: inputs.chart, version: inputs.version, repo: (inputs.repositoryOpts as { repo: string }).repo, namespace: inputs.namespace, values: inputs.values },
            { chart: "cert-manager", version: "v1.21.2", repo: "https://charts.jetstack.io", namespace: "cert-manager", values: { crds: { enabled: true } } },
        );
        const issuers = ofType(r, "spinnaker-mtls:certmanager:CertManagerIssuers")[0];
        assert.deepStrictEqual(issuers.dependencies, [release.urn], "the issuers, and through them every Certificate, wait for the release");
    });
});

describe("switching a stack from the program's PKI to cert-manager", () => {
    const isTlsSecretDelete = (p: { op: string; type: string; urn: string }) => p.op === "delete" && p.type === "kubernetes:core/v1:Secret" && /\$kubernetes:core\/v1:Secret::spin-[a-z0-9-]+-secret$/.test(p.urn);

    it("a plain switch deletes the Secrets cert-manager is about to write; with tlsSecretHandover they leave the state and stay in the cluster", async () => {
        const onPulumi = await run({ stack: "prod", config: { "spinnaker-mtls:certificateBackend": "pulumi" } });
        const all = Object.keys(unwrap(onPulumi.stackOutputs.serviceCertificates) as object) as ServiceName[];
        // terraformer's leaf stays the program's, from the root (go-yaml-tools presents no chain), in a Secret of its own name.
        const services = all.filter((s) => SERVICE_CATALOG[s].runtime !== "go");
        const goSecretReplaced = (r: RunResult) =>
            assert.deepStrictEqual(
                r.plan.filter((p) => p.urn.endsWith("::spin-terraformer-secret")).map((p) => p.op),
                ["replace"],
                "terraformer's Secret is replaced by spin-terraformer-root-signed-tls, which its pods move to",
            );

        // The plain switch: every spin-<svc>-tls Secret is deleted outright.
        const plain = await run({ stack: "prod", previous: onPulumi.export });
        const plainDeletes = plain.plan.filter(isTlsSecretDelete);
        assert.strictEqual(plainDeletes.length, services.length + 2, "one per service and per Redis");
        assert.ok(plainDeletes.every((p) => !p.retained));
        goSecretReplaced(plain);

        // Step 1: the handover flag changes nothing in the cluster, only what the state says of the Secrets.
        const step1 = await run({ stack: "prod", config: { "spinnaker-mtls:certificateBackend": "pulumi", "spinnaker-mtls:tlsSecretHandover": "true" }, previous: onPulumi.export });
        assert.deepStrictEqual(step1.plan.filter((p) => p.op !== "same"), []);
        const retained = step1.export.deployment.resources.filter((r) => r.retainOnDelete).map((r) => r.urn.split("::").pop());
        assert.deepStrictEqual(retained.sort(), [...all.map((s) => `spin-${s}-secret`), "spin-redis-go-secret", "spin-redis-secret"].sort());

        // Step 2: the switch. The Secrets leave the state without being deleted, and the Certificates that take them over are created.
        const step2 = await run({ stack: "prod", config: { "spinnaker-mtls:tlsSecretHandover": "true" }, previous: step1.export });
        const deletes = step2.plan.filter(isTlsSecretDelete);
        assert.strictEqual(deletes.length, services.length + 2);
        assert.ok(deletes.every((p) => p.retained), deletes.filter((p) => !p.retained).map((p) => p.urn).join(", "));
        goSecretReplaced(step2);
        const created = step2.plan.filter((p) => p.op === "create" && p.type === CERT).map((p) => p.urn.split("::").pop());
        for (const s of services) assert.ok(created.includes(`spin-${s}-certificate`), s);
        // ...and the Spinnaker patch, which rolls the pods, waits for those Certificates (each waits for Ready).
        const patch = step2.resources.find((r) => r.type.includes(":SpinnakerServicePatch"))!;
        for (const s of services) assert.ok(patch.dependencies.some((d) => d.endsWith(`::spin-${s}-certificate`)), s);
    });
});
