// npm run graph, in process: the structural check of dev and prod against
// what their stack files and Spinnaker's published architecture say (not
// what the graph's own code says), the renderers against the held golden
// files, the diff, findings' attachment, certificate flags, and that no
// secret of the stack reaches any format.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { emulatorFor } from "../../engine/providers";
import { PROJECT_ROOT, RunResult, StackExport } from "../../engine/run";
import { isEnvelope } from "../../engine/secrets";
import { FORMATS, Format, parseGraphArgs, parseNow, renderGraph } from "../../tools/graph";
import { flagsOf } from "../../tools/graph/certificates";
import { diffGraphs } from "../../tools/graph/diff";
import { REDACTED, publicView } from "../../tools/graph/exportView";
import { attachFindings } from "../../tools/graph/findings";
import { buildTrustGraph } from "../../tools/graph/model";
import { GraphEdge, TrustGraph } from "../../tools/graph/schema";
import { run } from "../support/stacks";
import { KORK_REDIS, Raw, architectureCalls, configOf, documentedEdgeFields, expectedCalls, truthy } from "./graph/expected";

const NOW = new Date("2026-01-01T00:00:00Z");
const GOLDEN = path.join(PROJECT_ROOT, "test", "tools", "graph");
const EXTENSION: Record<Format, string> = { json: "json", svg: "svg", mermaid: "mmd", html: "html" };
const REGENERATE = "UPDATE_GOLDEN=1 npx mocha test/tools/graphCommand.test.ts test/tools/graphBrowser.test.ts";

// --- runs ---

const runs = new Map<string, Promise<RunResult>>();
const runOf = (stack: string, config: Record<string, string> = {}) => {
    const key = `${stack} ${JSON.stringify(config)}`;
    if (!runs.has(key)) runs.set(key, run({ stack, config, now: NOW, showSecrets: true }));
    return runs.get(key)!;
};
const graphOf = async (stack: string, config: Record<string, string> = {}): Promise<TrustGraph> =>
    buildTrustGraph(publicView((await runOf(stack, config)).export), { now: NOW, basis: "planned", source: `Pulumi.${stack}.yaml` });

const pairs = (edges: readonly GraphEdge[]) => edges.map((e) => `${e.from}->${e.to}`).sort();

