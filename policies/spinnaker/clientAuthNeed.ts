import { ResourceValidationPolicy } from "@pulumi/policy";
import { forKubeObjects, violation } from "../lib/rule";
import { SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";

export const clientAuthNeed: ResourceValidationPolicy = {
    name: "spinnaker-client-auth-need",
    description:
        "Every Spinnaker service that serves TLS must require a client certificate (client-auth need). 'want' belongs to a want-to-need rollout in progress: only there is this policy advisory. Gate's browser-facing port may ask without requiring only beside its API port (default.apiPort), which requires one.",
    severity: "high",
    validateResource: forKubeObjects(isSpinnakerService, (o) => {
        const config = new SpinnakerConfig(o);
        return config
            .clientAuths()
            // Gate's browser-facing port may only ask (browsers running Deck carry no
            // certificate) when its API port requires one: Gate copies server.ssl onto
            // that connector with client auth NEED.
            .filter((c) => c.value === "want" && !(c.service === "gate" && config.gateApiPort() !== undefined))
            .map((c) => violation(o, c.where, `${c.service} has client-auth 'want': a caller without a certificate still gets in`, "finish the rollout: set clientAuth: need in the stack config"));
    }),
};
