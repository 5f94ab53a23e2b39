import { ResourceValidationPolicy } from "@pulumi/policy";
import { forKubeObjects, violation } from "../lib/rule";
import { SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";

export const clientAuthRequired: ResourceValidationPolicy = {
    name: "spinnaker-client-auth-required",
    description: "Every Spinnaker service that serves TLS must ask its callers for a client certificate (client-auth want or need).",
    severity: "critical",
    validateResource: forKubeObjects(isSpinnakerService, (o) =>
        new SpinnakerConfig(o)
            .clientAuths()
            .filter((c) => c.value !== "want" && c.value !== "need")
            .map((c) =>
                violation(o, c.where, `${c.service} ${c.value ? `has client-auth '${c.value}'` : "does not set client-auth"}, so it accepts callers without a certificate`, "set client-auth: need (want only while rolling out)"),
            ),
    ),
};
