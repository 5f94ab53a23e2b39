import { StackValidationPolicy } from "@pulumi/policy";
import { isRecord } from "../lib/kube";
import { violation } from "../lib/rule";

/** The component whose outputs say what this deployment's stores trust and which CA signs (its caTrust). */
export const SPINNAKER_MTLS_TYPE = "spinnaker-mtls:index:SpinnakerMtls";

interface Trust {
    trusted: string[];
    signer: string;
}

const trustOf = (v: unknown): Trust | undefined =>
    isRecord(v) && Array.isArray(v.trusted) && v.trusted.length > 0 && v.trusted.every((t) => typeof t === "string") && typeof v.signer === "string" ? { trusted: v.trusted as string[], signer: v.signer } : undefined;

export const caRotationStep: StackValidationPolicy = {
    name: "ca-rotation-step",
    description:
        "A deployment may not take a CA out of its stores while the last deployment's certificates are signed by it, nor sign with a CA the last deployment's stores do not hold: pods restart one by one, so old and new certificates meet old and new stores, and such a step fails handshakes until the last pod has restarted. Dropping the old CA after issue-next is the step that matters most. Judged from the SpinnakerMtls component's caTrust and lastDeployedCaTrust (the last deployment's, as the program read it from the stack's outputs).",
    severity: "critical",
    validateStack: (args, report) => {
        for (const component of args.resources.filter((r) => r.type === SPINNAKER_MTLS_TYPE)) {
            const planned = trustOf(component.props.caTrust);
            const last = trustOf(component.props.lastDeployedCaTrust);
            if (!planned || !last) continue;
            const name = component.urn.split("::").pop();
            for (const ca of [...new Set([last.signer, planned.signer])]) {
                const lacking = [last.trusted.includes(ca) ? "" : "the last deployment's stores", planned.trusted.includes(ca) ? "" : "this deployment's stores"].filter(Boolean);
                if (lacking.length === 0) continue;
                const signed = [ca === last.signer ? "signed the last deployment's certificates" : "", ca === planned.signer ? "signs this deployment's" : ""].filter(Boolean).join(" and ");
                report(
                    violation(
                        `SpinnakerMtls ${name}`,
                        "caTrust",
                        `CA '${ca}' ${signed}, but ${lacking.join(" and ")} do not hold it, so handshakes fail while the pods restart`,
                        "take one caRotation phase per pulumi up: none, trust-both, issue-next, trust-next, then finish (docs/ca-rotation.md)",
                    ),
                    component.urn,
                );
            }
        }
    },
};
