// The SpinnakerService patch and the Halyard files, as the offline engine
// records them for the dev and prod stacks.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { unwrap } from "../../../engine/monitor";
import { RunResult } from "../../../engine/run";
import { SERVICE_CATALOG, ServiceName } from "../../../lib/catalog/serviceCatalog";
import { GO_HTTP_KEYS, GO_SERVER_SSL_KEYS, JAVA_OK_HTTP_CLIENT_KEYS, JAVA_SERVER_SSL_KEYS } from "../../../components/spinnaker/serviceSettings";
import { JVM_OPTIONS_KEY } from "../../../components/spinnaker/jvmOptions";
import { spinnakerServiceProblems } from "../../../components/spinnaker/schema";
import { syncHalyardDir } from "../../../components/spinnaker/spinnakerPatches";
import { ofType, run, secretsByName, stackRun, tempDir } from "../../support/stacks";

const HOUR = 3600_000;

interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string; annotations: Record<string, string> };
    spec: {
        spinnakerConfig: { config?: Record<string, unknown>; profiles: Record<string, Tree>; "service-settings": Record<string, Tree> };
        kustomize?: Record<string, Record<string, { patchesStrategicMerge: string[] }>>;
    };
}
type Tree = { [k: string]: unknown };

/** The SpinnakerService (patch or object) exactly as the program sends it. */
function manifestOf(result: RunResult): { type: string; manifest: Manifest } {
    const found = result.resources.filter((r) => r.type.startsWith("kubernetes:spinnaker.") && r.type.includes(":SpinnakerService"));
    assert.strictEqual(found.length, 1, found.map((r) => r.type).join(","));
    return { type: found[0].type, manifest: unwrap(found[0].inputs) as Manifest };
}

const halyardFilesOf = (result: RunResult) =>
    unwrap(result.resources.find((r) => r.type === "spinnaker-mtls:spinnaker:SpinnakerPatches")!.outputs) as { halyardFiles: Record<string, string> };

const servicesOf = (result: RunResult) => Object.keys(unwrap(result.stackOutputs.serviceCertificates) as object) as ServiceName[];
/** Deck and Gate behind the Istio ingress (prod). */
const edgeOf = (result: RunResult) => result.stackOutputs.ingressUrl !== "none: no ingressHost";

/** Per Secret name, the keys the stack makes exist: those the program writes and those cert-manager writes for its Certificates. */
function availableSecretKeys(result: RunResult): Map<string, Set<string>> {
    const out = new Map([...secretsByName(result)].map(([name, f]) => [name, new Set(Object.keys(f.files))]));
    for (const c of ofType(result, "kubernetes:cert-manager.io/v1:Certificate")) {
        const spec = (unwrap(c.inputs) as { spec: { secretName: string; keystores?: { pkcs12?: { create: boolean } } } }).spec;
        const keys = ["tls.crt", "tls.key", "ca.crt", ...(spec.keystores?.pkcs12?.create ? ["keystore.p12", "truststore.p12"] : [])];
        out.set(spec.secretName, new Set([...(out.get(spec.secretName) ?? []), ...keys]));
    }
    return out;
}

/** Every `encrypted(File)?:k8s!n:<secret>!k:<key>` string anywhere in a value, with where it was found. */
function k8sRefs(v: unknown, where = ""): { where: string; file: boolean; secret: string; key: string }[] {
    if (typeof v === "string") {
        const m = /^(encryptedFile|encrypted):k8s!n:([^!]+)!k:(.+)$/.exec(v);
        return m ? [{ where, file: m[1] === "encryptedFile", secret: m[2], key: m[3] }] : [];
    }
    if (Array.isArray(v)) return v.flatMap((x, i) => k8sRefs(x, `${where}[${i}]`));
    if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => k8sRefs(x, where ? `${where}.${k}` : k));
    return [];
}

