import { ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, asRecord, at, containers, podTemplate } from "../lib/kube";
import { forKubeObjects, violation } from "../lib/rule";
import { isReference, isSensitiveName, secretFindings } from "../lib/secrets";
import { isSpinnakerService } from "../lib/spinnaker";

/** What is wrong with one environment variable's literal value, if anything. */
function envProblems(name: string, value: string): string[] {
    const found = secretFindings(value).filter((f) => !f.startsWith("a password in line"));
    if (isSensitiveName(name) && !isReference(value)) found.unshift("a literal password");
    return found;
}

const FIX = "take it from a Secret (env[].valueFrom.secretKeyRef, or an argfile in a Secret for JVM options)";

function problems(o: KubeObject): string[] {
    const out: string[] = [];
    const t = podTemplate(o);
    if (t) {
        for (const c of containers(t)) {
            asArray(c.body.env).forEach((e, i) => {
                const { name, value } = asRecord(e);
                if (typeof name !== "string" || typeof value !== "string") return;
                for (const f of envProblems(name, value)) out.push(violation(o, `${c.path}.env[${i}] (${name})`, `holds ${f}`, FIX));
            });
        }
    }
    if (isSpinnakerService(o)) {
        for (const [service, settings] of Object.entries(asRecord(at(o.body, "spec", "spinnakerConfig", "service-settings")))) {
            for (const [name, value] of Object.entries(asRecord(at(settings, "env")))) {
                if (typeof value !== "string") continue;
                for (const f of envProblems(name, value)) out.push(violation(o, `spec.spinnakerConfig.service-settings.${service}.env.${name}`, `holds ${f}`, FIX));
            }
        }
    }
    return out;
}

export const noSecretsInEnv: ResourceValidationPolicy = {
    name: "no-secrets-in-env",
    description: "Pod environment literals must not hold private keys or passwords: they show in the pod spec, in `kubectl describe` and in process listings.",
    severity: "critical",
    validateResource: forKubeObjects((o) => podTemplate(o) !== undefined || isSpinnakerService(o), problems),
};
