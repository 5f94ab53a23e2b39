import * as assert from "assert";
import { evaluate, kube, messages } from "../../support/policyPack";
import { NS, clone, injectionLabel, peerAuthentication, redisStatefulSet, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "sidecar-injection-not-disabled";
const outside = "is \"false\", so this pod runs outside the mesh";

describe("policy sidecar-injection-not-disabled", () => {
    it("accepts a mesh namespace whose workloads keep their sidecars", async () => {
        assert.deepStrictEqual(await messages(POLICY, [injectionLabel(), redisStatefulSet(), spinnakerService()]), []);
    });

    it("refuses the inject annotation set to false on a pod template", async () => {
        const f = redisStatefulSet(NS, { annotations: { "sidecar.istio.io/inject": "false" } });
        assert.deepStrictEqual(await messages(POLICY, [injectionLabel(), f]), [
            `StatefulSet ${NS}/spin-redis: spec.template.metadata.annotations.sidecar.istio.io/inject: ${outside}. Fix: remove the annotation`,
        ]);
    });

    it("refuses the inject label set to false on a pod template", async () => {
        const f = redisStatefulSet(NS, { labels: { "sidecar.istio.io/inject": "false" } });
        assert.deepStrictEqual(await messages(POLICY, [peerAuthentication(), f]), [`StatefulSet ${NS}/spin-redis: spec.template.metadata.labels.sidecar.istio.io/inject: ${outside}. Fix: remove the label`]);
    });

    it("refuses a SpinnakerService that takes a service out of the mesh, by podLabels or by a kustomize patch", async () => {
        const f = clone(spinnakerService());
        spinnakerConfig(f)["service-settings"].gate.kubernetes = { useTcpProbe: true, podLabels: { "sidecar.istio.io/inject": "false" } };
        (f.inputs.spec as Record<string, unknown>).kustomize = {
            orca: { deployment: { patchesStrategicMerge: ["spec:\n  template:\n    metadata:\n      annotations:\n        sidecar.istio.io/inject: \"false\"\n"] } },
            echo: { deployment: { patchesJson6902: "- op: add\n  path: /spec/template/metadata/labels/sidecar.istio.io~1inject\n  value: \"false\"\n" } },
        };
        assert.deepStrictEqual(await messages(POLICY, [injectionLabel(), f]), [
            `SpinnakerService ${NS}/spinnaker: spec.spinnakerConfig.service-settings.gate.kubernetes.podLabels.sidecar.istio.io/inject: is "false", so this service runs outside the mesh. Fix: remove it (or set "true")`,
            `SpinnakerService ${NS}/spinnaker: spec.kustomize.echo.deployment.patchesJson6902[0]: sets sidecar.istio.io/inject to false, so echo runs outside the mesh. Fix: remove that patch`,
            `SpinnakerService ${NS}/spinnaker: spec.kustomize.orca.deployment.patchesStrategicMerge[0]: sets sidecar.istio.io/inject to false, so orca runs outside the mesh. Fix: remove that patch`,
        ]);
    });

    it("refuses turning injection off for a namespace the mesh secures", async () => {
        assert.deepStrictEqual(await messages(POLICY, [injectionLabel(NS, "disabled"), peerAuthentication()]), [
            `Namespace ${NS}: metadata.labels.istio-injection: is "disabled" on a namespace the mesh secures. Fix: set it to "enabled"`,
        ]);
    });

    it("judges namespaces declared mesh-enabled outside the stack, and nothing where there is no mesh", async () => {
        const f = redisStatefulSet("cache", { annotations: { "sidecar.istio.io/inject": "false" } });
        assert.strictEqual((await messages(POLICY, [f], { [POLICY]: { meshNamespaces: ["cache"] } })).length, 1);
        const none = await evaluate([f]);
        assert.deepStrictEqual(none.notApplicable[POLICY], ["no namespace of this stack is mesh-enabled"]);
    });

    it("leaves pods outside the mesh namespaces alone", async () => {
        const elsewhere = kube("apps/v1", "Deployment", { name: "batch", namespace: "jobs" }, {
            spec: { selector: {}, template: { metadata: { annotations: { "sidecar.istio.io/inject": "false" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
        });
        assert.deepStrictEqual(await messages(POLICY, [injectionLabel(), elsewhere]), []);
    });
});