for (const stack of ["dev", "prod"]) {
    describe(`the ${stack} stack's SpinnakerService patch`, () => {
        let result: RunResult;
        let m: Manifest;
        before(async () => {
            result = await stackRun(stack);
            m = manifestOf(result).manifest;
        });

        it("patches the configured SpinnakerService with server-side apply, under the field manager spinnaker-mtls", () => {
            const flavor = stack === "prod" ? "spinnaker.armory.io/v1alpha2" : "spinnaker.io/v1alpha2";
            assert.strictEqual(manifestOf(result).type, `kubernetes:${flavor}:SpinnakerServicePatch`);
            assert.deepStrictEqual(
                { apiVersion: m.apiVersion, kind: m.kind, name: m.metadata.name, namespace: m.metadata.namespace, annotations: m.metadata.annotations },
                { apiVersion: flavor, kind: "SpinnakerService", name: "spinnaker", namespace: stack === "prod" ? "spinnaker" : "spinnaker-dev", annotations: { "pulumi.com/patchFieldManager": "spinnaker-mtls" } },
            );
        });

        it("validates against the schema of the SpinnakerService fields it touches", () => {
            assert.deepStrictEqual(spinnakerServiceProblems(m), []);
        });

        it("gives every Java service exactly the server.ssl and ok-http-client keys Spinnaker reads, and every Go service its server.ssl and http keys", () => {
            for (const s of servicesOf(result)) {
                const runtime = SERVICE_CATALOG[s].runtime;
                const profile = m.spec.spinnakerConfig.profiles[s] as Record<string, Record<string, Tree>> | undefined;
                if (s === "gate" && edgeOf(result)) {
                    // Behind the Istio ingress Gate's own listener is plain HTTP (see the mesh tests); its client side is unchanged.
                    assert.deepStrictEqual(profile!.server, { ssl: { enabled: false }, servlet: { "context-path": "/api/v1" } });
                    assert.deepStrictEqual(Object.keys(profile!["ok-http-client"]).sort(), [...JAVA_OK_HTTP_CLIENT_KEYS].sort(), s);
                } else if (runtime === "java") {
                    assert.deepStrictEqual(Object.keys(profile!.server.ssl).sort(), [...JAVA_SERVER_SSL_KEYS].sort(), s);
                    assert.deepStrictEqual(Object.keys(profile!["ok-http-client"]).sort(), [...JAVA_OK_HTTP_CLIENT_KEYS].sort(), s);
                } else if (runtime === "go") {
                    assert.deepStrictEqual(Object.keys(profile!.server.ssl).sort(), [...GO_SERVER_SSL_KEYS].sort(), s);
                    assert.deepStrictEqual(Object.keys(profile!.http).sort(), [...GO_HTTP_KEYS].sort(), s);
                } else {
                    assert.strictEqual(profile, undefined, "Deck has no YAML profile");
                }
            }
        });

        it("points every Java service's ok-http-client at the JVM trust store (Spinnaker CA, public roots, extra CAs) and its server.ssl at the Spinnaker CA alone", () => {
            const ref = (v: unknown) => /^encrypted(File)?:k8s!n:([^!]+)!k:(.+)$/.exec(String(v))?.slice(2).join("/");
            const java = servicesOf(result).filter((s) => SERVICE_CATALOG[s].runtime === "java");
            assert.ok(java.length >= 8);
            for (const s of java) {
                const p = m.spec.spinnakerConfig.profiles[s] as Record<string, Record<string, Tree>>;
                const client = p["ok-http-client"];
                // kork's OkHttp clients also call Slack, GitHub, Jenkins...: the CA-only store would fail PKIX there.
                assert.strictEqual(ref(client["trust-store"]), "spinnaker-mtls-jvm-truststore/truststore.p12", s);
                assert.strictEqual(ref(client["trust-store-password"]), "spinnaker-mtls-jvm-truststore/truststore-password", s);
                assert.strictEqual(ref(client["key-store"]), ref(p.server.ssl?.["key-store"] ?? client["key-store"]), s);
                // Beside cert-manager's certificates, the program's trust bundle: it holds the Spinnaker CAs alone too.
                const trust = stack === "prod" ? "spinnaker-mtls-ca-trust" : `spin-${s}-tls`;
                if (p.server.ssl.enabled !== false) assert.strictEqual(ref(p.server.ssl["trust-store"]), `${trust}/truststore.p12`, s);
            }
        });

        it(`asks every service for client certificates with "${stack === "dev" ? "want" : "need"}"`, () => {
            const expected = stack === "dev" ? "want" : "need";
            const asked: string[] = [];
            for (const s of servicesOf(result)) {
                const ssl = (m.spec.spinnakerConfig.profiles[s] as { server?: { ssl: Tree } } | undefined)?.server?.ssl;
                if (!ssl || ssl.enabled === false) continue;
                assert.strictEqual(ssl["client-auth"] ?? ssl.clientAuth, expected, s);
                asked.push(s);
            }
            // Deck has no Spring profile; behind the ingress Gate's listener is the mesh's.
            const exempt = edgeOf(result) ? ["deck", "gate"] : ["deck"];
            assert.deepStrictEqual(asked, servicesOf(result).filter((s) => !exempt.includes(s)));
        });

        it("switches every service to HTTPS base URLs and TCP probes (Deck and Gate: HTTP to their sidecars behind the ingress, no in-cluster URL without it)", () => {
            const ns = m.metadata.namespace;
            for (const s of servicesOf(result)) {
                const ss = m.spec.spinnakerConfig["service-settings"][s] as { baseUrl?: string; kubernetes: { useTcpProbe: boolean } };
                assert.strictEqual(ss.kubernetes.useTcpProbe, true);
                if (s === "deck" || s === "gate") {
                    // Halyard hands Gate's baseUrl to Deck's browser code: an in-cluster name there resolves nowhere.
                    assert.strictEqual(ss.baseUrl, edgeOf(result) ? `http://spin-${s}.${ns}:${SERVICE_CATALOG[s].port}` : undefined, s);
                    continue;
                }
                assert.strictEqual(ss.baseUrl, `https://spin-${s}.${ns}:${SERVICE_CATALOG[s].port}`);
            }
        });

        // Without an ingress (dev); behind prod's ingress Deck speaks HTTP to its sidecar (the mesh tests).
        if (stack === "dev")
            it("serves Deck over HTTPS from its PEM certificate, mounted from its Secret", () => {
            const deck = m.spec.spinnakerConfig["service-settings"].deck as { env: Record<string, string>; kubernetes: { volumes: Tree[] } };
            assert.deepStrictEqual(deck.env, { DECK_CERT: "/opt/deck/secrets/spin-deck-tls/tls.crt", DECK_KEY: "/opt/deck/secrets/spin-deck-tls/tls.key" });
            assert.deepStrictEqual(deck.kubernetes.volumes, [{ id: "spin-deck-tls", type: "secret", mountPath: "/opt/deck/secrets/spin-deck-tls" }]);
        });

        it(`refers to files and passwords only through Secrets and keys that exist (backend ${stack === "prod" ? "cert-manager" : "pulumi"})`, () => {
            const available = availableSecretKeys(result);
            const refs = k8sRefs(m.spec);
            assert.ok(refs.length > 10 * 8);
            for (const ref of refs) {
                const keys = available.get(ref.secret);
                assert.ok(keys, `${ref.where} names Secret ${ref.secret}, which neither the program nor cert-manager creates`);
                assert.ok(keys.has(ref.key), `${ref.where} names key ${ref.key}, which Secret ${ref.secret} does not hold`);
            }
            // Passwords are string references, stores and PEM files are file references.
            assert.ok(refs.filter((r) => /password/.test(r.key)).every((r) => !r.file));
            assert.ok(refs.filter((r) => /\.(p12|crt|key)$/.test(r.key)).every((r) => r.file));
        });

        it("holds no secret value: no password, no private key", () => {
            const text = JSON.stringify(m);
            for (const r of ofType(result, "random:index/randomPassword:RandomPassword")) {
                assert.ok(!text.includes((unwrap(r.outputs) as { result: string }).result), `password of ${r.urn}`);
            }
            assert.ok(!text.includes("PRIVATE KEY"));
        });

        it("carries each pod's checksums, and the pods of a service roll when what it reads changes", async () => {
            const annotations = (r: RunResult, s: string) => (manifestOf(r).manifest.spec.spinnakerConfig["service-settings"][s] as { kubernetes: { podAnnotations: Record<string, string> } }).kubernetes.podAnnotations;
            // Backend cert-manager adds Reloader's annotation (see the cert-manager tests) and the trust bundle's checksum.
            const certManager = stack === "prod" ? ["secret.reloader.stakater.com/reload", "spinnaker-mtls/ca-trust-checksum"] : [];
            assert.deepStrictEqual(Object.keys(annotations(result, "gate")).sort(), [...certManager, "spinnaker-mtls/jvm-options-checksum", "spinnaker-mtls/jvm-truststore-checksum", "spinnaker-mtls/tls-checksum"]);
            // Behind prod's ingress Deck mounts no certificate: nothing to checksum, nothing for Reloader to restart it for.
            const deck = (manifestOf(result).manifest.spec.spinnakerConfig["service-settings"].deck as { kubernetes: { podAnnotations?: Record<string, string> } }).kubernetes.podAnnotations;
            assert.deepStrictEqual(Object.keys(deck ?? {}).sort(), stack === "prod" ? [] : ["spinnaker-mtls/tls-checksum"]);
            // Backend pulumi: the program renews, so a later run inside the renewal window changes
            // every certificate. Backend cert-manager: what the program controls is the Certificate
            // spec (cert-manager's own renewals restart pods through Reloader, see the cert-manager tests).
            const later =
                stack === "dev"
                    ? await run({ stack, previous: result.export, now: new Date(Date.now() + (720 - 168 + 1) * HOUR) })
                    : await run({ stack, previous: result.export, config: { "spinnaker-mtls:certValidityHours": "1440" } });
            for (const s of servicesOf(result)) {
                assert.notStrictEqual(annotations(later, s)["spinnaker-mtls/tls-checksum"], annotations(result, s)["spinnaker-mtls/tls-checksum"], s);
            }
            assert.strictEqual(later.plan.find((p) => p.urn.endsWith("::spinnaker-spinnakerservice"))!.op, "update");
        });
    });
}

