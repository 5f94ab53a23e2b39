import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { NS, redisStatefulSet } from "../fixtures";

const POLICY = "virtual-service-destinations";
const vs = (spec: Record<string, unknown>, namespace = NS, name = "spinnaker") => kube("networking.istio.io/v1", "VirtualService", { name, namespace }, { spec: { hosts: ["spinnaker.example.com"], ...spec } });
const route = (host: string) => ({ route: [{ destination: { host, port: { number: 8084 } } }] });
const FIX = "Fix: route only to in-cluster Services (<service>.<namespace>.svc.cluster.local)";

describe("policy virtual-service-destinations", () => {
    it("accepts routes to in-cluster Services in any form, and a mesh-internal VirtualService elsewhere routing out", async () => {
        const ours = vs({ gateways: ["istio-system/spinnaker-gateway"], http: [route("spin-gate.spinnaker.svc.cluster.local"), route("spin-deck"), { ...route("spin-deck.spinnaker"), mirror: { host: "spin-deck-canary.spinnaker.svc" } }] });
        const egress = vs({ hosts: ["api.github.com"], tls: [{ match: [{ sniHosts: ["api.github.com"] }], route: [{ destination: { host: "api.github.com" } }] }] }, "egress", "github");
        assert.deepStrictEqual(await messages(POLICY, [redisStatefulSet(), ours, egress]), []);
    });

    it("refuses a route or a mirror leaving the cluster from a gateway-bound VirtualService", async () => {
        const out = vs({ gateways: ["istio-system/spinnaker-gateway"], http: [route("spinnaker.attacker.example"), { ...route("spin-gate"), mirror: { host: "10.1.2.3" } }] }, "istio-system");
        assert.deepStrictEqual(await messages(POLICY, [out]), [
            `VirtualService istio-system/spinnaker: spec.http[0].route[0].destination.host: is 'spinnaker.attacker.example', outside the cluster, so this traffic leaves the mesh and its mutual TLS. ${FIX}`,
            `VirtualService istio-system/spinnaker: spec.http[1].mirror.host: is '10.1.2.3', outside the cluster, so this traffic leaves the mesh and its mutual TLS. ${FIX}`,
        ]);
    });

    it("refuses a TCP route out of a namespace running Redis", async () => {
        assert.deepStrictEqual(await messages(POLICY, [redisStatefulSet(), vs({ hosts: ["spin-redis"], tcp: [{ route: [{ destination: { host: "redis.cache.example.net" } }] }] })]), [
            `VirtualService ${NS}/spinnaker: spec.tcp[0].route[0].destination.host: is 'redis.cache.example.net', outside the cluster, so this traffic leaves the mesh and its mutual TLS. ${FIX}`,
        ]);
    });
});
