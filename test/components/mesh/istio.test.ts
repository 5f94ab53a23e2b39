// The Istio mesh and ingress, as the offline engine records them (prod: Istio
// with an HTTPS ingress), and how they line up with each other and with the
// Spinnaker patch.
import * as assert from "assert";
import * as YAML from "yaml";
import { unwrap } from "../../../engine/monitor";
import { RunResult } from "../../../engine/run";
import { validateObject } from "../../../engine/schemas";
import { SERVICE_CATALOG, ServiceName } from "../../../lib/catalog/serviceCatalog";
import { objectNamed, ofType, run, stackRun, stackServices } from "../../support/stacks";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> }; spec: Record<string, unknown> };
const objects = (r: RunResult, type: string) => ofType(r, type).map((x) => unwrap(x.inputs) as Obj);
const T = {
    peer: "kubernetes:security.istio.io/v1:PeerAuthentication",
    authz: "kubernetes:security.istio.io/v1:AuthorizationPolicy",
    dr: "kubernetes:networking.istio.io/v1:DestinationRule",
    gateway: "kubernetes:networking.istio.io/v1:Gateway",
    vs: "kubernetes:networking.istio.io/v1:VirtualService",
    cert: "kubernetes:cert-manager.io/v1:Certificate",
};
interface Patch {
    spec: {
        spinnakerConfig: { config?: Record<string, unknown>; profiles: Record<string, Record<string, Record<string, unknown>>>; "service-settings": Record<string, { baseUrl: string; env?: Record<string, string>; kubernetes: Record<string, unknown> }> };
        kustomize?: Record<string, { service?: { patchesStrategicMerge: string[] } }>;
    };
}
const patchOf = (r: RunResult) => unwrap(ofType(r, "kubernetes:spinnaker.armory.io/v1alpha2:SpinnakerServicePatch")[0]?.inputs ?? ofType(r, "kubernetes:spinnaker.io/v1alpha2:SpinnakerServicePatch")[0].inputs) as Patch;
const servicesOf = (r: RunResult) => Object.keys(unwrap(r.stackOutputs.serviceCertificates) as object) as ServiceName[];

