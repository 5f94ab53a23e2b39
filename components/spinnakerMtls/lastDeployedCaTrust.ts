// What the stack's last deployment trusted, read back from its own `caTrust`
// output through the engine's builtin readStackOutputs function (what a
// StackReference reads, without registering one: a StackReference would be
// kept in the state with the outputs it read, and `pulumi refresh` would then
// find it changed after every up that changes an output). The Pulumi CLI
// answers from the stack's last deployment, the offline engine from --state.
// A program passes it to SpinnakerMtls (args.lastDeployedCaTrust), which
// judges the caRotation step against it before registering anything.
import * as pulumi from "@pulumi/pulumi";
import { CaTrust, parseCaTrust } from "../pki/caRotation";

/** The engine's builtin function a StackReference reads through (pulumi/pkg resource/deploy/builtins.go). */
export const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/** This stack's own name as the engine's stack lookup takes it (a self-managed backend's organization is "organization"). */
export const selfStackName = (): string => `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;

/**
 * The last deployment's trust, from the stack output `outputName` ("caTrust" as this
 * project exports it); undefined for a stack never deployed, or deployed before the output existed.
 */
export async function lastDeployedCaTrust(outputName = "caTrust"): Promise<CaTrust | undefined> {
    const result = (await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name: selfStackName() })) as { outputs?: Record<string, unknown> } | undefined;
    return parseCaTrust(result?.outputs?.[outputName]);
}
