// How Spinnaker's pods are reached and rolled, as Spinnaker's own code reads
// the patch: Gate's two listeners, the browser URLs Deck is given, the
// high-availability split services, and which fields the patch owns.
import * as assert from "assert";
import * as YAML from "yaml";
import { unwrap } from "../../../engine/monitor";
import { RunResult } from "../../../engine/run";
import { HA_SPLITS } from "../../../components/config/spinnakerConfig";
import { SERVICE_CATALOG } from "../../../lib/catalog/serviceCatalog";
import { spinnakerServiceProblems } from "../../../components/spinnaker/schema";
import { objectNamed, ofType, run, serviceSecrets, stackRun } from "../../support/stacks";
import * as crypto from "crypto";

type Tree = Record<string, unknown>;
interface Patch {
    spec: { spinnakerConfig: { config?: Tree; profiles: Record<string, Tree>; "service-settings": Record<string, Tree> }; kustomize?: Record<string, Tree> };
}
const patchOf = (r: RunResult): Patch => unwrap(r.resources.find((x) => x.type.includes(":SpinnakerService"))!.inputs) as Patch;
const at = (v: unknown, ...path: string[]): unknown => path.reduce((o: unknown, k) => (o && typeof o === "object" ? (o as Tree)[k] : undefined), v);

describe("Gate outside the mesh: browsers on its main port, certificate-bearing callers on its API port", () => {
    it("at clientAuth need, asks browsers for a certificate without requiring one on 8084 and requires one on default.apiPort 8085", async () => {
        const r = await run({ stack: "dev", config: { "spinnaker-mtls:clientAuth": "need" } });
        const p = patchOf(r).spec.spinnakerConfig.profiles;
        assert.strictEqual(at(p.gate, "server", "ssl", "client-auth"), "want");
        // Gate's Tomcat customizer copies server.ssl onto the apiPort connector with client auth NEED.
        assert.deepStrictEqual(p.gate.default, { apiPort: 8085 });
        for (const s of Object.keys(p).filter((s) => s !== "gate")) assert.strictEqual(at(p[s], "server", "ssl", "client-auth") ?? at(p[s], "server", "ssl", "clientAuth"), "need", s);
        assert.deepStrictEqual(spinnakerServiceProblems(patchOf(r)), []);
    });

    it("behind the Istio ingress (prod) Gate has no API port: the mesh and the gateway carry its traffic", async () => {
        assert.strictEqual(patchOf(await stackRun("prod")).spec.spinnakerConfig.profiles.gate.default, undefined);
    });
});

describe("the way in to Gate's API port (8085): a Service of the program's, since the Operator makes none without spec.expose", () => {
    it("dev: spin-gate-api selects Gate's pods on 8085, as opaque TCP, and Gate's certificate carries its names", async () => {
        const r = await stackRun("dev");
        const svc = objectNamed<{ spec: Tree }>(r, "kubernetes:core/v1:Service", "spin-gate-api");
        // Halyard and the Operator label Gate's pods app=spin, cluster=spin-gate (their spin-gate Service selects them so).
        assert.deepStrictEqual(svc.spec, {
            type: "ClusterIP",
            selector: { app: "spin", cluster: "spin-gate" },
            ports: [{ name: "https", port: 8085, targetPort: 8085, protocol: "TCP", appProtocol: "tcp" }],
        });
        const san = new crypto.X509Certificate(serviceSecrets(r).get("gate")!.files["tls.crt"]).subjectAltName ?? "";
        for (const name of ["spin-gate-api", "spin-gate-api.spinnaker-dev", "spin-gate-api.spinnaker-dev.svc", "spin-gate-api.spinnaker-dev.svc.cluster.local"]) assert.ok(san.includes(`DNS:${name},`) || san.endsWith(`DNS:${name}`), name);
        assert.strictEqual(unwrap(r.stackOutputs.gateApiUrl), "https://spin-gate-api.spinnaker-dev.svc:8085");
    });

    it("prod (behind the ingress): no API port, so no such Service", async () => {
        const r = await stackRun("prod");
        assert.deepStrictEqual(ofType(r, "spinnaker-mtls:spinnaker:GateApiService"), []);
        assert.match(String(unwrap(r.stackOutputs.gateApiUrl)), /^none: /);
    });
});

