import { StackValidationPolicy } from "@pulumi/policy";
import { violation } from "../lib/rule";
import { containsPrivateKey, eachString, isReference, isSensitiveName } from "../lib/secrets";

export const STACK_TYPE = "pulumi:pulumi:Stack";

export const noSecretsInStackOutputs: StackValidationPolicy = {
    name: "no-secrets-in-stack-outputs",
    description:
        "Stack outputs must not carry private keys or passwords. The analyzer protocol hands a policy secrets already decrypted, so it cannot tell a secret output from a plain one: both are refused, and key material stays in Kubernetes Secrets.",
    severity: "critical",
    validateStack: (args, report) => {
        for (const r of args.resources.filter((x) => x.type === STACK_TYPE)) {
            eachString(r.props, (path, key, value) => {
                const where = `stack output ${path}`;
                if (containsPrivateKey(value)) report(violation(where, "", "holds a PEM private key", "do not export it; read it from the Kubernetes Secret that holds it"), r.urn);
                else if (isSensitiveName(key) && !isReference(value)) report(violation(where, "", "holds a password", "do not export it; read it from the Kubernetes Secret that holds it"), r.urn);
            });
        }
    },
};
