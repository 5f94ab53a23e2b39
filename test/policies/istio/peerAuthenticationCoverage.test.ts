import * as assert from "assert";
import { evaluate, kube, messages } from "../../support/policyPack";
import { NS, peerAuthentication, redisStatefulSet, spinnakerService } from "../fixtures";

const POLICY = "peer-authentication-coverage";
const uncovered = (ns: string, what: string) =>
    `Namespace ${ns}: runs ${what} but no STRICT PeerAuthentication covers it. Fix: add a PeerAuthentication without a selector in ${ns} (or in istio-system for the whole mesh) with spec.mtls.mode: STRICT`;

describe("policy peer-authentication-coverage", () => {
    it("accepts a namespace-wide STRICT PeerAuthentication where Spinnaker and Redis run", async () => {
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService(), redisStatefulSet(), peerAuthentication()]), []);
    });

    it("accepts a mesh-wide STRICT PeerAuthentication in the root namespace", async () => {
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService(), peerAuthentication("istio-system")]), []);
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService(), peerAuthentication("mesh-root")], { [POLICY]: { rootNamespace: "mesh-root" } }), []);
    });

    it("refuses a namespace without any PeerAuthentication, naming what runs there", async () => {
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService(), redisStatefulSet()]), [uncovered(NS, `SpinnakerService ${NS}/spinnaker, StatefulSet ${NS}/spin-redis (Redis)`)]);
    });

    it("refuses a namespace whose own PeerAuthentication is PERMISSIVE, even under a STRICT mesh", async () => {
        assert.deepStrictEqual(await messages(POLICY, [redisStatefulSet(), peerAuthentication(NS, "PERMISSIVE"), peerAuthentication("istio-system")]), [uncovered(NS, `StatefulSet ${NS}/spin-redis (Redis)`)]);
    });

    it("does not count a workload-scoped PeerAuthentication as covering the namespace", async () => {
        const scoped = kube("security.istio.io/v1", "PeerAuthentication", { name: "redis-only", namespace: NS }, { spec: { selector: { matchLabels: { app: "redis" } }, mtls: { mode: "STRICT" } } });
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService(), scoped]), [uncovered(NS, `SpinnakerService ${NS}/spinnaker`)]);
    });

    it("finds Redis by its image or command, in any namespace", async () => {
        const other = kube("apps/v1", "Deployment", { name: "cache", namespace: "tools" }, {
            spec: { selector: {}, template: { metadata: {}, spec: { containers: [{ name: "c", image: "registry.example.com/library/redis@sha256:abc" }] } } },
        });
        assert.deepStrictEqual(await messages(POLICY, [other, peerAuthentication()]), [uncovered("tools", "Deployment tools/cache (Redis)")]);
    });

    it("with meshRequired false, does not apply to a stack without Istio, and still applies once Istio is used", async () => {
        const config = { [POLICY]: { meshRequired: false } };
        const quiet = await evaluate([spinnakerService(), redisStatefulSet()], config);
        assert.deepStrictEqual(quiet.findings.filter((f) => f.policy === POLICY), []);
        assert.deepStrictEqual(quiet.notApplicable[POLICY], ["the stack declares no Istio resources and meshRequired is false"]);
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService(), peerAuthentication("elsewhere")], config), [uncovered(NS, `SpinnakerService ${NS}/spinnaker`)]);
    });
});
