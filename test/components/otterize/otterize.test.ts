// certificateBackend otterize: the annotations the credentials operator reads,
// the Secret layout they ask for, and that the Spinnaker settings, Redis and
// the state hold the same contract as the other backends, with the keystore
// passwords secret everywhere but the one annotation the operator reads.
import * as assert from "assert";
import { isSecretMarker, unwrap } from "../../../engine/monitor";
import { RunResult } from "../../../engine/run";
import { OTTERIZE_ANNOTATION, OTTERIZE_DEFAULT_JKS_PASSWORD, credentialAnnotations, operatorValues, otterizeTlsMaterial } from "../../../components/otterize";
import { CA_ISSUER } from "../../../components/certmanager";
import { OTTERIZE_DEFAULT_JKS_PASSWORD as PACK_OTTERIZE_DEFAULT_JKS_PASSWORD, OTTERIZE_PREFIX as PACK_OTTERIZE_PREFIX, isOtterizeJksPassword } from "../../../policies/lib/otterize";
import { SERVICE_CATALOG, ServiceName } from "../../../lib/catalog/serviceCatalog";
import { redisPodDnsNames } from "../../../components/redis";
import { ofType, secretsByName, stackRun } from "../../support/stacks";
import { Fixture, messages } from "../../support/policyPack";
import * as fs from "fs";
import { policyConfigFor } from "../../../engine/verify";

type Patch = { spec: { spinnakerConfig: { profiles: Record<string, unknown>; "service-settings": Record<string, { kubernetes?: { podAnnotations?: Record<string, string> } }> } } };
type Sts = { metadata: { name: string; namespace: string }; spec: { replicas: number; template: { metadata: { annotations: Record<string, string> } } } };

const patchOf = (r: RunResult) => ofType(r, "kubernetes:spinnaker.armory.io/v1alpha2:SpinnakerServicePatch")[0];
/** Every encryptedFile reference in a tree, as [secret, key]. */
function fileRefs(v: unknown, out: [string, string][] = []): [string, string][] {
    if (typeof v === "string") {
        const m = /^encryptedFile:k8s!n:([^!]+)!k:(.+)$/.exec(v);
        if (m) out.push([m[1], m[2]]);
    } else if (v && typeof v === "object") for (const x of Object.values(v)) fileRefs(x, out);
    return out;
}

