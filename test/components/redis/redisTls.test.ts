import * as assert from "assert";
import { unwrap } from "../../../engine/monitor";
import { validateObject } from "../../../engine/schemas";
import { RunResult } from "../../../engine/run";
import { objectNamed, ofType, run, stackRun } from "../../support/stacks";

const HOUR = 3600_000;

interface Sts {
    spec: {
        replicas: number;
        template: {
            metadata: { annotations: Record<string, string> };
            spec: {
                securityContext: Record<string, unknown>;
                containers: { securityContext: Record<string, unknown>; resources: unknown; startupProbe: unknown }[];
            };
        };
        volumeClaimTemplates: { spec: { storageClassName?: string; resources: { requests: { storage: string } } } }[];
    };
}

const sts = (r: RunResult, name = "spin-redis") => objectNamed<Sts>(r, "kubernetes:apps/v1:StatefulSet", name);
const annotations = (r: RunResult) => sts(r).spec.template.metadata.annotations;

describe("RedisTls", () => {
    it("emits objects that validate against the Kubernetes API schemas", async () => {
        const r = await stackRun("prod");
        const types = ["kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:Service", "kubernetes:core/v1:ConfigMap", "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:networking.k8s.io/v1:NetworkPolicy"];
        let checked = 0;
        for (const type of types) {
            for (const res of ofType(r, type)) {
                const v = await validateObject(unwrap(res.inputs) as Record<string, unknown>);
                assert.deepStrictEqual(v, { checked: true, problems: [] }, `${type} ${res.urn}`);
                checked++;
            }
        }
        assert.strictEqual(checked, 2 * 5 + 1, "two Redis instances (the Go services' one with its NetworkPolicy)");
    });

    it("runs Redis as a non-root user on a read-only root filesystem, with every capability dropped", async () => {
        const spec = sts(await stackRun("dev")).spec.template.spec;
        assert.deepStrictEqual(spec.securityContext, { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } });
        assert.deepStrictEqual(spec.containers[0].securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    });

    it("sizes pods, volumes and replicas from stack config", async () => {
        const r = await run({
            stack: "dev",
            config: {
                "spinnaker-mtls:redisReplicas": "2",
                "spinnaker-mtls:redisStorageSize": "20Gi",
                "spinnaker-mtls:redisStorageClass": "fast-ssd",
                "spinnaker-mtls:redisCpuRequest": "500m",
                "spinnaker-mtls:redisMemoryLimit": "4Gi",
            },
        });
        const s = sts(r).spec;
        assert.strictEqual(s.replicas, 3);
        assert.deepStrictEqual(s.volumeClaimTemplates[0].spec.storageClassName, "fast-ssd");
        assert.deepStrictEqual(s.volumeClaimTemplates[0].spec.resources.requests.storage, "20Gi");
        assert.deepStrictEqual(s.template.spec.containers[0].resources, { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "1", memory: "4Gi" } });
        const conf = objectNamed<{ data: Record<string, string> }>(r, "kubernetes:core/v1:ConfigMap", "spin-redis-config").data["redis.conf"];
        assert.match(conf, new RegExp(`^maxmemory ${3 * 2 ** 30}$`, "m"), "three quarters of the 4Gi limit");
        // The certificate names every pod, so replicas reach the primary by name.
        const redisCert = ofType(r, "spinnaker-mtls:pki:ServiceCertificate").find((c) => c.urn.endsWith("::spin-redis"))!;
        const names = (unwrap(redisCert.outputs) as { dnsNames: string[] }).dnsNames;
        for (const i of [0, 1, 2]) assert.ok(names.includes(`spin-redis-${i}.spin-redis-headless.spinnaker-dev.svc.cluster.local`), names.join(","));
    });

    describe("rolls its pods exactly when what Redis reads at start changes", () => {
        it("nothing changed: same annotations, nothing to update", async () => {
            const first = await stackRun("dev");
            const again = await run({ stack: "dev", previous: first.export });
            assert.deepStrictEqual(annotations(again), annotations(first));
            assert.strictEqual(again.plan.find((s) => s.urn.endsWith("::spin-redis-statefulset"))!.op, "same");
        });
        it("a renewed server certificate changes the TLS checksum", async () => {
            const first = await stackRun("dev");
            const later = await run({ stack: "dev", previous: first.export, now: new Date(Date.now() + (720 - 168 + 1) * HOUR) });
            assert.notStrictEqual(annotations(later)["spinnaker-mtls/tls-checksum"], annotations(first)["spinnaker-mtls/tls-checksum"]);
            assert.strictEqual(annotations(later)["spinnaker-mtls/config-checksum"], annotations(first)["spinnaker-mtls/config-checksum"]);
            assert.strictEqual(later.plan.find((s) => s.urn.endsWith("::spin-redis-statefulset"))!.op, "update");
        });
        it("a config change (memory limit, hence maxmemory) changes the config checksum", async () => {
            const first = await stackRun("dev");
            const changed = await run({ stack: "dev", previous: first.export, config: { "spinnaker-mtls:redisMemoryLimit": "2Gi" } });
            assert.notStrictEqual(annotations(changed)["spinnaker-mtls/config-checksum"], annotations(first)["spinnaker-mtls/config-checksum"]);
            assert.strictEqual(annotations(changed)["spinnaker-mtls/tls-checksum"], annotations(first)["spinnaker-mtls/tls-checksum"]);
        });
    });

    describe("with an external Redis", () => {
        const url = "rediss://:Sup3r-s3cret@redis.example.com:6380/0";
        let r: RunResult;
        before(async () => {
            r = await run({ stack: "dev", config: { "spinnaker-mtls:redisMode": "external", "spinnaker-mtls:redisExternalUrl": url } });
        });
        it("runs no Redis of its own", () => {
            assert.strictEqual(ofType(r, "kubernetes:apps/v1:StatefulSet").length, 0);
            assert.strictEqual(ofType(r, "spinnaker-mtls:redis:RedisTls").length, 0);
        });
        it("keeps the URL in a Secret only: encrypted in the export, absent from stack outputs", () => {
            assert.ok(!JSON.stringify(r.export).includes("Sup3r-s3cret"));
            assert.ok(!JSON.stringify(r.stackOutputs).includes("Sup3r-s3cret"));
            assert.strictEqual(r.stackOutputs.redisEndpoint, "external (URL in Secret spinnaker-mtls-redis, key url)");
            const secret = objectNamed<{ data: unknown }>(r, "kubernetes:core/v1:Secret", "spinnaker-mtls-redis");
            assert.strictEqual(Buffer.from((secret.data as Record<string, string>).url, "base64").toString(), url);
        });
    });
});