describe("the URLs browsers use for Deck and Gate", () => {
    it("come from gateUrl and deckUrl as Halyard's overrides, and their hosts join the certificates", async () => {
        const r = await run({ stack: "dev", config: { "spinnaker-mtls:gateUrl": "https://spinnaker-api.dev.example.com", "spinnaker-mtls:deckUrl": "https://spinnaker.dev.example.com" } });
        const cfg = patchOf(r).spec.spinnakerConfig;
        assert.deepStrictEqual(cfg.config?.security, { uiSecurity: { overrideBaseUrl: "https://spinnaker.dev.example.com" }, apiSecurity: { overrideBaseUrl: "https://spinnaker-api.dev.example.com" } });
        assert.strictEqual(cfg["service-settings"].gate.baseUrl, undefined);
        const san = (s: string) => new crypto.X509Certificate(serviceSecrets(r).get(s)!.files["tls.crt"]).subjectAltName ?? "";
        assert.match(san("gate"), /DNS:spinnaker-api\.dev\.example\.com/);
        assert.match(san("deck"), /DNS:spinnaker\.dev\.example\.com/);
    });

    it("default, without an ingress, to the port-forward URLs (never Halyard's http://localhost:8084): no in-cluster name reaches Deck's browser code", async () => {
        const cfg = patchOf(await stackRun("dev")).spec.spinnakerConfig;
        assert.deepStrictEqual(at(cfg.config, "security"), { apiSecurity: { overrideBaseUrl: "https://localhost:8084" }, uiSecurity: { overrideBaseUrl: "https://localhost:9000" } });
        assert.strictEqual(cfg["service-settings"].gate.baseUrl, undefined);
        assert.strictEqual(cfg["service-settings"].deck.baseUrl, undefined);
        assert.ok(!JSON.stringify(cfg.config ?? {}).includes("spin-gate"));
    });
});

describe("high-availability split services", () => {
    let r: RunResult;
    before(async () => {
        r = await run({ stack: "dev", config: { "spinnaker-mtls:haServices": '["clouddriver","echo"]' } });
    });

    it("the patch owns the split switch, and each split service gets an https URL, TCP probes, the JVM options and the pod checksums of the service it splits", () => {
        const cfg = patchOf(r).spec.spinnakerConfig;
        assert.deepStrictEqual(at(cfg.config, "deploymentEnvironment"), { haServices: { clouddriver: { enabled: true }, echo: { enabled: true } } });
        for (const [base, splits] of Object.entries(HA_SPLITS)) {
            const own = cfg["service-settings"][base] as Tree;
            for (const split of splits) {
                const ss = cfg["service-settings"][split] as Tree;
                assert.strictEqual(ss.baseUrl, `https://spin-${split}.spinnaker-dev:${SERVICE_CATALOG[base as keyof typeof HA_SPLITS].port}`, split);
                assert.strictEqual(at(ss, "kubernetes", "useTcpProbe"), true, split);
                assert.deepStrictEqual(ss.env, own.env, split);
                assert.deepStrictEqual(at(ss, "kubernetes", "podAnnotations"), at(own, "kubernetes", "podAnnotations"), split);
                // The split pods mount the Secrets the profile and argfile name, at the paths they name.
                const mounts = (at(ss, "kubernetes", "volumes") as { id: string; mountPath: string }[]).map((v) => v.mountPath);
                assert.ok(mounts.includes(`/opt/${base}/secrets/spin-${base}-jvm`), `${split}: ${mounts.join(",")}`);
                assert.ok(mounts.includes(`/opt/${base}/secrets/spin-${base}-tls`), `${split}: ${mounts.join(",")}`);
            }
        }
        assert.deepStrictEqual(spinnakerServiceProblems(patchOf(r)), []);
    });

    it("each split service's name is on the certificate of the service it splits", () => {
        const san = new crypto.X509Certificate(serviceSecrets(r).get("clouddriver")!.files["tls.crt"]).subjectAltName ?? "";
        for (const split of HA_SPLITS.clouddriver) assert.match(san, new RegExp(`DNS:spin-${split}\\.spinnaker-dev\\.svc\\.cluster\\.local`), split);
    });

    it("a stack without them owns no split switch: a user's own split is left alone", async () => {
        assert.strictEqual(at(patchOf(await stackRun("dev")).spec.spinnakerConfig.config, "deploymentEnvironment"), undefined);
    });

    it("a stack that splits one service owns that service's switch only", async () => {
        const one = await run({ stack: "dev", config: { "spinnaker-mtls:haServices": '["echo"]' } });
        assert.deepStrictEqual(at(patchOf(one).spec.spinnakerConfig.config, "deploymentEnvironment"), { haServices: { echo: { enabled: true } } });
    });
});

