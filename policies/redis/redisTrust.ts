import { ResourceValidationPolicy } from "@pulumi/policy";
import * as path from "path";
import { KubeObject, asArray, asRecord, containers, isKind, podTemplate } from "../lib/kube";
import { forKubeObjects, violation } from "../lib/rule";
import { runsRedis } from "../lib/workloads";
import { argumentDirectives, redisDirectives } from "./redisTlsOnly";

/**
 * What a Redis trusts: tls-ca-cert-file must be the ca.crt beside its own
 * certificate (the same Secret's, which holds the stack's CA alone), and
 * tls-ca-cert-dir (every CA in a directory, such as the image's public ones) must not be set.
 */
function directiveProblems(d: Map<string, string>, where: string): [string, string, string][] {
    const out: [string, string, string][] = [];
    const dir = d.get("tls-ca-cert-dir");
    if (dir !== undefined && dir !== "") {
        out.push([`${where} tls-ca-cert-dir`, `is '${dir}', so Redis accepts a certificate from any CA in that directory`, "remove it; tls-ca-cert-file names the stack's CA"]);
    }
    const caFile = d.get("tls-ca-cert-file");
    const certFile = d.get("tls-cert-file");
    if (caFile && certFile && path.posix.dirname(caFile) !== path.posix.dirname(certFile)) {
        out.push([
            `${where} tls-ca-cert-file`,
            `is '${caFile}', outside ${path.posix.dirname(certFile)} where Redis's own certificate is, so it trusts CAs other than the stack's`,
            `use ${path.posix.join(path.posix.dirname(certFile), "ca.crt")}, the CA beside Redis's own certificate`,
        ]);
    }
    return out;
}

function problems(o: KubeObject): string[] {
    const out: [string, string, string][] = [];
    if (isKind(o, "", "ConfigMap")) {
        for (const [key, text] of Object.entries(asRecord(o.body.data))) {
            if (typeof text !== "string" || !key.endsWith(".conf")) continue;
            out.push(...directiveProblems(redisDirectives(text), `data["${key}"]`));
        }
    }
    const t = podTemplate(o);
    if (t) {
        for (const c of containers(t).filter((x) => runsRedis(x.body))) {
            const argv = [...asArray(c.body.command), ...asArray(c.body.args)].map(String);
            out.push(...directiveProblems(argumentDirectives(argv), `${c.path} arguments`));
        }
    }
    return out.map(([field, problem, fix]) => violation(o, field, problem, fix));
}

export const redisTrust: ResourceValidationPolicy = {
    name: "redis-trust-anchor",
    description:
        "Redis accepts client and replica certificates from the stack's CA and nothing wider: no tls-ca-cert-dir, and tls-ca-cert-file beside Redis's own certificate (the ca.crt of the same Secret).",
    severity: "critical",
    validateResource: forKubeObjects(() => true, problems),
};