describe("npm run graph: the model, against the stack files and Spinnaker's architecture", () => {
    it("parses spinnaker.io's diagram (positive control: the parser finds its calls, Keel's and Halyard's included)", () => {
        const calls = architectureCalls();
        assert.strictEqual(calls.length, 28);
        for (const c of [["gate", "orca"], ["igor", "echo"], ["deck", "gate"], ["hal", "halyard"]]) assert.ok(calls.some(([a, b]) => a === c[0] && b === c[1]), c.join("->"));
        assert.deepStrictEqual(documentedEdgeFields().slice(0, 3), ["id", "from", "to"]);
    });

    for (const [stack, overrides] of [
        ["dev", {}],
        ["prod", {}],
        ["prod", { redisReplicas: "2" }],
    ] as [string, Record<string, string>][]) {
        const label = `${stack}${Object.keys(overrides).length ? ` with ${JSON.stringify(overrides)}` : ""}`;
        it(`${label}: every enabled service is a node, every call the config implies is an edge and nothing else, and every edge carries every documented field`, async () => {
            const g = await graphOf(stack, Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`spinnaker-mtls:${k}`, v])));
            const c = configOf(stack, overrides);
            for (const s of c("services") as string[]) assert.ok(g.nodes.some((n) => n.id === s), `${s} is no node`);
            const expected = expectedCalls(stack, overrides);
            assert.strictEqual(g.edges.length, expected.length, `edge count: ${pairs(g.edges).join(", ")}`);
            assert.deepStrictEqual(pairs(g.edges), expected.map(([a, b]) => `${a}->${b}`).sort());
            const fields = documentedEdgeFields();
            assert.ok(fields.length >= 17, `docs/trust-graph.md lists ${fields.length} edge fields`);
            for (const e of g.edges) for (const f of fields) assert.ok(f in e && (e as unknown as Raw)[f] !== undefined, `${e.id} has no ${f}`);
            const ids = g.edges.map((e) => e.id);
            assert.strictEqual(new Set(ids).size, ids.length, "one edge per caller, callee and port");
            // Every reference resolves: stores, certificates and CAs an edge or a node names are in the graph.
            const stores = new Set(g.stores.map((x) => x.id));
            const certs = new Set(g.certificates.map((x) => x.id));
            const bundles = new Set(["public-roots", "istio-mesh-ca", "browser-roots"]);
            for (const e of g.edges) {
                for (const st of [e.trustedCas.serverStore, e.trustedCas.clientStore]) assert.ok(st === null || stores.has(st), `${e.id}: store ${st}`);
                for (const ca of [...e.trustedCas.server, ...e.trustedCas.client]) assert.ok(certs.has(ca.id) || bundles.has(ca.id), `${e.id}: CA ${ca.id}`);
                for (const id of [e.clientIdentity, e.serverIdentity]) assert.ok(id.certificate === null || certs.has(id.certificate), `${e.id}: ${id.certificate}`);
            }
            for (const n of g.nodes) assert.ok(n.certificate === null || certs.has(n.certificate), `${n.id}: ${n.certificate}`);
        });
    }

    it("dev: the stack's clientAuth want is what every Java callee asks of its callers, over TLS, with no mesh", async () => {
        const g = await graphOf("dev");
        assert.strictEqual(configOf("dev")("clientAuth"), "want");
        const javaCalls = g.edges.filter((e) => KORK_REDIS.includes(e.to) || e.to === "front50").filter((e) => e.from !== "deck");
        assert.ok(javaCalls.length > 10);
        for (const e of javaCalls) {
            assert.deepStrictEqual([e.protocol, e.clientAuth.tls, e.mesh, e.protection], ["https", "want", "none", "mtls-want"], e.id);
            assert.strictEqual(e.clientIdentity.subject, `CN=spin-${e.from}, O=Spinnaker`, e.id);
        }
    });

    it("prod: every call between services serving TLS is mutual TLS at need inside STRICT mesh mTLS, and the browser reaches Gate through the ingress", async () => {
        const g = await graphOf("prod");
        const c = configOf("prod");
        assert.ok(truthy(c("istio")) && c("ingressHost") && c("clientAuth") === "need");
        // With the ingress, Deck and Gate serve plain HTTP behind their sidecars (docs/cert-manager-and-istio.md);
        // the Go services' Redis takes no client certificate (docs/redis.md).
        const served = g.edges.filter((e) => !["deck", "gate", "redis-go"].includes(e.to) && e.from !== "ingress-gateway");
        assert.ok(served.length > 20);
        for (const e of served) {
            assert.deepStrictEqual([e.clientAuth.mesh, e.mesh, e.protection], ["STRICT", "sidecar", "mtls-need"], e.id);
            assert.match(e.clientIdentity.spiffe ?? "", /^spiffe:\/\/cluster\.local\/ns\/spinnaker\/sa\//, e.id);
        }
        for (const e of g.edges.filter((x) => x.from === "ingress-gateway")) assert.deepStrictEqual([e.protocol, e.mesh, e.protection], ["http", "gateway", "mesh-mtls"], e.id);
        const browser = g.edges.find((e) => e.from === "deck" && e.to === "gate")!;
        assert.strictEqual(browser.via, "ingress-gateway");
        assert.strictEqual(browser.port, 443);
        assert.strictEqual(new URL(browser.url!).host, c("ingressHost"));
    });

    it("marks every Java service's call to Redis as checking no host name, with the reason", async () => {
        for (const stack of ["dev", "prod"]) {
            const g = await graphOf(stack);
            const redisCalls = g.edges.filter((e) => e.to === "redis");
            assert.ok(redisCalls.length > 0);
            for (const e of redisCalls) {
                assert.strictEqual(e.hostnameVerified, false, e.id);
                assert.match(e.hostnameNote, /Jedis/);
                assert.match(e.hostnameNote, /issue 23/);
            }
        }
    });

    it("dates: a planned pulumi-backend certificate is issued at --now for its configured lifetime; a planned cert-manager one has no dates, with the reason", async () => {
        const dev = await graphOf("dev");
        const hours = Number(configOf("dev")("certValidityHours"));
        const renew = Number(configOf("dev")("renewBeforeHours"));
        const orca = dev.certificates.find((x) => x.id === "spin-orca")!;
        assert.strictEqual(orca.notBefore, "2026-01-01T00:00:00Z");
        assert.strictEqual(Date.parse(orca.notAfter!) - NOW.getTime(), hours * 3600_000);
        assert.strictEqual(Date.parse(orca.notAfter!) - Date.parse(orca.renewAt!), renew * 3600_000);
        assert.strictEqual(orca.fingerprint, null, "a planned key is throwaway: no fingerprint");
        const prod = await graphOf("prod");
        const prodOrca = prod.certificates.find((x) => x.id === "spin-orca")!;
        assert.deepStrictEqual([prodOrca.notBefore, prodOrca.notAfter, prodOrca.renewAt], [null, null, null]);
        assert.match(prodOrca.datesNote, /cert-manager issues it/);
        assert.strictEqual(prodOrca.validityHours, Number(configOf("prod")("certValidityHours")));
    });

    it("from a state: real fingerprints (OpenSSL's form) and the cert-manager status's dates", async () => {
        const r = await runOf("prod");
        const exp = JSON.parse(JSON.stringify(r.export)) as StackExport;
        const cert = exp.deployment.resources.find((x) => x.type.endsWith("cert-manager.io/v1:Certificate") && x.urn.endsWith("spin-orca-certificate"))!;
        cert.outputs.status = { notBefore: "2026-01-02T00:00:00Z", notAfter: "2026-04-02T00:00:00Z", renewalTime: "2026-03-18T00:00:00Z" };
        const g = buildTrustGraph(publicView(exp), { now: new Date("2026-03-20T00:00:00Z"), basis: "state", source: "prod.json" });
        const orca = g.certificates.find((x) => x.id === "spin-orca")!;
        assert.deepStrictEqual([orca.notAfter, orca.renewAt, orca.flags.inRenewalWindow, orca.flags.expired, orca.flags.outlivesCa], ["2026-04-02T00:00:00Z", "2026-03-18T00:00:00Z", true, false, false]);
        assert.match(g.certificates.find((x) => x.id === "spinnaker-ca")!.fingerprint ?? "", /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    });
});

