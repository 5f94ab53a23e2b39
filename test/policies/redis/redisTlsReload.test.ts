import * as assert from "assert";
import { Fixture, kube, messages } from "../../support/policyPack";
import { objectNamed, stackRun } from "../../support/stacks";
import { NS, clone } from "../fixtures";

const POLICY = "redis-tls-reload";
const RELOAD_SCRIPT = "while :; do redis-cli --tls CONFIG SET tls-cert-file /tls/tls.crt tls-key-file /tls/tls.key tls-ca-cert-file /tls/ca.crt; sleep 30; done";

interface Pod {
    containers: Record<string, unknown>[];
    initContainers?: Record<string, unknown>[];
    volumes: Record<string, unknown>[];
}

const redisContainer = { name: "redis", image: "redis:7.2.7", args: ["/etc/redis/redis.conf"], volumeMounts: [{ name: "data", mountPath: "/data" }, { name: "tls", mountPath: "/tls", readOnly: true }] };
const reloadContainer = { name: "tls-reload", image: "redis:7.2.7", command: ["sh", "-c", RELOAD_SCRIPT], volumeMounts: [{ name: "tls", mountPath: "/tls", readOnly: true }] };

function pod(): Pod {
    return {
        containers: [clone(redisContainer), clone(reloadContainer)],
        volumes: [
            { name: "tls", secret: { secretName: "spin-redis-tls" } },
            { name: "config", configMap: { name: "spin-redis-config" } },
        ],
    };
}

const statefulSet = (edit: (p: Pod) => void = () => undefined, name = "spin-redis"): Fixture => {
    const p = pod();
    edit(p);
    return kube("apps/v1", "StatefulSet", { name, namespace: NS }, { spec: { serviceName: `${name}-headless`, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: p } } });
};

const AT = `StatefulSet ${NS}/spin-redis: spec.template.spec.containers[0].volumeMounts[1]`;
const refusal = (secret = "Secret spin-redis-tls", volume = "tls") =>
    `${AT}: Redis mounts ${secret} (volume ${volume}), but no container of the pod reloads it: Redis reads its certificate only at start and on CONFIG SET, so when the Secret is renewed in place (cert-manager) Redis keeps serving the old certificate until it expires and every client is refused. Fix: run a container beside Redis that mounts volume ${volume} and, when its files change, runs CONFIG SET tls-cert-file … tls-key-file … tls-ca-cert-file … (the tls-reload container of the program's RedisTls)`;

describe("policy redis-tls-reload", () => {
    it("accepts a Redis whose certificate Secret a reload container beside it also mounts", async () => {
        assert.deepStrictEqual(await messages(POLICY, [statefulSet()]), []);
    });

    it("accepts the StatefulSets the program renders, for both Redis instances and both certificate backends, and refuses them without their tls-reload container", async () => {
        // prod's cert-manager backend: Redis reads its CAs from the program's trust bundle, in the same (projected) volume.
        for (const [stack, name, secrets] of [["prod", "spin-redis", "spin-redis-tls, spinnaker-mtls-ca-trust"], ["prod", "spin-redis-go", "spin-redis-go-tls, spinnaker-mtls-ca-trust"], ["dev", "spin-redis", "spin-redis-tls"]]) {
            const rendered = objectNamed<Record<string, unknown>>(await stackRun(stack), "kubernetes:apps/v1:StatefulSet", name);
            const fixture: Fixture = { type: "kubernetes:apps/v1:StatefulSet", name, inputs: rendered };
            assert.deepStrictEqual(await messages(POLICY, [fixture]), [], `${stack} ${name}`);
            const stripped = clone(rendered) as { spec: { template: { spec: Pod } } };
            stripped.spec.template.spec.containers = stripped.spec.template.spec.containers.filter((c) => c.name !== "tls-reload");
            const found = await messages(POLICY, [{ ...fixture, inputs: stripped }]);
            assert.strictEqual(found.length, 1, `${stack} ${name}: ${found.join("\n")}`);
            assert.match(found[0], new RegExp(`^StatefulSet \\S+/${name}: spec\\.template\\.spec\\.containers\\[0\\]\\.volumeMounts\\[\\d\\]: Redis mounts Secret ${secrets} \\(volume tls\\)`));
        }
    });

    it("refuses a Redis mounting its certificate Secret with nothing to reload it", async () => {
        assert.deepStrictEqual(await messages(POLICY, [statefulSet((p) => p.containers.splice(1))]), [refusal()]);
    });

    it("refuses a reload container that does not mount that Secret", async () => {
        const elsewhere = statefulSet((p) => {
            p.volumes.push({ name: "other-tls", secret: { secretName: "other-tls" } });
            p.containers[1].volumeMounts = [{ name: "other-tls", mountPath: "/tls" }];
        });
        assert.deepStrictEqual(await messages(POLICY, [elsewhere]), [refusal()]);
    });

    it("refuses a container that mounts the Secret but never has Redis reload its TLS files", async () => {
        const idle = statefulSet((p) => (p.containers[1].command = ["sh", "-c", "while :; do redis-cli --tls CONFIG SET maxmemory 1gb; sleep 30; done"]));
        assert.deepStrictEqual(await messages(POLICY, [idle]), [refusal()]);
    });

    it("refuses a reload run once as an init container, and accepts it as a native sidecar (restartPolicy Always)", async () => {
        const once = statefulSet((p) => (p.initContainers = p.containers.splice(1)));
        assert.deepStrictEqual(await messages(POLICY, [once]), [refusal()]);
        const sidecar = statefulSet((p) => (p.initContainers = p.containers.splice(1).map((c) => ({ ...c, restartPolicy: "Always" }))));
        assert.deepStrictEqual(await messages(POLICY, [sidecar]), []);
    });

    it("counts a projected volume that sources the Secret", async () => {
        const projected = statefulSet((p) => {
            p.volumes[0] = { name: "tls", projected: { sources: [{ secret: { name: "spin-redis-tls" } }] } };
            p.containers.splice(1);
        });
        assert.deepStrictEqual(await messages(POLICY, [projected]), [refusal()]);
    });

    it("leaves alone a Redis without a Secret volume, and workloads that do not run Redis", async () => {
        const noSecret = statefulSet((p) => {
            p.containers.splice(1);
            p.containers[0].volumeMounts = [{ name: "config", mountPath: "/etc/redis" }];
        });
        const notRedis = statefulSet((p) => {
            p.containers.splice(1);
            p.containers[0] = { ...p.containers[0], image: "nginx:1.27", args: [] };
        }, "web");
        assert.deepStrictEqual(await messages(POLICY, [noSecret, notRedis]), []);
    });
});
