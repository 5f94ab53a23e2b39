import * as assert from "assert";
import { evaluate, messages } from "../../support/policyPack";
import { NS, clone, injectionLabel, redisStatefulSet, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "sidecar-capture-not-narrowed";
const EXCLUDED = "so that traffic bypasses the sidecar and its mutual TLS";
const NARROWED = "so traffic outside it bypasses the sidecar and its mutual TLS";

describe("policy sidecar-capture-not-narrowed", () => {
    it("accepts pods that leave capture whole: no annotation, empty exclude lists, include lists of '*', extra outbound ports, TPROXY", async () => {
        const redis = redisStatefulSet(NS, {
            annotations: {
                "traffic.sidecar.istio.io/excludeInboundPorts": "",
                "traffic.sidecar.istio.io/includeInboundPorts": "*",
                "traffic.sidecar.istio.io/includeOutboundIPRanges": "*",
                "traffic.sidecar.istio.io/includeOutboundPorts": "6379",
                "sidecar.istio.io/interceptionMode": "TPROXY",
            },
        });
        assert.deepStrictEqual(await messages(POLICY, [injectionLabel(), redis, spinnakerService()]), []);
    });

    it("refuses each exclude annotation on a pod template", async () => {
        const redis = redisStatefulSet(NS, {
            annotations: {
                "traffic.sidecar.istio.io/excludeInboundPorts": "6379",
                "traffic.sidecar.istio.io/excludeOutboundPorts": "7002,8083",
                "traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/8",
                "traffic.sidecar.istio.io/excludeInterfaces": "eth1",
            },
        });
        const at = (a: string, v: string) => `StatefulSet ${NS}/spin-redis: spec.template.metadata.annotations.traffic.sidecar.istio.io/${a}: is '${v}', ${EXCLUDED}. Fix: remove the annotation`;
        assert.deepStrictEqual(await messages(POLICY, [injectionLabel(), redis]), [
            at("excludeInboundPorts", "6379"),
            at("excludeOutboundPorts", "7002,8083"),
            at("excludeOutboundIPRanges", "10.0.0.0/8"),
            at("excludeInterfaces", "eth1"),
        ]);
    });

    it("refuses an include list narrowed from '*', an empty one included (it captures nothing)", async () => {
        const redis = redisStatefulSet(NS, { annotations: { "traffic.sidecar.istio.io/includeInboundPorts": "", "traffic.sidecar.istio.io/includeOutboundIPRanges": "10.96.0.0/12" } });
        assert.deepStrictEqual(await messages(POLICY, [injectionLabel(), redis]), [
            `StatefulSet ${NS}/spin-redis: spec.template.metadata.annotations.traffic.sidecar.istio.io/includeInboundPorts: is '', ${NARROWED}. Fix: remove the annotation`,
            `StatefulSet ${NS}/spin-redis: spec.template.metadata.annotations.traffic.sidecar.istio.io/includeOutboundIPRanges: is '10.96.0.0/12', ${NARROWED}. Fix: remove the annotation`,
        ]);
    });

    it("refuses a SpinnakerService that takes a service's port out of capture, by podAnnotations or by a kustomize patch", async () => {
        const f = clone(spinnakerService());
        spinnakerConfig(f)["service-settings"].orca.kubernetes = { podAnnotations: { "traffic.sidecar.istio.io/excludeInboundPorts": "8083" } };
        (f.inputs.spec as Record<string, unknown>).kustomize = {
            echo: { deployment: { patchesStrategicMerge: ["spec:\n  template:\n    metadata:\n      annotations:\n        traffic.sidecar.istio.io/excludeOutboundPorts: \"6379\"\n"] } },
            front50: { deployment: { patchesJson6902: "- op: add\n  path: /spec/template/metadata/annotations/traffic.sidecar.istio.io~1includeInboundPorts\n  value: \"9090\"\n" } },
        };
        assert.deepStrictEqual(await messages(POLICY, [injectionLabel(), f]), [
            `SpinnakerService ${NS}/spinnaker: spec.spinnakerConfig.service-settings.orca.kubernetes.podAnnotations.traffic.sidecar.istio.io/excludeInboundPorts: is '8083', ${EXCLUDED}. Fix: remove the annotation`,
            `SpinnakerService ${NS}/spinnaker: spec.kustomize.echo.deployment.patchesStrategicMerge[0]: sets traffic.sidecar.istio.io/excludeOutboundPorts to '6379', ${EXCLUDED}. Fix: remove that patch`,
            `SpinnakerService ${NS}/spinnaker: spec.kustomize.front50.deployment.patchesJson6902[0]: sets traffic.sidecar.istio.io/includeInboundPorts to '9090', ${NARROWED}. Fix: remove that patch`,
        ]);
    });

    it("judges only mesh-enabled namespaces", async () => {
        const f = redisStatefulSet("cache", { annotations: { "traffic.sidecar.istio.io/excludeInboundPorts": "6379" } });
        assert.strictEqual((await messages(POLICY, [f], { [POLICY]: { meshNamespaces: ["cache"] } })).length, 1);
        assert.deepStrictEqual((await evaluate([f])).notApplicable[POLICY], ["no namespace of this stack is mesh-enabled"]);
    });
});
