// The state a stack of this project had before SpinnakerMtls became a
// component: the same resources, each at the stack root instead of inside the
// component. Made from a state of today's program by taking the component out
// of every URN (and references to the component itself over to the stack),
// so the tests can show that the aliases carry an existing stack over. The
// tests hold the result to the URNs the old program really had
// (test/components/spinnakerMtls/preComponentUrns.json).
export const COMPONENT_TYPE = "spinnaker-mtls:index:SpinnakerMtls";

interface StateResource {
    urn: string;
    type: string;
    parent?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    [key: string]: unknown;
}

/** Takes `$`-qualification by the component out of every URN in a value. */
function stripComponent(value: unknown): unknown {
    if (typeof value === "string") return value.startsWith("urn:pulumi:") ? value.replace(`::${COMPONENT_TYPE}$`, "::") : value;
    if (Array.isArray(value)) return value.map(stripComponent);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripComponent(v)]));
    return value;
}

/** A `pulumi stack export` (or the offline engine's export) as the pre-component program would have left it. */
export function asBeforeTheComponent<T extends { deployment: object }>(state: T): T {
    const resources = (state.deployment as { resources?: StateResource[] }).resources ?? [];
    const component = resources.find((r) => r.type === COMPONENT_TYPE);
    const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    if (!component || !stack) throw new Error("the state holds no SpinnakerMtls component (or no stack)");
    const notComponent = (urns: string[] | undefined) => urns?.filter((u) => u !== component.urn);
    return {
        ...state,
        deployment: {
            ...state.deployment,
            resources: resources
                .filter((r) => r.urn !== component.urn)
                .map((r) => {
                    const moved: StateResource = {
                        ...r,
                        ...(r.parent === component.urn ? { parent: stack.urn } : {}),
                        ...(r.dependencies ? { dependencies: notComponent(r.dependencies) } : {}),
                        ...(r.propertyDependencies
                            ? { propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, notComponent(v)!])) }
                            : {}),
                    };
                    return stripComponent(moved) as StateResource;
                }),
        },
    };
}
