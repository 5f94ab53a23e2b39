import { ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject, asRecord, at, podTemplate, stringMap } from "../lib/kube";
import { forKubeObjects, violation } from "../lib/rule";
import { isOtterizeJksPassword } from "../lib/otterize";
import { containsPrivateKey, isReference, isSensitiveName } from "../lib/secrets";
import { isSpinnakerService } from "../lib/spinnaker";

const FIX = "keep it in a Kubernetes Secret; annotations are readable wherever the object is, and copied by tools";

/** Problems of one set of annotations, at a field path. */
function annotationProblems(o: KubeObject, annotations: Record<string, string>, base: string): string[] {
    const out: string[] = [];
    for (const [key, value] of Object.entries(annotations)) {
        const where = `${base}["${key}"]`;
        // The name after the prefix (`example.com/db-password` is a password).
        if (containsPrivateKey(value)) out.push(violation(o, where, "holds a PEM private key", FIX));
        // The Otterize operator takes the keystore password only as this literal annotation;
        // the otterize-credentials rule judges it (a password of its own, never the default).
        else if (isOtterizeJksPassword(key)) continue;
        else if (isSensitiveName(key.split("/").pop()!) && !isReference(value)) out.push(violation(o, where, "is a literal password", FIX));
    }
    return out;
}

function problems(o: KubeObject): string[] {
    const out = annotationProblems(o, o.annotations, "metadata.annotations");
    const t = podTemplate(o);
    if (t && t.path) out.push(...annotationProblems(o, t.annotations, `${t.path}.metadata.annotations`));
    if (isSpinnakerService(o)) {
        for (const [service, settings] of Object.entries(asRecord(at(o.body, "spec", "spinnakerConfig", "service-settings")))) {
            out.push(...annotationProblems(o, stringMap(at(settings, "kubernetes", "podAnnotations")), `spec.spinnakerConfig.service-settings.${service}.kubernetes.podAnnotations`));
        }
    }
    return out;
}

export const noSecretsInAnnotations: ResourceValidationPolicy = {
    name: "no-secrets-in-annotations",
    description: "Annotations (an object's, its pod template's, a SpinnakerService's podAnnotations) must not hold private keys or passwords.",
    severity: "critical",
    validateResource: forKubeObjects(() => true, problems),
};
