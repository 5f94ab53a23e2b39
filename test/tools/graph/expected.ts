// What a stack's trust graph must hold, worked out from sources other than the
// graph's own code: the stack files (read here with YAML), spinnaker.io's
// "System dependencies" diagram (held in spinnaker-architecture.mmd), the
// calls other documents name, docs/redis.md's table of Redis clients, and
// the edge fields docs/trust-graph.md promises. Shared by the graph's tests.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_ROOT } from "../../../engine/run";

const GOLDEN = path.join(PROJECT_ROOT, "test", "tools", "graph");
export type Raw = Record<string, unknown>;

const projectYaml = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, { default?: unknown }> };

/** A key's value: the command line's, else the stack file's, else Pulumi.yaml's default. */
export function configOf(stack: string, overrides: Record<string, string> = {}): (key: string) => unknown {
    const file = (YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Raw } | null)?.config ?? {};
    return (key) => overrides[key] ?? file[`spinnaker-mtls:${key}`] ?? projectYaml.config[key]?.default;
}
export const truthy = (v: unknown) => v === true || v === "true";

/** The edges of spinnaker.io's "System dependencies" diagram, parsed from the held copy of its text. */
export function architectureCalls(): [string, string][] {
    const text = fs.readFileSync(path.join(GOLDEN, "spinnaker-architecture.mmd"), "utf8");
    const edge = /^\s*(\w+)(?:\([^)]*\))?\s*-->\s*(\w+)(?:\([^)]*\))?;?\s*$/;
    return text.split("\n").flatMap((l) => {
        const m = edge.exec(l);
        return m ? [[m[1], m[2]] as [string, string]] : [];
    });
}

/**
 * Calls the diagram leaves out, each with where it is documented: orca's own
 * orca.yml (echo, igor endpoints), fiat's resource providers (clouddriver
 * accounts, front50 applications, igor build services), and Armory's Go
 * services (dinghy's README and docs/spinnaker.md; Pipelines-as-Code's
 * webhooks through echo; the Terraform Integration stage).
 */
export const DOCUMENTED_ELSEWHERE: [string, string][] = [
    ["orca", "echo"],
    ["orca", "igor"],
    ["fiat", "clouddriver"],
    ["fiat", "front50"],
    ["fiat", "igor"],
    ["dinghy", "front50"],
    ["dinghy", "orca"],
    ["dinghy", "echo"],
    ["echo", "dinghy"],
    ["orca", "terraformer"],
    ["terraformer", "clouddriver"],
];

/** docs/redis.md's table: which services are kork Redis clients, which use Armory's Go client, which none. */
export const KORK_REDIS = ["clouddriver", "echo", "fiat", "gate", "igor", "kayenta", "orca", "rosco"];
export const GO_REDIS = ["dinghy", "terraformer"];

/** The (caller, callee) pairs a stack's config calls for, from the sources above. */
export function expectedCalls(stack: string, overrides: Record<string, string> = {}): [string, string][] {
    const c = configOf(stack, overrides);
    const services = c("services") as string[];
    const on = (s: string) => services.includes(s);
    const calls = [...architectureCalls(), ...DOCUMENTED_ELSEWHERE].filter(([a, b]) => on(a) && on(b));
    const sql = (c("sqlServices") as string[]) ?? [];
    const external = c("redisMode") === "external";
    for (const s of services) {
        if (KORK_REDIS.includes(s) && !sql.includes(s)) calls.push([s, external ? "redis-external" : "redis"]);
        if (GO_REDIS.includes(s) && c("goServicesRedis") === "tls-only") calls.push([s, "redis-go"]);
    }
    if (truthy(c("istio")) && c("ingressHost")) for (const s of ["deck", "gate"].filter(on)) calls.push(["ingress-gateway", s]);
    const replicas = external ? 0 : Number(c("redisReplicas"));
    for (let i = 1; i <= replicas; i++) calls.push([`redis-${i}`, "redis"]);
    return calls;
}

/** The edge fields docs/trust-graph.md promises, read from its table under "### Edges". */
export function documentedEdgeFields(): string[] {
    const doc = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "trust-graph.md"), "utf8");
    const section = doc.slice(doc.indexOf("### Edges"), doc.indexOf("\n### ", doc.indexOf("### Edges") + 1));
    return [...section.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
}
