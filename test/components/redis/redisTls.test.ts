import * as assert from "assert";
import * as path from "path";
import { quantityValue } from "../../../components/config/reader";
import { unwrap } from "../../../engine/monitor";
import { validateObject } from "../../../engine/schemas";
import { RunResult } from "../../../engine/run";
import { TLS_RELOAD_CONTAINER } from "../../../components/redis/redisTls";
import { redisDirectives } from "../../../policies/redis/redisTlsOnly";
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

interface Container {
    name: string;
    image: string;
    command: string[];
    args?: string[];
    env?: { name: string; value?: string; valueFrom?: unknown }[];
    envFrom?: unknown[];
    ports?: { containerPort: number }[];
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    securityContext: Record<string, unknown>;
    volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
    containers: Container[];
    volumes: { name: string; secret?: { secretName: string }; configMap?: unknown; projected?: { sources: unknown[] } }[];
}

const sts = (r: RunResult, name = "spin-redis") => objectNamed<Sts>(r, "kubernetes:apps/v1:StatefulSet", name);
const podSpec = (r: RunResult, name: string) => objectNamed<{ spec: { template: { spec: PodSpec } } }>(r, "kubernetes:apps/v1:StatefulSet", name).spec.template.spec;
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
        it("a renewed server certificate changes its Secret and not the StatefulSet: the tls-reload container loads it in place", async () => {
            const first = await stackRun("dev");
            const later = await run({ stack: "dev", previous: first.export, now: new Date(Date.now() + (720 - 168 + 1) * HOUR) });
            const secret = (r: RunResult) => objectNamed<{ data: Record<string, string> }>(r, "kubernetes:core/v1:Secret", "spin-redis-tls").data["tls.crt"];
            assert.notStrictEqual(secret(later), secret(first), "the program renewed Redis's certificate");
            assert.deepStrictEqual(annotations(later), annotations(first));
            assert.strictEqual(annotations(later)["spinnaker-mtls/tls-checksum"], undefined);
            assert.strictEqual(later.plan.find((s) => s.urn.endsWith("::spin-redis-statefulset"))!.op, "same");
        });
        it("a config change (memory limit, hence maxmemory) changes the config checksum", async () => {
            const first = await stackRun("dev");
            const changed = await run({ stack: "dev", previous: first.export, config: { "spinnaker-mtls:redisMemoryLimit": "2Gi" } });
            assert.notStrictEqual(annotations(changed)["spinnaker-mtls/config-checksum"], annotations(first)["spinnaker-mtls/config-checksum"]);
            assert.strictEqual(changed.plan.find((s) => s.urn.endsWith("::spin-redis-statefulset"))!.op, "update");
        });
    });

    describe("the tls-reload container, which makes Redis load a renewed certificate without a restart", () => {
        // prod issues through cert-manager (renewed in place), dev through the program;
        // spin-redis-go is the Go services' Redis, without client certificates.
        const cases = [
            ["prod", "spin-redis"],
            ["prod", "spin-redis-go"],
            ["dev", "spin-redis"],
        ] as const;
        for (const [stack, name] of cases) {
            it(`${stack} ${name}: reloads the very files redis.conf names, from the mounted Secret, over TLS to its own Redis`, async () => {
                const r = await stackRun(stack);
                const spec = podSpec(r, name);
                const redis = spec.containers.find((c) => c.name === "redis")!;
                const reload = spec.containers.find((c) => c.name === TLS_RELOAD_CONTAINER);
                assert.ok(reload, spec.containers.map((c) => c.name).join(","));
                assert.strictEqual(reload.image, redis.image, "redis-cli from the server's own image");
                const conf = redisDirectives(objectNamed<{ data: Record<string, string> }>(r, "kubernetes:core/v1:ConfigMap", `${name}-config`).data["redis.conf"]);
                const [shell, flag, script] = reload.command;
                assert.deepStrictEqual([shell, flag, reload.args], ["sh", "-c", undefined]);
                const configSet = /redis-cli (.*) CONFIG SET (.*) 2>&1/.exec(script);
                assert.ok(configSet, script);
                const files = ["tls-cert-file", "tls-key-file", "tls-ca-cert-file"] as const;
                assert.strictEqual(configSet[2], files.map((d) => `${d} ${conf.get(d)}`).join(" "));
                assert.match(configSet[1], new RegExp(`--tls --cacert ${conf.get("tls-ca-cert-file")} --cert ${conf.get("tls-cert-file")} --key ${conf.get("tls-key-file")} -h 127\\.0\\.0\\.1 -p ${conf.get("tls-port")}$`));
                // It mounts the Secret Redis reads its certificate from, read-only, and nothing else.
                const redisTlsMount = redis.volumeMounts.find((m) => m.mountPath === path.posix.dirname(conf.get("tls-cert-file")!))!;
                assert.deepStrictEqual(reload.volumeMounts, [{ ...redisTlsMount, readOnly: true }]);
                for (const d of files) assert.strictEqual(path.posix.dirname(conf.get(d)!), redisTlsMount.mountPath, d);
                const volume = spec.volumes.find((v) => v.name === redisTlsMount.name)!;
                if (stack === "dev") assert.strictEqual(volume.secret?.secretName, `${name}-tls`);
                else {
                    // cert-manager's Secret for the certificate and key, the program's trust bundle for the CAs, in one volume.
                    assert.deepStrictEqual(volume.projected?.sources, [
                        { secret: { name: `${name}-tls`, items: [{ key: "tls.crt", path: "tls.crt" }, { key: "tls.key", path: "tls.key" }] } },
                        { secret: { name: "spinnaker-mtls-ca-trust", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                    ]);
                }
                assert.deepStrictEqual(reload.securityContext, redis.securityContext);
            });
        }

        it("carries no secret: no key material, password or Secret reference in its command or environment", async () => {
            for (const [stack, name] of cases) {
                const reload = podSpec(await stackRun(stack), name).containers.find((c) => c.name === TLS_RELOAD_CONTAINER)!;
                const text = reload.command.join(" ");
                assert.doesNotMatch(text, /-----BEGIN|PRIVATE KEY/);
                assert.doesNotMatch(text, /\s(-a|--pass|--user|--askpass)\s|\bAUTH\b/, "redis-cli authenticates with the pod's certificate only");
                assert.strictEqual(reload.envFrom, undefined);
                for (const e of reload.env ?? []) {
                    assert.strictEqual(e.valueFrom, undefined, e.name);
                    assert.match(e.value ?? "", /^[0-9]+$/, `${e.name}: a number of seconds`);
                }
                // It logs what it did and what failed, never the files nor a checksum that covers the key:
                // the digest it logs is of tls.crt and ca.crt alone.
                for (const echo of text.match(/echo "[^"]*"/g) ?? []) assert.doesNotMatch(echo, /\$current|\$applied|cat /, echo);
                const logged = /public="\$\(cat ([^|]*)\|/.exec(text);
                assert.ok(logged, text);
                assert.deepStrictEqual(logged[1].trim().split(/\s+/).map((f) => path.posix.basename(f)), ["tls.crt", "ca.crt"]);
            }
        });

        it("asks for little: a shell asleep between looks", async () => {
            const reload = podSpec(await stackRun("prod"), "spin-redis").containers.find((c) => c.name === TLS_RELOAD_CONTAINER)!;
            assert.ok(quantityValue(reload.resources.requests.cpu)! <= 0.01, reload.resources.requests.cpu);
            assert.ok(quantityValue(reload.resources.requests.memory)! <= 32 * 2 ** 20, reload.resources.requests.memory);
            assert.ok(reload.resources.limits.cpu && reload.resources.limits.memory, "bounded");
            assert.strictEqual(reload.ports, undefined, "it serves nothing");
        });

        it("carries no TLS checksum on either backend, only the config's: a new certificate or CA bundle never restarts Redis", async () => {
            for (const stack of ["dev", "prod"]) assert.deepStrictEqual(Object.keys(annotations(await stackRun(stack))).sort(), ["spinnaker-mtls/config-checksum"], stack);
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