describe("npm run graph: trust stores during a CA rotation", () => {
    it("lists in every store each CA the stack output caCertificatePem holds, the stack's own and a second one", async () => {
        const exp = JSON.parse(JSON.stringify((await runOf("dev")).export)) as StackExport;
        const ctx = { name: "next-ca", type: "t", now: NOW };
        const key = emulatorFor("tls:index/privateKey:PrivateKey")!.create({ algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx).outputs;
        const next = emulatorFor("tls:index/selfSignedCert:SelfSignedCert")!.create(
            { privateKeyPem: key.privateKeyPem, isCaCertificate: true, allowedUses: ["cert_signing"], subject: { commonName: "Next CA" }, validityPeriodHours: 1000 },
            ctx,
        ).outputs.certPem as string;
        const stack = exp.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
        stack.outputs.caCertificatePem = `${String(stack.outputs.caCertificatePem)}${next}`;
        const g = buildTrustGraph(publicView(exp), { now: NOW, basis: "planned", source: "Pulumi.dev.yaml" });
        // The roots the stores hold; the generated CA's issuing CA is held by none (it signs the leaves, which carry it).
        const issuing = g.certificates.filter((c) => c.kind === "ca" && c.id === "spinnaker-ca-issuing");
        assert.deepStrictEqual(issuing.map((c) => [c.issuer, c.issuedBy]), [["spinnaker-ca", "pulumi"]]);
        const cas = g.certificates.filter((c) => c.kind === "ca" && !issuing.includes(c));
        assert.deepStrictEqual(cas.map((c) => c.issuedBy), ["pulumi", "trusted only"]);
        assert.ok(g.stores.every((s) => !s.holds.some((h) => h.id === "spinnaker-ca-issuing")), "no store holds the issuing CA");
        assert.strictEqual(g.certificates.find((c) => c.id === "spin-orca")!.issuer, "spinnaker-ca-issuing");
        assert.strictEqual(cas[1].subject, "CN=Next CA");
        const stores = g.stores.filter((s) => s.id.startsWith("spinnaker-dev/"));
        assert.ok(stores.length >= 10);
        for (const s of stores) for (const ca of cas) assert.ok(s.holds.some((h) => h.id === ca.id), `${s.id} does not hold ${ca.id}`);
        const orca = g.edges.find((e) => e.id === "gate->orca:8083")!;
        assert.deepStrictEqual(orca.trustedCas.server.map((c) => c.id), cas.map((c) => c.id));
    });
});

describe("npm run graph: no secret of the stack in any format", () => {
    /** Every secret value of an export run with --show-secrets: the plaintext of each envelope, its strings, and what base64 strings decode to. */
    function secretsOf(exp: StackExport): string[] {
        const out = new Set<string>();
        const strings = (v: unknown): void => {
            if (typeof v === "string") {
                if (v.length >= 16) out.add(v);
                const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length >= 16 ? Buffer.from(v, "base64").toString("utf8") : "";
                if (/^[\x20-\x7e\n]{16,}$/.test(decoded)) out.add(decoded.trim());
            } else if (Array.isArray(v)) v.forEach(strings);
            else if (v && typeof v === "object") Object.values(v).forEach(strings);
        };
        const walk = (v: unknown): void => {
            if (isEnvelope(v)) strings(JSON.parse(v.plaintext!));
            else if (Array.isArray(v)) v.forEach(walk);
            else if (v && typeof v === "object") Object.values(v).forEach(walk);
        };
        walk(exp.deployment.resources);
        // A secret's certificate is public (tls.crt, ca.crt in a Secret's data): only key material and passwords count.
        return [...out].filter((s) => !s.includes("BEGIN CERTIFICATE"));
    }
    /** The secrets a text holds, as they are or escaped as JSON writes them. */
    const leaks = (text: string, secrets: readonly string[]) => secrets.filter((s) => text.includes(s) || text.includes(JSON.stringify(s).slice(1, -1)));

    it("finds the secrets it looks for (positive control), and would see one planted in the output", async () => {
        const secrets = secretsOf((await runOf("dev")).export);
        assert.ok(secrets.some((s) => s.includes("PRIVATE KEY")), "no private key among the secrets");
        assert.ok(secrets.filter((s) => /^[A-Za-z0-9]{32}$/.test(s)).length >= 9, "too few passwords among the secrets");
        const password = secrets.find((s) => /^[A-Za-z0-9]{32}$/.test(s))!;
        const key = secrets.find((s) => s.includes("PRIVATE KEY"))!;
        assert.deepStrictEqual(leaks(`<text>${password}</text>`, secrets), [password]);
        assert.deepStrictEqual(leaks(JSON.stringify({ x: key }), secrets), [key]);
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: json, svg, mermaid and html hold no private key, password or keystore`, async () => {
            const r = await runOf(stack);
            const secrets = secretsOf(r.export);
            const g = await graphOf(stack);
            for (const f of FORMATS) {
                const text = await renderGraph(g, f);
                assert.deepStrictEqual(leaks(text, secrets).map((s) => s.slice(0, 20)), [], `${stack} ${f}`);
                assert.ok(!/PRIVATE KEY|BEGIN CERTIFICATE/.test(text), `${stack} ${f} holds PEM`);
            }
        });
    }

    it("reads a copy of the state with every secret envelope replaced, and opens a whole-spec secret only without its annotations", () => {
        const sig = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
        const spec = { spinnakerConfig: { "service-settings": { orca: { baseUrl: "https://spin-orca.ns:8083", kubernetes: { podAnnotations: { "credentials-operator.otterize.com/keystore-password": "hunter2hunter2hunter2" } } } } } };
        const exp = {
            version: 3,
            deployment: {
                manifest: { magic: "", version: "t" },
                resources: [
                    { urn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", custom: false, type: "pulumi:pulumi:Stack", inputs: {}, outputs: { namespace: "ns" } },
                    { urn: "urn:pulumi:s::p::kubernetes:core/v1:Secret::x", custom: true, type: "kubernetes:core/v1:Secret", inputs: { apiVersion: "v1", kind: "Secret", data: { ...sig, plaintext: '{"k":"c2VjcmV0"}' } }, outputs: {} },
                    { urn: "urn:pulumi:s::p::kubernetes:spinnaker.io/v1alpha2:SpinnakerServicePatch::sp", custom: true, type: "kubernetes:spinnaker.io/v1alpha2:SpinnakerServicePatch", inputs: { apiVersion: "spinnaker.io/v1alpha2", kind: "SpinnakerService", metadata: { name: "spinnaker" }, spec: { ...sig, plaintext: JSON.stringify(spec) } }, outputs: {} },
                ],
            },
        } as unknown as StackExport;
        const view = publicView(exp);
        assert.strictEqual(view.resources[1].inputs.data, REDACTED);
        const opened = view.objects.find((o) => o.kind === "SpinnakerService")!.body;
        assert.ok(!JSON.stringify(opened).includes("hunter2"));
        assert.ok(JSON.stringify(opened).includes("https://spin-orca.ns:8083"));
    });
});

describe("npm run graph: the renderers, against the golden files", () => {
    for (const stack of ["dev", "prod"]) {
        for (const f of FORMATS) {
            it(`${stack}.${EXTENSION[f]}: the held ${stack}.json renders to the held ${f}, byte for byte`, async () => {
                const jsonFile = path.join(GOLDEN, `${stack}.json`);
                const file = path.join(GOLDEN, `${stack}.${EXTENSION[f]}`);
                assert.ok(fs.existsSync(jsonFile) && fs.existsSync(file), `missing golden files: generate them with ${REGENERATE}`);
                const g = JSON.parse(fs.readFileSync(jsonFile, "utf8")) as TrustGraph;
                const text = await renderGraph(g, f);
                assert.ok(text === fs.readFileSync(file, "utf8"), `${path.relative(PROJECT_ROOT, file)} differs from what the renderer makes of ${stack}.json; if the change is intended, regenerate with ${REGENERATE} and review the diff`);
            });
        }
    }

    it("draws the same input identically twice (ELK's layout is deterministic)", async () => {
        const g = JSON.parse(fs.readFileSync(path.join(GOLDEN, "prod.json"), "utf8")) as TrustGraph;
        assert.strictEqual(await renderGraph(g, "svg"), await renderGraph(g, "svg"));
    });

    it("the SVG has one path per edge and one box per workload, and a timeline row per certificate", async () => {
        const g = JSON.parse(fs.readFileSync(path.join(GOLDEN, "prod.json"), "utf8")) as TrustGraph;
        const svg = await renderGraph(g, "svg");
        assert.strictEqual((svg.match(/class="edge" /g) ?? []).length, g.edges.length);
        assert.strictEqual((svg.match(/class="node" /g) ?? []).length, g.nodes.length);
        assert.strictEqual((svg.match(/class="cert-row" /g) ?? []).length, g.certificates.length);
        assert.match(svg, /axis break/);
    });
});

describe("npm run graph: diff", () => {
    const base = (): TrustGraph => JSON.parse(fs.readFileSync(path.join(GOLDEN, "dev.json"), "utf8")) as TrustGraph;

    it("sees a call made plain as weakened, a call gone as removed, a new one as added, and nothing else", () => {
        const before = base();
        const after = base();
        const weakened = after.edges.find((e) => e.id === "orca->clouddriver:7002")!;
        Object.assign(weakened, { protocol: "http", protection: "plain", clientAuth: { tls: "plain", mesh: "none" } });
        after.edges.splice(after.edges.findIndex((e) => e.id === "igor->echo:8089"), 1);
        after.edges.push({ ...after.edges[0], id: "rosco->front50:8080", from: "rosco", to: "front50", port: 8080 });
        const d = diffGraphs(after, before);
        assert.deepStrictEqual(d.edges.map((e) => [e.id, e.change]), [
            ["igor->echo:8089", "removed"],
            ["orca->clouddriver:7002", "weakened"],
            ["rosco->front50:8080", "added"],
        ]);
        assert.ok(d.edges[1].reasons.some((r) => r.includes("mtls-want -> plain")));
    });

    it("pairs a call whose port moved as one changed call, and counts more trusted CAs as a weakening, but not the mesh's own CA", () => {
        const before = base();
        const after = base();
        const moved = after.edges.find((e) => e.id === "orca->front50:8080")!;
        Object.assign(moved, { id: "orca->front50:8443", port: 8443 });
        const wider = after.edges.find((e) => e.id === "gate->orca:8083")!;
        Object.assign(wider, { trustedCas: { ...wider.trustedCas, client: [...wider.trustedCas.client, { id: "extra-0011", fingerprint: "00:11" }] } });
        const meshed = after.edges.find((e) => e.id === "echo->orca:8083")!;
        Object.assign(meshed, { trustedCas: { ...meshed.trustedCas, client: [...meshed.trustedCas.client, { id: "istio-mesh-ca", fingerprint: null }] } });
        const d = diffGraphs(after, before);
        assert.deepStrictEqual(d.edges.map((e) => [e.id, e.change]), [
            ["gate->orca:8083", "weakened"],
            ["orca->front50:8443", "changed"],
        ]);
    });
});

describe("npm run graph: findings and certificate flags", () => {
    it("attaches a finding about how a service serves to it and every call into it, and one on a certificate's resource to that certificate", () => {
        const g = JSON.parse(fs.readFileSync(path.join(GOLDEN, "dev.json"), "utf8")) as TrustGraph;
        const found = attachFindings(g, [
            { policy: "p", level: "advisory", urn: "urn:pulumi:dev::spinnaker-mtls::x::spinnaker-spinnakerservice", message: "SpinnakerService spinnaker-dev/spinnaker: spec.spinnakerConfig.profiles.orca.server.ssl.client-auth: want" },
            { policy: "q", level: "mandatory", urn: "urn:pulumi:dev::spinnaker-mtls::tls:index/locallySignedCert:LocallySignedCert::spin-echo-cert", message: "too long" },
            { policy: "r", level: "advisory", urn: "urn:pulumi:dev::spinnaker-mtls::pulumi:pulumi:Stack::spinnaker-mtls-dev", message: "the stack" },
        ]);
        const intoOrca = g.edges.filter((e) => e.to === "orca").map((e) => ({ kind: "edge", id: e.id }));
        assert.ok(intoOrca.length >= 2);
        assert.deepStrictEqual(found[0].attachedTo, [{ kind: "node", id: "orca" }, ...intoOrca]);
        assert.deepStrictEqual(found[1].attachedTo, [{ kind: "certificate", id: "spin-echo" }, { kind: "node", id: "echo" }]);
        assert.deepStrictEqual(found[2].attachedTo, []);
    });

    it("flags a certificate inside its renewal window, expired, or outliving its CA, and says null where a date is unknown", () => {
        const at = (s: string) => new Date(s);
        assert.deepStrictEqual(flagsOf("2026-02-01T00:00:00Z", "2026-01-20T00:00:00Z", "2030-01-01T00:00:00Z", at("2026-01-10T00:00:00Z")), { outlivesCa: false, inRenewalWindow: false, expired: false });
        assert.deepStrictEqual(flagsOf("2026-02-01T00:00:00Z", "2026-01-20T00:00:00Z", "2030-01-01T00:00:00Z", at("2026-01-20T00:00:00Z")), { outlivesCa: false, inRenewalWindow: true, expired: false });
        assert.deepStrictEqual(flagsOf("2026-02-01T00:00:00Z", "2026-01-20T00:00:00Z", "2026-01-15T00:00:00Z", at("2026-02-01T00:00:00Z")), { outlivesCa: true, inRenewalWindow: false, expired: true });
        assert.deepStrictEqual(flagsOf(null, null, "2030-01-01T00:00:00Z", at("2026-01-10T00:00:00Z")), { outlivesCa: null, inRenewalWindow: null, expired: null });
    });
});

describe("npm run graph: arguments", () => {
    it("takes --now as a day or an instant, to the second, and defaults to the clock", () => {
        assert.strictEqual(parseNow("2026-03-01").toISOString(), "2026-03-01T00:00:00.000Z");
        assert.strictEqual(parseNow("2026-03-01T10:20:30.900+02:00").toISOString(), "2026-03-01T08:20:30.000Z");
        assert.strictEqual(parseNow(undefined, () => new Date("2026-05-05T05:05:05.555Z")).toISOString(), "2026-05-05T05:05:05.000Z");
        for (const bad of ["yesterday", "2026-13-01", "1767225600", "2026-01-01 00:00"]) assert.throws(() => parseNow(bad), /--now takes an ISO 8601 time/, bad);
    });

    it("refuses what cannot be drawn, naming the flag", () => {
        assert.throws(() => parseGraphArgs([]), /exactly one of --stack and --state/);
        assert.throws(() => parseGraphArgs(["--stack", "dev", "--state", "x.json"]), /exactly one of --stack and --state/);
        assert.throws(() => parseGraphArgs(["--stack", "dev", "--format", "png"]), /--format takes json, svg, mermaid, html, got "png"/);
        assert.throws(() => parseGraphArgs(["--state", "x.json", "--config", "clientAuth=need"]), /--config goes with --stack/);
        assert.throws(() => parseGraphArgs(["--stack", "dev", "--no-findings", "--policy-config", "p.json"]), /--policy-config has no use with --no-findings/);
        assert.deepStrictEqual(parseGraphArgs(["--stack", "dev", "--format", "html", "--now", "2026-01-01"]).format, "html");
    });
});
