import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, isKind } from "../lib/kube";
import { CERT_MANAGER } from "../lib/certificates";
import { forKubeObjects, violation } from "../lib/rule";

export const keystoreProfile: ResourceValidationPolicy = {
    name: "cert-manager-keystore-profile",
    description: "cert-manager PKCS#12 keystores must use profile Modern2023: the default legacy profile (RC2/3DES) does not load in OpenSSL 3 or Java 20+.",
    severity: "medium",
    validateResource: forKubeObjects(
        (o) => isKind(o, CERT_MANAGER, "Certificate"),
        (o) => {
            const pkcs12 = at(o.body, "spec", "keystores", "pkcs12");
            if (at(pkcs12, "create") !== true) return [];
            const profile = at(pkcs12, "profile");
            return profile === "Modern2023" ? [] : [violation(o, "spec.keystores.pkcs12.profile", `is ${profile === undefined ? "unset (LegacyRC2)" : `'${String(profile)}'`}`, "set profile: Modern2023")];
        },
    ),
};
