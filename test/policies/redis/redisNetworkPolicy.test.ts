import * as assert from "assert";
import { Fixture, kube, messages } from "../../support/policyPack";
import { NS } from "../fixtures";

const POLICY = "redis-client-network-policy";
const LABELS = { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "spin-redis-go" };
const config = (auth: string) => kube("v1", "ConfigMap", { name: "spin-redis-go-config", namespace: NS }, { data: { "redis.conf": `port 0\ntls-port 6379\ntls-auth-clients ${auth}\n` } });
const redis = (args: string[] = ["/etc/redis/conf/redis.conf"]): Fixture =>
    kube("apps/v1", "StatefulSet", { name: "spin-redis-go", namespace: NS }, {
        spec: {
            selector: { matchLabels: LABELS },
            template: {
                metadata: { labels: LABELS },
                spec: {
                    containers: [{ name: "redis", image: "redis:7.2.7", args, volumeMounts: [{ name: "config", mountPath: "/etc/redis/conf" }] }],
                    volumes: [{ name: "config", configMap: { name: "spin-redis-go-config" } }],
                },
            },
        },
    });
const clients = [{ podSelector: { matchExpressions: [{ key: "cluster", operator: "In", values: ["spin-terraformer"] }] } }];
const policy = (spec: Record<string, unknown>, name = "spin-redis-go-clients"): Fixture =>
    kube("networking.k8s.io/v1", "NetworkPolicy", { name, namespace: NS }, { spec: { podSelector: { matchLabels: LABELS }, policyTypes: ["Ingress"], ingress: [{ from: clients, ports: [{ port: 6379 }] }], ...spec } });
const NP = `NetworkPolicy ${NS}/spin-redis-go-clients`;
const PEER_FIX = "Fix: select the client pods by label (podSelector, with a namespaceSelector naming their namespace if it is another)";
const UNGUARDED = `StatefulSet ${NS}/spin-redis-go: spec.template.metadata.labels: Redis accepts clients without a certificate (tls-auth-clients no (ConfigMap ${NS}/spin-redis-go-config data["redis.conf"])) and no NetworkPolicy limits who reaches it. Fix: add a NetworkPolicy selecting these pods whose ingress admits only its clients' pods (podSelector)`;

describe("policy redis-client-network-policy", () => {
    it("accepts the program's policy for its server-auth-only Redis, clients named across namespaces, and a Redis that requires certificates without any policy", async () => {
        const crossNamespace = [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "armory" } }, podSelector: { matchLabels: { app: "dinghy" } } }];
        assert.deepStrictEqual(await messages(POLICY, [config("no"), redis(), policy({}), policy({ ingress: [{ from: crossNamespace }] }, "dinghy")]), []);
        assert.deepStrictEqual(await messages(POLICY, [config("yes"), redis()]), []);
    });

    it("refuses a Redis without client authentication that no NetworkPolicy selects, or only for egress, or by labels it does not carry", async () => {
        assert.deepStrictEqual(await messages(POLICY, [config("no"), redis()]), [UNGUARDED]);
        assert.deepStrictEqual(await messages(POLICY, [config("optional"), redis(), policy({ policyTypes: ["Egress"] })]), [UNGUARDED.replace("tls-auth-clients no", "tls-auth-clients optional")]);
        assert.deepStrictEqual(await messages(POLICY, [config("no"), redis(), policy({ podSelector: { matchLabels: { app: "other" } } })]), [UNGUARDED]);
    });

    it("sees tls-auth-clients on redis-server's command line", async () => {
        assert.deepStrictEqual(await messages(POLICY, [config("yes"), redis(["/etc/redis/conf/redis.conf", "--tls-auth-clients", "no"])]), [
            `StatefulSet ${NS}/spin-redis-go: spec.template.metadata.labels: Redis accepts clients without a certificate (tls-auth-clients no (spec.template.spec.containers[0] arguments)) and no NetworkPolicy limits who reaches it. Fix: add a NetworkPolicy selecting these pods whose ingress admits only its clients' pods (podSelector)`,
        ]);
    });

    it("refuses an ingress rule without sources", async () => {
        assert.deepStrictEqual(await messages(POLICY, [config("no"), redis(), policy({ ingress: [{ ports: [{ port: 6379 }] }] })]), [
            `${NP}: spec.ingress[0].from: is not set, so it admits every source to a Redis without client authentication. Fix: list the client pods (podSelector) in from`,
        ]);
    });

    it("refuses peers that admit every pod, every namespace or an address block, also in a second policy (policies add up)", async () => {
        const open = [{ namespaceSelector: {} }, { podSelector: {} }, { ipBlock: { cidr: "0.0.0.0/0" } }, { namespaceSelector: { matchLabels: { team: "ci" } } }];
        assert.deepStrictEqual(await messages(POLICY, [config("no"), redis(), policy({}), policy({ ingress: [{ from: open }] }, "extra")]), [
            `NetworkPolicy ${NS}/extra: spec.ingress[0].from[0]: is {"namespaceSelector":{}}: it admits pods of every namespace (namespaceSelector {}), to a Redis without client authentication. ${PEER_FIX}`,
            `NetworkPolicy ${NS}/extra: spec.ingress[0].from[1]: is {"podSelector":{}}: it admits every pod of the namespace (podSelector {}), to a Redis without client authentication. ${PEER_FIX}`,
            `NetworkPolicy ${NS}/extra: spec.ingress[0].from[2]: is {"ipBlock":{"cidr":"0.0.0.0/0"}}: it admits addresses 0.0.0.0/0, which pod labels cannot narrow, to a Redis without client authentication. ${PEER_FIX}`,
            `NetworkPolicy ${NS}/extra: spec.ingress[0].from[3]: is {"namespaceSelector":{"matchLabels":{"team":"ci"}}}: it admits every pod of the namespaces it selects, to a Redis without client authentication. ${PEER_FIX}`,
        ]);
    });
});