describe("the Istio mesh (prod)", () => {
    let r: RunResult;
    before(async () => {
        r = await stackRun("prod");
    });

    it("every Istio object validates against Istio's CRD schemas (networking.istio.io/v1, security.istio.io/v1)", async () => {
        const all = Object.values(T).filter((t) => t !== T.cert).flatMap((t) => objects(r, t));
        assert.ok(all.length >= 20);
        for (const o of all) {
            assert.match(o.apiVersion, /^(networking|security)\.istio\.io\/v1$/);
            assert.deepStrictEqual(await validateObject(o), { checked: true, problems: [] }, `${o.kind} ${o.metadata.name}`);
        }
    });

    it("requires mutual TLS in Spinnaker's namespace, STRICT, with no port-level exception", () => {
        const peers = objects(r, T.peer);
        assert.deepStrictEqual(peers.map((p) => ({ name: p.metadata.name, namespace: p.metadata.namespace, spec: p.spec })), [{ name: "default", namespace: "spinnaker", spec: { mtls: { mode: "STRICT" } } }]);
    });

    it("can also require it mesh-wide, from the root namespace", async () => {
        const mesh = await run({ stack: "prod", config: { "spinnaker-mtls:istioMeshWideStrict": "true" } });
        assert.deepStrictEqual(objects(mesh, T.peer).map((p) => `${p.metadata.namespace}/${p.metadata.name}=${JSON.stringify(p.spec)}`).sort(), [
            'istio-system/default={"mtls":{"mode":"STRICT"}}',
            'spinnaker/default={"mtls":{"mode":"STRICT"}}',
        ]);
    });

    it("pins ISTIO_MUTUAL for every Spinnaker Service and both Redis Services", () => {
        const hosts = objects(r, T.dr).map((d) => d.spec as { host: string; trafficPolicy: unknown });
        assert.ok(hosts.every((h) => JSON.stringify(h.trafficPolicy) === '{"tls":{"mode":"ISTIO_MUTUAL"}}'));
        // Every enabled service, Deck included: it has no certificate behind the ingress, but the mesh carries its traffic.
        const expected = [...stackServices("prod"), "redis", "redis-headless", "redis-go", "redis-go-headless"].map((s) => `spin-${s}.spinnaker.svc.cluster.local`).sort();
        assert.deepStrictEqual(hosts.map((h) => h.host).sort(), expected);
    });

    it("injects sidecars by labelling the namespace (the default)", () => {
        const ns = unwrap(ofType(r, "kubernetes:core/v1:NamespacePatch")[0].inputs) as Obj;
        assert.deepStrictEqual({ name: ns.metadata.name, labels: ns.metadata.labels }, { name: "spinnaker", labels: { "istio-injection": "enabled" } });
    });

    it("or per service: a sidecar label on every Spinnaker and Redis pod, and no namespace label", async () => {
        const per = await run({ stack: "prod", config: { "spinnaker-mtls:istioInjection": "per-service" } });
        assert.strictEqual(ofType(per, "kubernetes:core/v1:NamespacePatch").length, 0);
        for (const s of servicesOf(per)) {
            assert.deepStrictEqual(patchOf(per).spec.spinnakerConfig["service-settings"][s].kubernetes.podLabels, { "sidecar.istio.io/inject": "true" }, s);
        }
        for (const sts of ofType(per, "kubernetes:apps/v1:StatefulSet")) {
            assert.strictEqual((unwrap(sts.inputs) as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels["sidecar.istio.io/inject"], "true");
        }
    });

    describe("ports the mesh must not misread", () => {
        it("declares each Spinnaker Service's port: opaque TCP for services that speak their own TLS, HTTP for Deck and Gate behind the gateway", () => {
            const k = patchOf(r).spec.kustomize!;
            for (const s of servicesOf(r)) {
                const patch = YAML.parse(k[s].service!.patchesStrategicMerge[0]) as { spec: { ports: { port: number; appProtocol: string }[] } };
                assert.deepStrictEqual(patch.spec.ports, [{ port: SERVICE_CATALOG[s].port, appProtocol: s === "deck" || s === "gate" ? "http" : "tcp" }], s);
            }
        });
        it("Redis's Services and pods agree on a named TCP port; the headless Service publishes not-ready pods, and the certificate names every pod", () => {
            for (const name of ["spin-redis", "spin-redis-go"]) {
                for (const svc of [name, `${name}-headless`]) {
                    const ports = (objectNamed<Obj>(r, "kubernetes:core/v1:Service", svc).spec as { ports: unknown[] }).ports;
                    assert.deepStrictEqual(ports, [{ name: "tcp-redis", port: 6379, targetPort: "tcp-redis", protocol: "TCP", appProtocol: "tcp" }], svc);
                }
                const headless = objectNamed<Obj>(r, "kubernetes:core/v1:Service", `${name}-headless`).spec;
                assert.deepStrictEqual({ clusterIP: headless.clusterIP, publish: headless.publishNotReadyAddresses }, { clusterIP: "None", publish: true });
                const sts = objectNamed<{ spec: { serviceName: string; template: { spec: { containers: { ports: unknown[] }[] } } } }>(r, "kubernetes:apps/v1:StatefulSet", name);
                assert.strictEqual(sts.spec.serviceName, `${name}-headless`);
                assert.deepStrictEqual(sts.spec.template.spec.containers[0].ports, [{ name: "tcp-redis", containerPort: 6379, protocol: "TCP" }]);
                const cert = objectNamed<{ spec: { dnsNames: string[] } }>(r, T.cert, name);
                assert.ok(cert.spec.dnsNames.includes(`${name}-0.${name}-headless.spinnaker.svc.cluster.local`), cert.spec.dnsNames.join(","));
            }
        });
    });

    describe("authorization: default deny", () => {
        it("lets every workload of the namespace call any other", () => {
            const ns = objectNamed<Obj>(r, T.authz, "spinnaker-mtls-allow-namespace");
            assert.deepStrictEqual(ns.spec, { action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["spinnaker"] } }] }] });
        });
        it("lets the ingress gateway's identity reach Deck and Gate, on their ports only", () => {
            for (const [s, port] of [["deck", 9000], ["gate", 8084]] as const) {
                const p = objectNamed<Obj>(r, T.authz, `spinnaker-mtls-allow-ingress-spin-${s}`);
                assert.deepStrictEqual(p.spec, {
                    selector: { matchLabels: { cluster: `spin-${s}` } },
                    action: "ALLOW",
                    rules: [{ from: [{ source: { principals: ["cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"] } }], to: [{ operation: { ports: [String(port)] } }] }],
                });
            }
            assert.strictEqual(objects(r, T.authz).length, 3, "nothing else is allowed");
        });
        it("can be turned off", async () => {
            const off = await run({ stack: "prod", config: { "spinnaker-mtls:istioAuthorizationPolicy": "false" } });
            assert.strictEqual(objects(off, T.authz).length, 0);
        });
    });
});