describe("the Halyard files", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: carry the same settings as the Operator patch, resolved through each one's own mechanism`, async () => {
            const result = await stackRun(stack);
            const m = manifestOf(result).manifest;
            const files = halyardFilesOf(result).halyardFiles;
            const secrets = secretsByName(result);
            // A file stands for itself (Secret and key): cert-manager writes some of them in the cluster.
            const fileValue = (secret: string, key: string) => `file:${secret}/${key}`;
            for (const s of servicesOf(result)) {
                // The Operator: k8s references resolve to the Secret's key.
                const viaOperator = JSON.parse(JSON.stringify(m.spec.spinnakerConfig.profiles[s] ?? {}), (_k, v) => {
                    const ref = typeof v === "string" ? /^(encryptedFile|encrypted):k8s!n:([^!]+)!k:(.+)$/.exec(v) : null;
                    if (!ref) return v;
                    return ref[1] === "encryptedFile" ? fileValue(ref[2], ref[3]) : secrets.get(ref[2])!.files[ref[3]].toString("utf8");
                });
                // Halyard: a path resolves through the volume mounted there; a placeholder through the argfile's property.
                const settingsFile = YAML.parse(files[`service-settings/${s}.yml`]) as { kubernetes: { volumes?: { id: string; mountPath: string }[] } };
                const mounted = new Map((settingsFile.kubernetes.volumes ?? []).map((v) => [v.mountPath, v.id]));
                const argfile = secrets.get(`spin-${s}-jvm`)?.files[JVM_OPTIONS_KEY].toString("utf8") ?? "";
                const properties = Object.fromEntries([...argfile.matchAll(/^-D([^=]+)="((?:[^"\\]|\\.)*)"$/gm)].map(([, k, v]) => [k, v.replace(/\\(.)/g, "$1")]));
                const profileFile = files[`profiles/${s}-local.yml`];
                const viaHalyard = profileFile
                    ? JSON.parse(JSON.stringify(YAML.parse(profileFile)), (_k, v) => {
                          if (typeof v !== "string") return v;
                          const file = /^(\/opt\/[^/]+\/secrets\/[^/]+)\/(.+)$/.exec(v);
                          if (file && mounted.has(file[1])) return fileValue(mounted.get(file[1])!, file[2]);
                          const placeholder = /^\$\{([^}]+)\}$/.exec(v);
                          if (placeholder) {
                              assert.ok(placeholder[1] in properties, `${s}: ${v} has no property in the argfile`);
                              return properties[placeholder[1]];
                          }
                          return v;
                      })
                    : {};
                assert.deepStrictEqual(viaHalyard, viaOperator, s);
                // Service settings: the same, but for the volumes Halyard needs for what the Operator mounts itself.
                const { volumes: _v, ...halyardKubernetes } = settingsFile.kubernetes;
                const operatorSettings = m.spec.spinnakerConfig["service-settings"][s] as { kubernetes: { volumes?: unknown } };
                const { volumes: _w, ...operatorKubernetes } = operatorSettings.kubernetes;
                assert.deepStrictEqual({ ...settingsFile, kubernetes: halyardKubernetes }, { ...operatorSettings, kubernetes: operatorKubernetes }, s);
            }
            assert.deepStrictEqual(YAML.parse(files["service-settings/redis.yml"]), m.spec.spinnakerConfig["service-settings"].redis);
            // What Halyard keeps outside files: halconfig settings and the Operator's kustomize patches, as commands.
            const script = files["hal-config.sh"] ?? "";
            for (const [s, targets] of Object.entries(m.spec.kustomize ?? {})) {
                for (const [target, { patchesStrategicMerge }] of Object.entries(targets as Record<string, { patchesStrategicMerge: string[] }>)) {
                    for (const patch of patchesStrategicMerge) assert.ok(script.includes(`patch ${target} spin-${s} --type strategic -p '${JSON.stringify(YAML.parse(patch))}'`), `${s} ${target}`);
                }
            }
            const security = (m.spec.spinnakerConfig.config as { security?: { uiSecurity: { overrideBaseUrl: string }; apiSecurity: { overrideBaseUrl: string } } } | undefined)?.security;
            if (security) {
                assert.ok(script.includes(`hal config security ui edit --override-base-url '${security.uiSecurity.overrideBaseUrl}'`));
                assert.ok(script.includes(`hal config security api edit --override-base-url '${security.apiSecurity.overrideBaseUrl}'`));
            }
            const ha = (m.spec.spinnakerConfig.config as { deploymentEnvironment?: { haServices: Record<string, { enabled: boolean }> } } | undefined)?.deploymentEnvironment?.haServices ?? {};
            for (const [s, { enabled }] of Object.entries(ha)) assert.ok(script.includes(`hal config deploy ha ${s} ${enabled ? "enable" : "disable"}`), s);
            assert.strictEqual(script === "", !m.spec.kustomize && !m.spec.spinnakerConfig.config, "the script exists exactly when there is something to run");
        });
    }

    it("are not written by the offline engine (verify, offline, the tests): only a real pulumi up writes them", async () => {
        const t = tempDir("halyard");
        try {
            const dir = path.join(t.dir, "hal");
            const result = await run({ stack: "dev", config: { "spinnaker-mtls:halyardDir": dir } });
            assert.ok(Object.keys(halyardFilesOf(result).halyardFiles).length >= 2 * 9 + 1);
            assert.strictEqual(fs.existsSync(dir), false);
        } finally {
            t.remove();
        }
    });

    it("are synced into halyardDir: the component's output written, files of a removed service removed, the user's own files kept", async () => {
        const t = tempDir("halyard");
        try {
            const dir = path.join(t.dir, "hal");
            const all = halyardFilesOf(await stackRun("dev")).halyardFiles;
            syncHalyardDir(dir, all);
            for (const [rel, content] of Object.entries(all)) assert.strictEqual(fs.readFileSync(path.join(dir, rel), "utf8"), content, rel);
            assert.match(all["profiles/gate-local.yml"], /^# Generated by spinnaker-mtls/);
            fs.writeFileSync(path.join(dir, "profiles", "orca-custom.yml"), "mine: true\n");
            const withoutKayenta = halyardFilesOf(await run({ stack: "dev", config: { "spinnaker-mtls:services": '["clouddriver","deck","echo","fiat","front50","gate","igor","orca","rosco"]' } })).halyardFiles;
            const { removed } = syncHalyardDir(dir, withoutKayenta);
            assert.deepStrictEqual(removed, ["profiles/kayenta-local.yml", "service-settings/kayenta.yml"]);
            assert.strictEqual(fs.existsSync(path.join(dir, "profiles", "kayenta-local.yml")), false);
            assert.strictEqual(fs.readFileSync(path.join(dir, "profiles", "orca-custom.yml"), "utf8"), "mine: true\n");
        } finally {
            t.remove();
        }
    });
});

