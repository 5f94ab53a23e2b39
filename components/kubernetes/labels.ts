// The labels every object this program creates carries, so operators (and
// the policy pack) can tell them apart from what the Operator or Halyard made.
export const PART_OF = "spinnaker-mtls";

export function managedLabels(component: string): Record<string, string> {
    return {
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/component": component,
    };
}