describe("the HTTPS ingress for Deck and Gate (prod): every link lines up", () => {
    let r: RunResult;
    let gateway: Obj;
    let vs: Obj;
    let cert: Obj;
    before(async () => {
        r = await stackRun("prod");
        [gateway] = objects(r, T.gateway);
        [vs] = objects(r, T.vs);
        cert = objectNamed<Obj>(r, T.cert, "spinnaker-ingress");
    });
    const servers = () => (gateway.spec as { servers: { port: { number: number; protocol: string }; hosts: string[]; tls: Record<string, unknown> }[] }).servers;

    it("Certificate and Gateway live in the gateway's namespace (where Istio reads credentialName), not Spinnaker's", () => {
        assert.strictEqual(gateway.metadata.namespace, "istio-system");
        assert.strictEqual(cert.metadata.namespace, gateway.metadata.namespace);
        assert.notStrictEqual(cert.metadata.namespace, "spinnaker");
    });
    it("the Gateway's HTTPS credentialName is the Certificate's secretName", () => {
        const https = servers().find((s) => s.port.protocol === "HTTPS")!;
        assert.strictEqual(https.tls.credentialName, (cert.spec as { secretName: string }).secretName);
    });
    it("the host is the same in the Certificate, both Gateway servers and the VirtualService, and is no wildcard", () => {
        const host = "spinnaker.example.com";
        assert.deepStrictEqual((cert.spec as { dnsNames: string[] }).dnsNames, [host]);
        for (const s of servers()) assert.deepStrictEqual(s.hosts, [host]);
        assert.deepStrictEqual((vs.spec as { hosts: string[] }).hosts, [host]);
        assert.ok(!JSON.stringify([gateway, vs]).includes('"*"'));
    });
    it("HTTP only redirects to HTTPS; HTTPS is SIMPLE TLS, 1.2 or later", () => {
        const http = servers().find((s) => s.port.protocol === "HTTP")!;
        assert.deepStrictEqual({ port: http.port.number, tls: http.tls }, { port: 80, tls: { httpsRedirect: true } });
        const https = servers().find((s) => s.port.protocol === "HTTPS")!;
        assert.deepStrictEqual({ port: https.port.number, mode: https.tls.mode, min: https.tls.minProtocolVersion }, { port: 443, mode: "SIMPLE", min: "TLSV1_2" });
    });
    it("the VirtualService is bound to that Gateway, by namespace and name", () => {
        assert.deepStrictEqual((vs.spec as { gateways: string[] }).gateways, [`${gateway.metadata.namespace}/${gateway.metadata.name}`]);
        assert.strictEqual(vs.metadata.namespace, "spinnaker");
    });
    it("it routes /api/v1 to Gate before / to Deck, at their Services and ports", () => {
        const routes = (vs.spec as { http: { match: { uri: { prefix: string } }[]; route: { destination: { host: string; port: { number: number } } }[] }[] }).http.map((h) => ({
            prefix: h.match[0].uri.prefix,
            to: `${h.route[0].destination.host}:${h.route[0].destination.port.number}`,
        }));
        assert.deepStrictEqual(routes, [
            { prefix: "/api/v1", to: "spin-gate.spinnaker.svc.cluster.local:8084" },
            { prefix: "/", to: "spin-deck.spinnaker.svc.cluster.local:9000" },
        ]);
    });
    it("Gate serves under that path and Deck and Gate answer the gateway in plain HTTP behind their sidecars; the external URLs point at the host", () => {
        const p = patchOf(r).spec.spinnakerConfig;
        assert.deepStrictEqual(p.profiles.gate.server, { ssl: { enabled: false }, servlet: { "context-path": "/api/v1" } });
        assert.strictEqual(p["service-settings"].gate.baseUrl, "http://spin-gate.spinnaker:8084");
        assert.strictEqual(p["service-settings"].deck.baseUrl, "http://spin-deck.spinnaker:9000");
        assert.strictEqual(p["service-settings"].deck.env, undefined, "no DECK_CERT: Deck speaks HTTP to its sidecar");
        assert.deepStrictEqual((p.config as { security: unknown }).security, { uiSecurity: { overrideBaseUrl: "https://spinnaker.example.com" }, apiSecurity: { overrideBaseUrl: "https://spinnaker.example.com/api/v1" } });
        // Gate still calls the other services with its own client certificate.
        assert.ok(p.profiles.gate["ok-http-client"]);
    });
    it("the Certificate comes from the ACME issuer for the public host", () => {
        assert.deepStrictEqual((cert.spec as { issuerRef: unknown }).issuerRef, { name: "spinnaker-mtls-acme", kind: "Issuer", group: "cert-manager.io" });
    });
    it("the stack output names the URL", () => {
        assert.strictEqual(r.stackOutputs.ingressUrl, "https://spinnaker.example.com");
    });
});
