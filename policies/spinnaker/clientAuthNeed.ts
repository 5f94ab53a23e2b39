import { ResourceValidationPolicy } from "@pulumi/policy";
import { forKubeObjects, violation } from "../lib/rule";
import { SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";

export const clientAuthNeed: ResourceValidationPolicy = {
    name: "spinnaker-client-auth-need",
    description:
        "Every Spinnaker service that serves TLS must require a client certificate (client-auth need). 'want' belongs to a want-to-need rollout in progress: only there is this policy advisory.",
    severity: "high",
    validateResource: forKubeObjects(isSpinnakerService, (o) =>
        new SpinnakerConfig(o)
            .clientAuths()
            .filter((c) => c.value === "want")
            .map((c) => violation(o, c.where, `${c.service} has client-auth 'want': a caller without a certificate still gets in`, "finish the rollout: set clientAuth: need in the stack config")),
    ),
};
