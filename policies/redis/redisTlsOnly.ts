import { ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, asRecord, containers, isKind, kubeObject, namespaceOf, podTemplate } from "../lib/kube";
import { violation } from "../lib/rule";
import { runsRedis } from "../lib/workloads";

interface Config {
    serverAuthOnly: string[];
}

/** redis.conf directives, the last of each winning as in Redis; values with their quotes removed. */
export function redisDirectives(text: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (!line || line.startsWith("#")) continue;
        const [directive, ...rest] = line.split(/\s+/);
        out.set(directive.toLowerCase(), rest.join(" ").replace(/"/g, ""));
    }
    return out;
}

const WEAK_PROTOCOLS = /(^|\s)TLSv1(\.1)?(\s|$)/i;

/** What a redis.conf (or the same directives given as redis-server arguments) gets wrong. */
function directiveProblems(d: Map<string, string>, where: string, exempt: boolean, isFile: boolean): [string, string, string][] {
    const out: [string, string, string][] = [];
    const port = d.get("port");
    if (isFile ? port !== "0" : port !== undefined && port !== "0") out.push([`${where} port`, `is ${port ?? "not set (6379)"}, a plaintext listener`, "set port 0 and serve on tls-port"]);
    const tlsPort = d.get("tls-port");
    if (isFile ? !tlsPort || tlsPort === "0" : tlsPort === "0") out.push([`${where} tls-port`, `is ${tlsPort ?? "not set"}, so Redis has no TLS listener`, "set tls-port 6379"]);
    const auth = d.get("tls-auth-clients");
    if (auth !== undefined && auth.toLowerCase() !== "yes" && !exempt) {
        out.push([`${where} tls-auth-clients`, `is '${auth}', so clients connect without a certificate`, "set tls-auth-clients yes (or list this Redis in the policy's serverAuthOnly for clients that cannot present one)"]);
    }
    const protocols = d.get("tls-protocols");
    if (protocols !== undefined && WEAK_PROTOCOLS.test(protocols)) out.push([`${where} tls-protocols`, `is '${protocols}', which allows TLS 1.0/1.1`, 'set tls-protocols "TLSv1.2 TLSv1.3"']);
    return out;
}

/** `--port 6379`-style options on a redis-server command line. */
export function argumentDirectives(argv: string[]): Map<string, string> {
    const words = argv.join(" ").split(/\s+/);
    const out = new Map<string, string>();
    words.forEach((w, i) => {
        const m = /^--([a-z-]+)(?:=(.*))?$/.exec(w);
        if (!m) return;
        let value = m[2];
        if (value === undefined) {
            const rest: string[] = [];
            for (let j = i + 1; j < words.length && !words[j].startsWith("--"); j++) rest.push(words[j]);
            value = rest.join(" ");
        }
        out.set(m[1], value.replace(/["']/g, ""));
    });
    return out;
}

function problems(o: KubeObject, exempt: boolean): string[] {
    const out: [string, string, string][] = [];
    if (isKind(o, "", "ConfigMap")) {
        for (const [key, text] of Object.entries(asRecord(o.body.data))) {
            if (typeof text !== "string" || !key.endsWith(".conf")) continue;
            const d = redisDirectives(text);
            if (d.has("tls-port") || d.has("port") || key === "redis.conf") out.push(...directiveProblems(d, `data["${key}"]`, exempt, true));
        }
    }
    const t = podTemplate(o);
    if (t) {
        for (const c of containers(t).filter((x) => runsRedis(x.body))) {
            const argv = [...asArray(c.body.command), ...asArray(c.body.args)].map(String);
            out.push(...directiveProblems(argumentDirectives(argv), `${c.path} arguments`, exempt, false));
        }
    }
    return out.map(([field, problem, fix]) => violation(o, field, problem, fix));
}

export const redisTlsOnly: ResourceValidationPolicy = {
    name: "redis-tls-only",
    description: "Redis must listen on TLS only (port 0), require client certificates (tls-auth-clients yes), and refuse TLS 1.0 and 1.1.",
    severity: "critical",
    configSchema: {
        properties: {
            serverAuthOnly: {
                type: "array",
                items: { type: "string" },
                default: [],
                description:
                    "ConfigMaps or workloads of a Redis that may skip client certificates, for clients that cannot present one (Armory's dinghy and terraformer): namespace/name, or a name in any namespace. Such a Redis must still be TLS-only.",
            },
        },
    },
    validateResource: (args, report) => {
        const o = kubeObject(args.type, args.props);
        if (!o) return;
        const listed = args.getConfig<Config>().serverAuthOnly;
        const exempt = listed.includes(`${namespaceOf(o)}/${o.name}`) || listed.includes(o.name);
        for (const m of problems(o, exempt)) report(m);
    },
};