describe("SpinnakerService modes", () => {
    it("create mode creates the SpinnakerService, with the Spinnaker version", async () => {
        const result = await run({ stack: "dev", config: { "spinnaker-mtls:spinnakerServiceMode": "create", "spinnaker-mtls:spinnakerVersion": "1.36.1" } });
        const { type, manifest } = manifestOf(result);
        assert.strictEqual(type, "kubernetes:spinnaker.io/v1alpha2:SpinnakerService");
        // No haServices in dev: the created SpinnakerService leaves the split switches to the Operator's defaults.
        assert.deepStrictEqual(manifest.spec.spinnakerConfig.config, {
            version: "1.36.1",
            // dev has no ingress and no browser URLs: the port-forward ones.
            security: { apiSecurity: { overrideBaseUrl: "https://localhost:8084" }, uiSecurity: { overrideBaseUrl: "https://localhost:9000" } },
        });
        assert.deepStrictEqual(spinnakerServiceProblems(manifest), []);
    });

    it("patchForce takes over conflicting fields, by annotation", async () => {
        const result = await run({ stack: "dev", config: { "spinnaker-mtls:patchForce": "true" } });
        assert.strictEqual(manifestOf(result).manifest.metadata.annotations["pulumi.com/patchForce"], "true");
    });
});

describe("the SpinnakerService schema", () => {
    it("catches a misspelt key and a secret written as a literal", async () => {
        const m = JSON.parse(JSON.stringify(manifestOf(await stackRun("dev")).manifest)) as Manifest;
        const ssl = (m.spec.spinnakerConfig.profiles.gate as { server: { ssl: Tree } }).server.ssl;
        ssl.keystore = ssl["key-store"];
        delete ssl["key-store"];
        ssl["trust-store-password"] = "changeit";
        assert.deepStrictEqual(spinnakerServiceProblems(m), [
            "/spec/spinnakerConfig/profiles/gate/server/ssl: must have required property 'key-store'",
            "/spec/spinnakerConfig/profiles/gate/server/ssl: must NOT have additional properties (keystore)",
            '/spec/spinnakerConfig/profiles/gate/server/ssl/trust-store-password: must match pattern "^encrypted:k8s!n:[a-z0-9]([-a-z0-9.]*[a-z0-9])?!k:[-._a-zA-Z0-9]+$"',
        ]);
    });
});
