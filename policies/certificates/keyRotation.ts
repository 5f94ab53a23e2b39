import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, isKind } from "../lib/kube";
import { CERT_MANAGER } from "../lib/certificates";
import { forKubeObjects, shown, violation } from "../lib/rule";

export const keyRotation: ResourceValidationPolicy = {
    name: "certificate-key-rotation",
    description: "cert-manager Certificates must not keep their private key across renewals (privateKey.rotationPolicy Never): a leaked key would stay valid through every renewal.",
    severity: "high",
    validateResource: forKubeObjects(
        (o) => isKind(o, CERT_MANAGER, "Certificate"),
        (o) => {
            const policy = at(o.body, "spec", "privateKey", "rotationPolicy");
            return policy === "Never" ? [violation(o, "spec.privateKey.rotationPolicy", `is ${shown(policy)}, so a renewed certificate keeps the old key`, "set rotationPolicy: Always")] : [];
        },
    ),
};
