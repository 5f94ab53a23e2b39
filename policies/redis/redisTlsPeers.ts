import { ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, asRecord, containers, isKind, podTemplate } from "../lib/kube";
import { forKubeObjects, violation } from "../lib/rule";
import { runsRedis } from "../lib/workloads";
import { argumentDirectives, redisDirectives } from "./redisTlsOnly";

const yes = (v: string | undefined): boolean => v?.toLowerCase() === "yes";

/** OpenSSL cipher-list words that admit no encryption, no authentication, or broken ciphers; `!x` and `-x` exclude and are fine. */
const WEAK_CIPHER_WORDS = new Set(["ALL", "COMPLEMENTOFALL", "COMPLEMENTOFDEFAULT", "NULL", "ENULL", "ANULL", "EXPORT", "EXP", "LOW", "MEDIUM", "RC4", "DES", "3DES", "MD5", "ADH", "AECDH", "SSLV3"]);
const WEAK_CIPHER_PART = /(^|-)(NULL|RC4|DES|CBC3|EXP|EXPORT|MD5|ADH|AECDH|ANON)(-|$)/i;

function weakCiphers(list: string): string[] {
    return list
        .split(/[:\s,]+/)
        .filter((w) => w !== "" && !w.startsWith("!") && !w.startsWith("-"))
        .map((w) => w.replace(/^\+/, ""))
        .filter((w) => WEAK_CIPHER_WORDS.has(w.toUpperCase()) || WEAK_CIPHER_PART.test(w));
}

/**
 * What a Redis's directives get wrong about the links between Redis servers
 * (replication, the cluster bus) and the ciphers every link may use.
 */
function directiveProblems(d: Map<string, string>, where: string, isFile: boolean): [string, string, string][] {
    const out: [string, string, string][] = [];
    const replication = d.get("tls-replication");
    const replicaOf = d.get("replicaof") ?? d.get("slaveof");
    if (replication !== undefined && !yes(replication)) {
        out.push([`${where} tls-replication`, `is '${replication}', so replicas and their primary talk in plaintext`, "set tls-replication yes"]);
    } else if (isFile && replicaOf !== undefined && replication === undefined) {
        // Only a whole file says that tls-replication is unset: arguments add to a file that may set it.
        out.push([`${where} tls-replication`, `is not set (no) while ${d.has("replicaof") ? "replicaof" : "slaveof"} is '${replicaOf}', so this replica reaches its primary in plaintext`, "set tls-replication yes"]);
    }
    if (yes(d.get("cluster-enabled")) && (isFile ? !yes(d.get("tls-cluster")) : d.has("tls-cluster") && !yes(d.get("tls-cluster")))) {
        out.push([`${where} tls-cluster`, `is ${d.has("tls-cluster") ? `'${d.get("tls-cluster")!}'` : "not set (no)"} while cluster-enabled is yes, so the cluster bus runs in plaintext`, "set tls-cluster yes"]);
    }
    const ciphers = d.get("tls-ciphers");
    const weak = ciphers === undefined ? [] : weakCiphers(ciphers);
    if (weak.length) out.push([`${where} tls-ciphers`, `is '${ciphers!}', which admits ${weak.join(", ")}`, "list only ECDHE AEAD suites (the program's default), or exclude the weak ones with !"]);
    return out;
}

function problems(o: KubeObject): string[] {
    const out: [string, string, string][] = [];
    if (isKind(o, "", "ConfigMap")) {
        for (const [key, text] of Object.entries(asRecord(o.body.data))) {
            if (typeof text !== "string" || !key.endsWith(".conf")) continue;
            const d = redisDirectives(text);
            if (d.has("tls-port") || d.has("port") || key === "redis.conf") out.push(...directiveProblems(d, `data["${key}"]`, true));
        }
    }
    const t = podTemplate(o);
    if (t) {
        for (const c of containers(t).filter((x) => runsRedis(x.body))) {
            const argv = [...asArray(c.body.command), ...asArray(c.body.args)].map(String);
            out.push(...directiveProblems(argumentDirectives(argv), `${c.path} arguments`, false));
        }
    }
    return out.map(([field, problem, fix]) => violation(o, field, problem, fix));
}

export const redisTlsPeers: ResourceValidationPolicy = {
    name: "redis-tls-peers",
    description:
        "Redis must keep the links between servers on TLS (tls-replication yes, and tls-cluster yes when cluster-enabled) and must not admit null, anonymous, export or broken ciphers (tls-ciphers).",
    severity: "critical",
    validateResource: forKubeObjects(() => true, problems),
};
