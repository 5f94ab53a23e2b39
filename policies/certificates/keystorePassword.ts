import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, isKind } from "../lib/kube";
import { CERT_MANAGER } from "../lib/certificates";
import { forKubeObjects, violation } from "../lib/rule";
import { isReference } from "../lib/secrets";

export const keystorePassword: ResourceValidationPolicy = {
    name: "cert-manager-keystore-password",
    description:
        "cert-manager keystores (PKCS#12, JKS) must take their password from a Secret (passwordSecretRef), not a literal password field: the Certificate is readable by anyone who can read its namespace, and the password protects the service's private key.",
    severity: "critical",
    validateResource: forKubeObjects(
        (o) => isKind(o, CERT_MANAGER, "Certificate"),
        (o) =>
            ["pkcs12", "jks"].flatMap((format) => {
                const password = at(o.body, "spec", "keystores", format, "password");
                // The value itself is never repeated: messages end up in CI logs.
                return typeof password === "string" && !isReference(password)
                    ? [violation(o, `spec.keystores.${format}.password`, "is a literal password", `remove it and set spec.keystores.${format}.passwordSecretRef to the Secret that holds it`)]
                    : [];
            }),
    ),
};
