import * as assert from "assert";
import { Fixture, kube, messages } from "../../support/policyPack";
import { NS, redisStatefulSet } from "../fixtures";

const POLICY = "destination-rule-istio-mutual";
const dr = (host: string, spec: Record<string, unknown>, namespace = NS, name = "spin-gate"): Fixture => kube("networking.istio.io/v1", "DestinationRule", { name, namespace }, { spec: { host, ...spec } });
const simple = { trafficPolicy: { tls: { mode: "SIMPLE" } } };
const FIX = "Fix: use ISTIO_MUTUAL (or remove the tls block: the mesh default is ISTIO_MUTUAL)";
const NO_IDENTITY = "the sidecar originates TLS without a client certificate, so the server sees no workload identity";
// Redis runs in the namespace, so its Services are the ones to protect.
const redis = redisStatefulSet();

describe("policy destination-rule-istio-mutual", () => {
    it("accepts ISTIO_MUTUAL at every level, a rule without TLS settings, and any mode for hosts outside Spinnaker's namespaces", async () => {
        const mutual = { tls: { mode: "ISTIO_MUTUAL" } };
        assert.deepStrictEqual(
            await messages(POLICY, [
                redis,
                dr("spin-gate.spinnaker.svc.cluster.local", { trafficPolicy: { ...mutual, portLevelSettings: [{ port: { number: 8084 }, ...mutual }] }, subsets: [{ name: "v1", trafficPolicy: mutual }] }),
                dr("spin-orca", {}, NS, "spin-orca"),
                dr("api.github.com", simple, NS, "github"),
                dr("billing.payments.svc.cluster.local", { trafficPolicy: { tls: { mode: "MUTUAL", credentialName: "billing-client" } } }, "payments", "billing"),
            ]),
            [],
        );
    });

    it("refuses SIMPLE in the top-level traffic policy", async () => {
        assert.deepStrictEqual(await messages(POLICY, [redis, dr("spin-gate.spinnaker.svc.cluster.local", simple)]), [
            `DestinationRule ${NS}/spin-gate: spec.trafficPolicy.tls.mode: is 'SIMPLE' and host 'spin-gate.spinnaker.svc.cluster.local' matches Spinnaker's or Redis's Services in namespace ${NS}: ${NO_IDENTITY}. ${FIX}`,
        ]);
    });

    it("refuses MUTUAL in a port-level setting and in a subset", async () => {
        const mutual = { tls: { mode: "MUTUAL", credentialName: "x" } };
        const spec = { trafficPolicy: { portLevelSettings: [{ port: { number: 8084 }, ...mutual }] }, subsets: [{ name: "v1", trafficPolicy: mutual }] };
        const why = "the sidecar presents its own certificate instead of the mesh's workload identity";
        const whose = `host 'spin-gate' matches Spinnaker's or Redis's Services in namespace ${NS}`;
        assert.deepStrictEqual(await messages(POLICY, [redis, dr("spin-gate", spec)]), [
            `DestinationRule ${NS}/spin-gate: spec.trafficPolicy.portLevelSettings[0].tls.mode: is 'MUTUAL' and ${whose}: ${why}. ${FIX}`,
            `DestinationRule ${NS}/spin-gate: spec.subsets[0].trafficPolicy.tls.mode: is 'MUTUAL' and ${whose}: ${why}. ${FIX}`,
        ]);
    });

    it("refuses insecureSkipVerify", async () => {
        assert.deepStrictEqual(await messages(POLICY, [redis, dr("spin-gate", { trafficPolicy: { tls: { mode: "ISTIO_MUTUAL", insecureSkipVerify: true } } })]), [
            `DestinationRule ${NS}/spin-gate: spec.trafficPolicy.tls.insecureSkipVerify: is true and host 'spin-gate' matches Spinnaker's or Redis's Services in namespace ${NS}: the caller accepts any server certificate. Fix: remove insecureSkipVerify`,
        ]);
    });

    for (const [host, from] of [
        ["spin-gate", NS],
        ["spin-gate.spinnaker", "other"],
        ["spin-gate.spinnaker.svc", "other"],
        ["spin-gate.spinnaker.svc.corp.internal", "other"],
        ["*.spinnaker.svc.cluster.local", "other"],
        ["*.svc.cluster.local", "other"],
        ["*.cluster.local", "other"],
        ["*", "other"],
    ]) {
        it(`resolves host '${host}' (declared in namespace ${from}) to Spinnaker's namespace`, async () => {
            assert.deepStrictEqual(await messages(POLICY, [redis, dr(host, simple, from)]), [
                `DestinationRule ${from}/spin-gate: spec.trafficPolicy.tls.mode: is 'SIMPLE' and host '${host}' matches Spinnaker's or Redis's Services in namespace ${NS}: ${NO_IDENTITY}. ${FIX}`,
            ]);
        });
    }

    it("leaves DISABLE to destination-rule-no-disable", async () => {
        assert.deepStrictEqual(await messages(POLICY, [redis, dr("spin-gate", { trafficPolicy: { tls: { mode: "DISABLE" } } })]), []);
    });
});