describe("otterize backend", () => {
    describe("annotations (pure)", () => {
        it("a Java identity asks for JKS stores at the names the settings read, a PEM identity for the PEM files", () => {
            const dnsNames = ["spin-orca", "spin-orca.spinnaker"];
            const java = credentialAnnotations({ name: "orca", format: "pkcs12", dnsNames, ttlHours: 6 });
            const material = otterizeTlsMaterial("orca", "pkcs12");
            assert.strictEqual(java[OTTERIZE_ANNOTATION.tlsSecretName], material.secret);
            assert.strictEqual(java[OTTERIZE_ANNOTATION.certType], "jks");
            assert.strictEqual(java[OTTERIZE_ANNOTATION.keystoreFileName], material.keystore);
            assert.strictEqual(java[OTTERIZE_ANNOTATION.truststoreFileName], material.truststore);
            assert.strictEqual(java[OTTERIZE_ANNOTATION.certTtl], String(6 * 3600));
            assert.strictEqual(java[OTTERIZE_ANNOTATION.dnsNames], dnsNames.join(","));
            assert.strictEqual(material.storeType, "JKS");
            assert.strictEqual(java[OTTERIZE_ANNOTATION.jksPassword], undefined, "the password is the component's, as a secret");

            const pem = credentialAnnotations({ name: "redis", format: "pem", dnsNames, ttlHours: 6 });
            const pemMaterial = otterizeTlsMaterial("redis", "pem");
            assert.strictEqual(pem[OTTERIZE_ANNOTATION.certType], "pem");
            assert.deepStrictEqual(
                [pem[OTTERIZE_ANNOTATION.certFileName], pem[OTTERIZE_ANNOTATION.keyFileName], pem[OTTERIZE_ANNOTATION.caFileName]],
                [pemMaterial.certificate, pemMaterial.privateKey, pemMaterial.caCertificate],
            );
            // Only the operator's current generation of names.
            for (const key of [...Object.keys(java), ...Object.keys(pem)]) assert.match(key, /^credentials-operator\.otterize\.com\//);
        });

        it("the policy pack (which imports nothing from the program) knows the same annotation prefix and default password", () => {
            assert.strictEqual(PACK_OTTERIZE_DEFAULT_JKS_PASSWORD, OTTERIZE_DEFAULT_JKS_PASSWORD);
            for (const key of Object.values(OTTERIZE_ANNOTATION)) assert.ok(key.startsWith(`${PACK_OTTERIZE_PREFIX}/`), key);
            assert.ok(isOtterizeJksPassword(OTTERIZE_ANNOTATION.jksPassword));
        });

        it("the operator's Helm values name this program's CA Issuer for cert-manager, namespaced (the operator's default)", () => {
            assert.deepStrictEqual(operatorValues("cert-manager", CA_ISSUER), { global: { certificateProvider: "cert-manager" }, certManager: { issuerName: CA_ISSUER, useClusterIssuer: false } });
            assert.deepStrictEqual(operatorValues("spire", CA_ISSUER), { global: { certificateProvider: "spire" } });
        });
    });

    describe("the otterize stack under the offline engine", () => {
        it("issues nothing itself but the Go services' leaves, from the root: no other certificate, key or cert-manager Certificate for a service", async () => {
            const r = await stackRun("otterize");
            const names = (t: string) => ofType(r, t).map((x) => x.urn.split("::").pop()).sort();
            assert.deepStrictEqual(ofType(r, "kubernetes:cert-manager.io/v1:Certificate"), []);
            // The issuing CA (the cert-manager provider signs with it through the CA Issuer in Spinnaker's
            // namespace), and terraformer's leaf, which go-yaml-tools presents without a chain.
            assert.deepStrictEqual(names("tls:index/locallySignedCert:LocallySignedCert"), ["spin-terraformer-cert", "spinnaker-ca-issuing-cert"]);
            assert.deepStrictEqual(names("tls:index/privateKey:PrivateKey"), ["spin-terraformer-key", "spinnaker-ca-issuing-key", "spinnaker-ca-key"]);
            const issuers = ofType(r, "kubernetes:cert-manager.io/v1:Issuer").map((x) => (unwrap(x.inputs) as { metadata: { name: string; namespace: string } }).metadata);
            const ns = unwrap(r.stackOutputs.namespace) as string;
            assert.ok(issuers.some((i) => i.name === CA_ISSUER && i.namespace === ns), JSON.stringify(issuers));
            assert.deepStrictEqual(ofType(r, "kubernetes:cert-manager.io/v1:ClusterIssuer"), []);
        });

        it("every service's pods carry the operator's annotations for the Secret its settings read", async () => {
            const r = await stackRun("otterize");
            const patch = unwrap(patchOf(r).inputs) as Patch;
            const cfg = patch.spec.spinnakerConfig;
            const services = Object.keys(cfg["service-settings"]).filter((s): s is ServiceName => s in SERVICE_CATALOG);
            assert.ok(services.length >= 10, services.join(","));
            for (const s of services) {
                const a = cfg["service-settings"][s].kubernetes?.podAnnotations ?? {};
                if (SERVICE_CATALOG[s].runtime === "go") {
                    // Its leaf is the program's, from the root: no annotation asks the operator for one.
                    assert.deepStrictEqual(Object.keys(a).filter((k) => k.startsWith("credentials-operator.otterize.com/")), [], s);
                    assert.strictEqual(a["secret.reloader.stakater.com/reload"], `spin-${s}-root-signed-tls`, s);
                    continue;
                }
                const secret = a[OTTERIZE_ANNOTATION.tlsSecretName];
                assert.strictEqual(secret, `spin-${s}-tls`, s);
                assert.strictEqual(a[OTTERIZE_ANNOTATION.certTtl], String(12 * 3600), s);
                // What the profile reads from the TLS Secret is what the operator is asked to write there.
                const written = SERVICE_CATALOG[s].runtime === "java"
                    ? [a[OTTERIZE_ANNOTATION.keystoreFileName], a[OTTERIZE_ANNOTATION.truststoreFileName]]
                    : [a[OTTERIZE_ANNOTATION.certFileName], a[OTTERIZE_ANNOTATION.keyFileName], a[OTTERIZE_ANNOTATION.caFileName]];
                const read = fileRefs(cfg.profiles[s]).filter(([sec]) => sec === secret).map(([, key]) => key);
                if (s !== "deck") assert.deepStrictEqual([...new Set(read)].sort(), [...written].sort(), s);
                assert.strictEqual(a[OTTERIZE_ANNOTATION.certType], SERVICE_CATALOG[s].runtime === "java" ? "jks" : "pem", s);
                // Renewals happen outside Pulumi: Reloader restarts the pods that read the Secret.
                assert.match(a["secret.reloader.stakater.com/reload"], new RegExp(`(^|,)${secret}(,|$)`), s);
            }
        });

        it("Java keystores: a generated password per service, in our Secret (which the profile references) and in the annotation, never the default", async () => {
            const r = await stackRun("otterize");
            const patch = unwrap(patchOf(r).inputs) as Patch;
            const secrets = secretsByName(r);
            const seen = new Set<string>();
            for (const [s, settings] of Object.entries(patch.spec.spinnakerConfig["service-settings"])) {
                if ((SERVICE_CATALOG as Record<string, { runtime: string }>)[s]?.runtime !== "java") continue;
                const annotated = settings.kubernetes!.podAnnotations![OTTERIZE_ANNOTATION.jksPassword];
                const stored = secrets.get(`spin-${s}-keystore-password`)!.files.password.toString("utf8");
                assert.strictEqual(annotated, stored, s);
                assert.notStrictEqual(annotated, OTTERIZE_DEFAULT_JKS_PASSWORD);
                assert.ok(annotated.length >= 32, s);
                seen.add(annotated);
                assert.match(JSON.stringify(patch.spec.spinnakerConfig.profiles[s]), new RegExp(`encrypted:k8s!n:spin-${s}-keystore-password!k:password`), s);
            }
            const java = Object.keys(patch.spec.spinnakerConfig["service-settings"]).filter((s) => (SERVICE_CATALOG as Record<string, { runtime: string }>)[s]?.runtime === "java");
            assert.strictEqual(seen.size, java.length, "one password per Java service");
        });

        it("the passwords are secret in the state and in every output: the patch's inputs as a whole, never in plain text", async () => {
            const r = await stackRun("otterize");
            assert.ok(isSecretMarker(patchOf(r).inputs.spec), "the patch's spec is secret (it carries the annotations)");
            const passwords = [...secretsByName(r).values()].filter((f) => f.secretName.endsWith("-keystore-password")).map((f) => f.files.password.toString("utf8"));
            assert.ok(passwords.length > 0);
            const exported = JSON.stringify(r.export) + JSON.stringify(r.stackOutputs);
            for (const p of passwords) assert.ok(!exported.includes(p), "a keystore password in the export or the stack outputs");
        });

        it("Redis: the operator issues its server certificate (PEM) with every pod's name", async () => {
            const r = await stackRun("otterize");
            const sets = ofType(r, "kubernetes:apps/v1:StatefulSet").map((x) => unwrap(x.inputs) as Sts);
            assert.deepStrictEqual(sets.map((s) => s.metadata.name).sort(), ["spin-redis", "spin-redis-go"]);
            for (const sts of sets) {
                const a = sts.spec.template.metadata.annotations;
                const name = sts.metadata.name.replace(/^spin-/, "");
                assert.strictEqual(a[OTTERIZE_ANNOTATION.tlsSecretName], `spin-${name}-tls`);
                assert.strictEqual(a[OTTERIZE_ANNOTATION.certType], "pem");
                const dns = a[OTTERIZE_ANNOTATION.dnsNames].split(",");
                for (const n of redisPodDnsNames(name, sts.metadata.namespace, sts.spec.replicas - 1)) assert.ok(dns.includes(n), `${sts.metadata.name}: ${n}`);
                // The operator renews the Secret in place, and the tls-reload container loads it: no TLS checksum rolls Redis.
                assert.strictEqual(a["spinnaker-mtls/tls-checksum"], undefined);
            }
        });

        it("the stack outputs say who renews, and the operator's Helm values", async () => {
            const r = await stackRun("otterize");
            const out = unwrap(r.stackOutputs) as { otterizeOperatorValues: unknown; serviceCertificates: Record<string, { renewedBy?: string }> };
            assert.deepStrictEqual(out.otterizeOperatorValues, operatorValues("cert-manager", CA_ISSUER));
            for (const [s, c] of Object.entries(out.serviceCertificates)) {
                if (SERVICE_CATALOG[s as ServiceName].runtime === "go") assert.deepStrictEqual([c.renewedBy, typeof (c as { notAfter?: string }).notAfter], [undefined, "string"], `${s}: the program's, renewed by pulumi up`);
                else assert.strictEqual(c.renewedBy, "otterize credentials operator", s);
            }
        });
    });

    describe("the policy pack on the stack's own objects", () => {
        const asFixture = (r: RunResult, type: string, nth = 0): Fixture => ({ type, name: `r${nth}`, inputs: unwrap(ofType(r, type)[nth].inputs) as Record<string, unknown> });
        const config = () => JSON.parse(fs.readFileSync(policyConfigFor("otterize"), "utf8")) as Record<string, unknown>;
        const annotationsOf = (f: Fixture, svc: string) => (f.inputs as Patch).spec.spinnakerConfig["service-settings"][svc].kubernetes!.podAnnotations!;

        it("passes them as emitted, and refuses each weakening of the annotations, naming the field", async () => {
            const r = await stackRun("otterize");
            const patchType = patchOf(r).type;
            const pristine = [asFixture(r, patchType), asFixture(r, "kubernetes:apps/v1:StatefulSet", 0), asFixture(r, "kubernetes:apps/v1:StatefulSet", 1)];
            assert.deepStrictEqual(await messages("otterize-credentials", pristine, config()), []);
            const weakenings: [string, (a: Record<string, string>) => void, RegExp][] = [
                ["the default password", (a) => (a[OTTERIZE_ANNOTATION.jksPassword] = OTTERIZE_DEFAULT_JKS_PASSWORD), /jks-password"\]: is the operator's well-known default password/],
                ["no password", (a) => delete a[OTTERIZE_ANNOTATION.jksPassword], /jks-password"\]: is not set, so the operator protects the keystore with its well-known default password/],
                ["a two-day TTL", (a) => (a[OTTERIZE_ANNOTATION.certTtl] = String(48 * 3600)), /cert-ttl"\]: is 172800 seconds \(48\.0 hours\), above the maximum of 12 hours/],
                ["PEM for a Java service", (a) => (a[OTTERIZE_ANNOTATION.certType] = "pem"), /cert-type"\]: is 'pem'/],
                ["no annotations", (a) => delete a[OTTERIZE_ANNOTATION.tlsSecretName], /tls-secret-name"\]: is not set, so the Otterize credentials operator issues these pods no certificate/],
            ];
            for (const [what, weaken, says] of weakenings) {
                const patch = asFixture(r, patchType);
                weaken(annotationsOf(patch, "orca"));
                const found = await messages("otterize-credentials", [patch], config());
                assert.strictEqual(found.length, 1, `${what}: ${found.join("\n")}`);
                assert.match(found[0], /service-settings\.orca\.kubernetes\.podAnnotations\["credentials-operator\.otterize\.com\//, what);
                assert.match(found[0], says, what);
            }
        });
    });
});
