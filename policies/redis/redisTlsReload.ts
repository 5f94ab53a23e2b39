import { ResourceValidationPolicy } from "@pulumi/policy";
import { Container, KubeObject, PodTemplate, asArray, asRecord, containers, isRecord, podTemplate } from "../lib/kube";
import { forKubeObjects, violation } from "../lib/rule";
import { runsRedis } from "../lib/workloads";

const commandLine = (c: Container): string => [...asArray(c.body.command), ...asArray(c.body.args)].map(String).join(" ");

/** A container that has Redis reload its TLS files: it sends CONFIG SET for tls-cert-file. */
const reloadsTls = (c: Container): boolean => /\bCONFIG\s+SET\b.*\btls-cert-file\b/is.test(commandLine(c));

/** A Redis server, as opposed to a client such as redis-cli run from the same image. */
function servesRedis(c: Container): boolean {
    const line = commandLine(c);
    return runsRedis(c.body) && (/\bredis-server\b/.test(line) || !/\bredis-cli\b/.test(line));
}

/** Runs for the pod's whole life: a regular container, or an init container made a native sidecar (restartPolicy Always). */
const longLived = (c: Container): boolean => /\.containers\[/.test(c.path) || (/\.initContainers\[/.test(c.path) && c.body.restartPolicy === "Always");

/** The pod's volumes backed by a Secret, by volume name, with the Secret's name (or what sources it). */
function secretVolumes(t: PodTemplate): Map<string, string> {
    const out = new Map<string, string>();
    for (const v of asArray(t.spec.volumes).filter(isRecord)) {
        if (typeof v.name !== "string") continue;
        const secret = asRecord(v.secret);
        if (isRecord(v.secret)) out.set(v.name, `Secret ${typeof secret.secretName === "string" ? secret.secretName : "(unnamed)"}`);
        const projected = asArray(asRecord(v.projected).sources)
            .map((s) => asRecord(asRecord(s).secret).name)
            .filter((n): n is string => typeof n === "string");
        if (projected.length > 0) out.set(v.name, `Secret ${projected.join(", ")}`);
    }
    return out;
}

const mountedVolumes = (c: Container): string[] =>
    asArray(c.body.volumeMounts)
        .map((m) => asRecord(m).name)
        .filter((n): n is string => typeof n === "string");

function problems(o: KubeObject): string[] {
    // A server-side-apply patch names only the fields it sets: its pod may well have the reloader.
    const t = o.patch ? undefined : podTemplate(o);
    if (!t) return [];
    const all = containers(t);
    const reloaders = all.filter((c) => reloadsTls(c) && longLived(c));
    const secrets = secretVolumes(t);
    const out: string[] = [];
    for (const c of all.filter(servesRedis)) {
        asArray(c.body.volumeMounts).forEach((m, i) => {
            const volume = asRecord(m).name;
            if (typeof volume !== "string" || !secrets.has(volume)) return;
            if (reloaders.some((r) => mountedVolumes(r).includes(volume))) return;
            out.push(
                violation(
                    o,
                    `${c.path}.volumeMounts[${i}]`,
                    `Redis mounts ${secrets.get(volume)} (volume ${volume}), but no container of the pod reloads it: Redis reads its certificate only at start and on CONFIG SET, so when the Secret is renewed in place (cert-manager) Redis keeps serving the old certificate until it expires and every client is refused`,
                    `run a container beside Redis that mounts volume ${volume} and, when its files change, runs CONFIG SET tls-cert-file … tls-key-file … tls-ca-cert-file … (the tls-reload container of the program's RedisTls)`,
                ),
            );
        });
    }
    return out;
}

export const redisTlsReload: ResourceValidationPolicy = {
    name: "redis-tls-reload",
    description:
        "A Redis that mounts its certificate from a Secret must run beside it a container that has Redis reload the files (CONFIG SET tls-cert-file …) when the Secret is renewed, since Redis reads them only at start.",
    severity: "high",
    validateResource: forKubeObjects(() => true, problems),
};
