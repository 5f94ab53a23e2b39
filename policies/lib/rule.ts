// Small pieces every rule uses: matching Kubernetes objects by content, and
// one shape for messages (where, what is wrong, how to fix it).
import { ReportViolation, ResourceValidation } from "@pulumi/policy";
import { KubeObject, kubeObject } from "./kube";

/** `<object>: <field>: <problem>. Fix: <fix>` */
export const violation = (o: KubeObject | string, field: string, problem: string, fix: string): string =>
    `${typeof o === "string" ? o : o.ref}: ${field ? `${field}: ` : ""}${problem}. Fix: ${fix}`;

/** A field's value as messages show it: quoted, or "not set" when absent. */
export const shown = (v: unknown): string => (v === undefined || v === null ? "not set" : `'${typeof v === "string" ? v : JSON.stringify(v)}'`);

/** A resource validation for the Kubernetes objects `matches` accepts, reporting every problem `check` finds. */
export function forKubeObjects(matches: (o: KubeObject) => boolean, check: (o: KubeObject) => string[]): ResourceValidation {
    return (args, report: ReportViolation) => {
        const o = kubeObject(args.type, args.props);
        if (o && matches(o)) for (const m of check(o)) report(m);
    };
}
