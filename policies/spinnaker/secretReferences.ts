import { ResourceValidationPolicy } from "@pulumi/policy";
import { at } from "../lib/kube";
import { forKubeObjects, violation } from "../lib/rule";
import { containsPrivateKey, eachString, isReference, isSensitiveName, secretFindings } from "../lib/secrets";
import { isOtterizeJksPassword } from "../lib/otterize";
import { isSpinnakerService } from "../lib/spinnaker";

export const secretReferences: ResourceValidationPolicy = {
    name: "spinnaker-secret-references",
    description:
        "Keystore, truststore and other passwords and keys in Spinnaker's config must be secret references (encrypted:k8s!n:<secret>!k:<key>, encryptedFile:..., or a ${...} placeholder), never literals: the SpinnakerService is readable by anyone who can read its namespace.",
    severity: "critical",
    validateResource: forKubeObjects(isSpinnakerService, (o) => {
        const out: string[] = [];
        eachString(at(o.body, "spec", "spinnakerConfig"), (path, key, value) => {
            // Environment variables are the no-secrets-in-env policy's.
            if (/^service-settings\.[^.]+\.env\./.test(path)) return;
            // The Otterize operator reads the keystore password only as a literal pod annotation
            // (no Secret reference exists for it): the otterize-credentials rule judges it.
            if (/^service-settings\.[^.]+\.kubernetes\.podAnnotations\./.test(path) && isOtterizeJksPassword(key)) return;
            const field = `spec.spinnakerConfig.${path}`;
            if (containsPrivateKey(value)) out.push(violation(o, field, "holds a PEM private key", "keep the key in a Kubernetes Secret and reference it with encryptedFile:k8s!n:<secret>!k:<key>"));
            else if (isSensitiveName(key) && !isReference(value)) out.push(violation(o, field, "is a literal password", "reference the Secret that holds it: encrypted:k8s!n:<secret>!k:<key>"));
            else for (const f of secretFindings(value).filter((x) => x.startsWith("a password in JVM option"))) out.push(violation(o, field, `holds ${f}`, "move the option into a Secret-backed argfile (JDK_JAVA_OPTIONS=@<file>)"));
        });
        return out;
    }),
};
