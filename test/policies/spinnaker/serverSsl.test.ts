import * as assert from "assert";
import { Fixture, kube, messages } from "../../support/policyPack";
import { NS, authorizationPolicies, clone, goProfile, injectionLabel, peerAuthentication, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-server-ssl";
const SPIN = `SpinnakerService ${NS}/spinnaker`;
const profile = (f: Fixture, svc: string) => spinnakerConfig(f).profiles[svc] as { server: { ssl: Record<string, unknown> } };
const edited = (edit: (f: Fixture) => void, opts?: Parameters<typeof spinnakerService>[0]) => {
    const f = clone(spinnakerService(opts));
    edit(f);
    return f;
};
const plain = (svc: string, where: string, value = "'false'") => `${SPIN}: ${where}: is ${value}, so ${svc} serves plain HTTP. Fix: set server.ssl.enabled: true with its keystore`;

/** Deck and Gate in plain HTTP behind the ingress, the way the program sets them up with Istio. */
const edgeMode = () =>
    edited((f) => {
        profile(f, "gate").server.ssl = { enabled: false };
        delete spinnakerConfig(f)["service-settings"].deck.env;
    });
const MESH = () => [injectionLabel(), peerAuthentication(), ...authorizationPolicies()];

describe("policy spinnaker-server-ssl", () => {
    it("accepts a SpinnakerService whose every service serves TLS with its keystore, in either API group", async () => {
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService()]), []);
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService({ group: "spinnaker.armory.io" })]), []);
    });

    it("refuses a Java service with server.ssl.enabled false", async () => {
        const f = edited((x) => (profile(x, "orca").server.ssl.enabled = false));
        assert.deepStrictEqual(await messages(POLICY, [f]), [plain("orca", "spec.spinnakerConfig.profiles.orca.server.ssl.enabled")]);
    });

    it("refuses a service that is always deployed but not configured for TLS at all", async () => {
        const f = edited((x) => delete spinnakerConfig(x).profiles.front50);
        assert.deepStrictEqual(await messages(POLICY, [f]), [plain("front50", "spec.spinnakerConfig.profiles.front50.server.ssl.enabled", "not set")]);
    });

    it("sees TLS turned off by an environment variable, a -D option, a dotted key or the shared spinnaker profile", async () => {
        const f = edited((x) => {
            const settings = spinnakerConfig(x)["service-settings"];
            settings.clouddriver.env = { SERVER_SSL_ENABLED: "false" };
            settings.echo.env = { JAVA_OPTS: "-Xmx2g -Dserver.ssl.enabled=false" };
            delete profile(x, "rosco").server.ssl.enabled;
            (spinnakerConfig(x).profiles.rosco as Record<string, unknown>)["server.ssl.enabled"] = false;
            delete profile(x, "gate").server.ssl.enabled;
            spinnakerConfig(x).profiles.spinnaker = { server: { ssl: { enabled: false } } };
        });
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            plain("clouddriver", "spec.spinnakerConfig.service-settings.clouddriver.env.SERVER_SSL_ENABLED"),
            plain("echo", "spec.spinnakerConfig.service-settings.echo.env.JAVA_OPTS (-Dserver.ssl.enabled)"),
            `${SPIN}: spec.spinnakerConfig.profiles.spinnaker.server.ssl.enabled: is 'false', so gate serves plain HTTP outside the edge exception: no STRICT PeerAuthentication covers namespace ${NS}; its pods get no sidecar (namespace ${NS} is not labelled istio-injection=enabled and podLabels does not set sidecar.istio.io/inject: "true"); no ALLOW AuthorizationPolicy applies to it, so Istio lets every caller in. Fix: set server.ssl.enabled: true with its keystore, or close those gaps`,
            plain("rosco", "spec.spinnakerConfig.profiles.rosco.server.ssl.enabled"),
        ]);
    });

    it("refuses TLS without the keystore or truststore it needs", async () => {
        const f = edited((x) => {
            delete profile(x, "echo").server.ssl["key-store"];
            delete profile(x, "echo").server.ssl["trust-store-password"];
        });
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${SPIN}: spec.spinnakerConfig.profiles.echo.server.ssl.key-store: is not set, so echo cannot serve TLS with its certificate. Fix: point it at the service's Secret with an encryptedFile:/encrypted: reference`,
            `${SPIN}: spec.spinnakerConfig.profiles.echo.server.ssl.trust-store-password: is not set, so echo cannot serve TLS with its certificate. Fix: point it at the service's Secret with an encryptedFile:/encrypted: reference`,
        ]);
    });

    it("refuses a Go service without its PEM files", async () => {
        const f = edited((x) => {
            const p = goProfile("dinghy");
            delete (p.server.ssl as Record<string, unknown>).certFile;
            spinnakerConfig(x).profiles.dinghy = p;
        });
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${SPIN}: spec.spinnakerConfig.profiles.dinghy.server.ssl.certFile: is not set, so dinghy cannot serve TLS with its certificate. Fix: point it at the service's Secret with an encryptedFile:/encrypted: reference`,
        ]);
    });

    it("accepts Deck and Gate in plain HTTP behind the ingress when the mesh is STRICT, injected and admits named callers only", async () => {
        assert.deepStrictEqual(await messages(POLICY, [edgeMode(), ...MESH()]), []);
    });

    it("refuses the edge exception without a STRICT PeerAuthentication", async () => {
        const mesh = MESH().filter((x) => x.inputs.kind !== "PeerAuthentication");
        assert.deepStrictEqual(await messages(POLICY, [edgeMode(), ...mesh]), [
            `${SPIN}: spec.spinnakerConfig.service-settings.deck.env.DECK_CERT: is not set, so deck serves plain HTTP outside the edge exception: no STRICT PeerAuthentication covers namespace ${NS}. Fix: set DECK_CERT and DECK_KEY to its certificate, or close those gaps`,
            `${SPIN}: spec.spinnakerConfig.profiles.gate.server.ssl.enabled: is 'false', so gate serves plain HTTP outside the edge exception: no STRICT PeerAuthentication covers namespace ${NS}. Fix: set server.ssl.enabled: true with its keystore, or close those gaps`,
        ]);
    });

    it("refuses the edge exception when the pods get no sidecar, and accepts per-service injection", async () => {
        const mesh = MESH().filter((x) => x.inputs.kind !== "Namespace");
        const found = await messages(POLICY, [edgeMode(), ...mesh]);
        assert.deepStrictEqual(found.map((m) => /its pods get no sidecar/.test(m)), [true, true]);
        const perService = edited((x) => {
            profile(x, "gate").server.ssl = { enabled: false };
            const settings = spinnakerConfig(x)["service-settings"];
            delete settings.deck.env;
            for (const s of ["deck", "gate"]) settings[s].kubernetes = { useTcpProbe: true, podLabels: { "sidecar.istio.io/inject": "true" } };
        });
        assert.deepStrictEqual(await messages(POLICY, [perService, ...mesh]), []);
    });

    it("refuses the edge exception when authorization lets any caller in", async () => {
        const openToAll = kube("security.istio.io/v1", "AuthorizationPolicy", { name: "allow-all", namespace: NS }, { spec: { action: "ALLOW", rules: [{}] } });
        const star = kube("security.istio.io/v1", "AuthorizationPolicy", { name: "allow-star", namespace: NS }, {
            spec: { selector: { matchLabels: { cluster: "spin-gate" } }, rules: [{ from: [{ source: { principals: ["*"] } }] }] },
        });
        const found = await messages(POLICY, [edgeMode(), ...MESH(), openToAll, star]);
        assert.deepStrictEqual(found, [
            `${SPIN}: spec.spinnakerConfig.service-settings.deck.env.DECK_CERT: is not set, so deck serves plain HTTP outside the edge exception: AuthorizationPolicy ${NS}/allow-all spec.rules[0] has no 'from', so it allows any caller. Fix: set DECK_CERT and DECK_KEY to its certificate, or close those gaps`,
            `${SPIN}: spec.spinnakerConfig.profiles.gate.server.ssl.enabled: is 'false', so gate serves plain HTTP outside the edge exception: AuthorizationPolicy ${NS}/allow-all spec.rules[0] has no 'from', so it allows any caller; AuthorizationPolicy ${NS}/allow-star spec.rules[0].from[0] allows '*'. Fix: set server.ssl.enabled: true with its keystore, or close those gaps`,
        ]);
    });

    it("never extends the edge exception to other services", async () => {
        const f = edited((x) => {
            profile(x, "gate").server.ssl = { enabled: false };
            profile(x, "clouddriver").server.ssl.enabled = false;
            delete spinnakerConfig(x)["service-settings"].deck.env;
        });
        assert.deepStrictEqual(await messages(POLICY, [f, ...MESH()]), [plain("clouddriver", "spec.spinnakerConfig.profiles.clouddriver.server.ssl.enabled")]);
    });

    it("judges a server-side-apply patch on the services whose TLS it sets", async () => {
        const partial = kube("spinnaker.io/v1alpha2", "SpinnakerService", { name: "spinnaker", namespace: NS }, {
            spec: { spinnakerConfig: { profiles: { clouddriver: { server: { ssl: { "client-auth": "need" } } }, orca: { sql: { enabled: true } } } } },
        }, { patch: true });
        assert.deepStrictEqual(await messages(POLICY, [partial]), [plain("clouddriver", "spec.spinnakerConfig.profiles.clouddriver.server.ssl.enabled", "not set")]);
    });
});
