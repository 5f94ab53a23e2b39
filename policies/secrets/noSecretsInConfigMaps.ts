import { ResourceValidationPolicy } from "@pulumi/policy";
import { asRecord, isKind } from "../lib/kube";
import { forKubeObjects, violation } from "../lib/rule";
import { isReference, isSensitiveName, secretFindings } from "../lib/secrets";

export const noSecretsInConfigMaps: ResourceValidationPolicy = {
    name: "no-secrets-in-configmaps",
    description: "ConfigMaps must not hold private keys or passwords: they are readable wherever the namespace is, and logged by tools that print config.",
    severity: "critical",
    validateResource: forKubeObjects(
        (o) => isKind(o, "", "ConfigMap"),
        (o) => {
            const out: string[] = [];
            const fix = "move it into a Kubernetes Secret and mount or reference that";
            for (const [key, value] of Object.entries(asRecord(o.body.data))) {
                if (typeof value !== "string") continue;
                if (isSensitiveName(key) && !isReference(value)) out.push(violation(o, `data["${key}"]`, "is a password", fix));
                for (const f of secretFindings(value)) out.push(violation(o, `data["${key}"]`, `holds ${f}`, fix));
            }
            for (const [key, value] of Object.entries(asRecord(o.body.binaryData))) {
                if (typeof value !== "string") continue;
                for (const f of secretFindings(Buffer.from(value, "base64").toString("latin1"))) out.push(violation(o, `binaryData["${key}"]`, `holds ${f}`, fix));
            }
            return out;
        },
    ),
};
