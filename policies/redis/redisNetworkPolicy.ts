import { StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, asRecord, at, containers, isKind, isRecord, namespaceOf, podTemplate, stringMap } from "../lib/kube";
import { kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";
import { runsRedis } from "../lib/workloads";
import { argumentDirectives, redisDirectives } from "./redisTlsOnly";

/** A label selector (matchLabels and matchExpressions) applied to labels; an empty selector matches everything. */
export function selects(selector: unknown, labels: Record<string, string>): boolean {
    const matchLabels = stringMap(at(selector, "matchLabels"));
    if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) return false;
    return asArray(at(selector, "matchExpressions")).every((e) => {
        const { key, operator } = asRecord(e);
        const values = asArray(asRecord(e).values).map(String);
        const has = typeof key === "string" && key in labels;
        if (operator === "In") return has && values.includes(labels[key as string]);
        if (operator === "NotIn") return !has || !values.includes(labels[key as string]);
        if (operator === "Exists") return has;
        if (operator === "DoesNotExist") return !has;
        return false;
    });
}

const isEmptySelector = (s: unknown): boolean => isRecord(s) && Object.keys(stringMap(s.matchLabels)).length === 0 && asArray(s.matchExpressions).length === 0;

/** Where a Redis workload lets clients in without a certificate: `tls-auth-clients` no/optional in its config file or arguments. */
function withoutClientAuth(o: KubeObject, configMaps: Map<string, KubeObject>): string | undefined {
    const t = podTemplate(o);
    if (!t || o.patch) return undefined;
    const volumes = new Map(asArray(t.spec.volumes).filter(isRecord).map((v) => [String(v.name), at(v, "configMap", "name")]));
    for (const c of containers(t).filter((x) => runsRedis(x.body))) {
        const argv = [...asArray(c.body.command), ...asArray(c.body.args)].map(String);
        const fromArgs = argumentDirectives(argv).get("tls-auth-clients");
        if (fromArgs !== undefined && fromArgs.toLowerCase() !== "yes") return `tls-auth-clients ${fromArgs} (${c.path} arguments)`;
        for (const m of asArray(c.body.volumeMounts)) {
            const cm = configMaps.get(`${namespaceOf(o)}/${String(volumes.get(String(asRecord(m).name)))}`);
            for (const [key, text] of Object.entries(asRecord(cm?.body.data))) {
                if (typeof text !== "string" || !key.endsWith(".conf")) continue;
                const auth = redisDirectives(text).get("tls-auth-clients");
                if (auth !== undefined && auth.toLowerCase() !== "yes") return `tls-auth-clients ${auth} (${cm!.ref} data["${key}"])`;
            }
        }
    }
    return undefined;
}

/** Why an ingress peer admits more than named pods of named namespaces; undefined when it does not. */
function openPeer(peer: unknown): string | undefined {
    const p = asRecord(peer);
    if (isRecord(p.ipBlock)) return `admits addresses ${String(at(p.ipBlock, "cidr"))}, which pod labels cannot narrow`;
    if (isRecord(p.namespaceSelector) && isEmptySelector(p.namespaceSelector)) return "admits pods of every namespace (namespaceSelector {})";
    if (isRecord(p.namespaceSelector) && !isRecord(p.podSelector)) return "admits every pod of the namespaces it selects";
    if (isRecord(p.podSelector) && isEmptySelector(p.podSelector)) return "admits every pod of the namespace (podSelector {})";
    if (!isRecord(p.podSelector) && !isRecord(p.namespaceSelector)) return "names no pods, so it admits every source";
    return undefined;
}

/** Ingress types of a NetworkPolicy: Kubernetes includes Ingress when policyTypes is unset. */
const limitsIngress = (np: KubeObject): boolean => {
    const types = at(np.body, "spec", "policyTypes");
    return types === undefined || asArray(types).includes("Ingress");
};

export const redisNetworkPolicy: StackValidationPolicy = {
    name: "redis-client-network-policy",
    description:
        "A Redis that does not require client certificates (tls-auth-clients no or optional, the serverAuthOnly exception) must be reachable only from named pods: a NetworkPolicy selecting it limits ingress, and no policy selecting it admits every pod, every namespace or an address block.",
    severity: "critical",
    validateStack: (args, report) => {
        const objects = kubeObjects(args.resources);
        const configMaps = new Map(objects.filter((o) => isKind(o, "", "ConfigMap")).map((o) => [`${namespaceOf(o)}/${o.name}`, o]));
        const policies = objects.filter((o) => isKind(o, "networking.k8s.io", "NetworkPolicy"));
        const judged = new Set<KubeObject>();
        for (const o of objects) {
            const why = withoutClientAuth(o, configMaps);
            if (!why) continue;
            const labels = podTemplate(o)!.labels;
            const selecting = policies.filter((np) => namespaceOf(np) === namespaceOf(o) && selects(at(np.body, "spec", "podSelector"), labels) && limitsIngress(np));
            if (selecting.length === 0) {
                report(violation(o, "spec.template.metadata.labels", `Redis accepts clients without a certificate (${why}) and no NetworkPolicy limits who reaches it`, "add a NetworkPolicy selecting these pods whose ingress admits only its clients' pods (podSelector)"), o.urn);
            }
            selecting.forEach((np) => judged.add(np));
        }
        for (const np of judged) {
            asArray(at(np.body, "spec", "ingress")).forEach((rule, i) => {
                const from = at(rule, "from");
                if (asArray(from).length === 0) {
                    report(violation(np, `spec.ingress[${i}].from`, `is ${from === undefined ? "not set" : "empty"}, so it admits every source to a Redis without client authentication`, "list the client pods (podSelector) in from"), np.urn);
                    return;
                }
                asArray(from).forEach((peer, j) => {
                    const open = openPeer(peer);
                    if (open) report(violation(np, `spec.ingress[${i}].from[${j}]`, `is ${JSON.stringify(peer)}: it ${open}, to a Redis without client authentication`, "select the client pods by label (podSelector, with a namespaceSelector naming their namespace if it is another)"), np.urn);
                });
            });
        }
    },
};