describe("fields the patch owns: nothing atomic unless the user opted in", () => {
    it("dev (no mesh) and prod on the cert-manager backend set no kustomize Deployment patch; prod's Service patches are the opted-in port protocols only", async () => {
        assert.strictEqual(patchOf(await stackRun("dev")).spec.kustomize, undefined);
        const prod = patchOf(await stackRun("prod")).spec.kustomize ?? {};
        for (const [s, k] of Object.entries(prod)) assert.deepStrictEqual(Object.keys(k), ["service"], s);
    });
});

describe("the user's own Service patches (spinnakerServicePatches)", () => {
    const userPatch = { metadata: { annotations: { "team.example.com/owner": "platform" } } };
    const kustomizeOf = (r: RunResult) => patchOf(r).spec.kustomize as Record<string, { service?: { patchesStrategicMerge: string[] } }> | undefined;

    it("with the mesh's port patch: the program writes the user's patches first and its own port protocol last, in the one list it owns", async () => {
        const r = await run({ stack: "prod", config: { "spinnaker-mtls:spinnakerServicePatches": JSON.stringify({ gate: [userPatch] }) } });
        const list = kustomizeOf(r)!.gate.service!.patchesStrategicMerge.map((p) => YAML.parse(p) as Tree);
        assert.strictEqual(list.length, 2);
        assert.deepStrictEqual(list[0], userPatch);
        assert.deepStrictEqual(at(list[1], "spec", "ports"), [{ appProtocol: "http", port: SERVICE_CATALOG.gate.port }]);
        // Other services keep only the program's patch.
        assert.strictEqual(kustomizeOf(r)!.orca.service!.patchesStrategicMerge.length, 1);
    });

    it("without the mesh: the user's patches alone", async () => {
        const r = await run({ stack: "dev", config: { "spinnaker-mtls:spinnakerServicePatches": JSON.stringify({ orca: [userPatch] }) } });
        assert.deepStrictEqual(kustomizeOf(r), { orca: { service: { patchesStrategicMerge: [YAML.stringify(userPatch, { sortMapEntries: true })] } } });
    });
});

describe("the cert-manager backend and the Spinnaker patch", () => {
    it("waits for every Certificate to be Ready, and applies the patch (which rolls the pods) only after them", async () => {
        const r = await stackRun("prod");
        const certs = ofType(r, "kubernetes:cert-manager.io/v1:Certificate").filter((c) => (unwrap(c.inputs) as { metadata: { namespace: string } }).metadata.namespace === "spinnaker");
        assert.ok(certs.length >= 11);
        for (const c of certs) assert.strictEqual((unwrap(c.inputs) as { metadata: { annotations: Tree } }).metadata.annotations["pulumi.com/waitFor"], "condition=Ready", c.urn);
        const patch = r.resources.find((x) => x.type.includes(":SpinnakerServicePatch"))!;
        // The engine records a dependency on a component as one on each of its resources.
        for (const name of ["spin-orca", "spin-gate"]) {
            const cert = certs.find((c) => c.urn.endsWith(`::${name}-certificate`))!;
            assert.ok(patch.dependencies.includes(cert.urn), name);
        }
        // terraformer's leaf is the program's (from the root): the patch waits for its Secret.
        const goSecret = r.resources.find((x) => x.urn.endsWith("$kubernetes:core/v1:Secret::spin-terraformer-secret"))!;
        assert.ok(patch.dependencies.includes(goSecret.urn), "spin-terraformer's Secret");
        assert.ok(objectNamed(r, "kubernetes:cert-manager.io/v1:Certificate", "spin-orca"));
    });
});
