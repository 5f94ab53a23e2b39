// What the stack's last deployment trusted, read back from its own `caTrust`
// output through a StackReference to the stack itself: the Pulumi CLI answers
// it from the stack's last deployment, the offline engine from --state. A
// program passes it to SpinnakerMtls (args.lastDeployedCaTrust), which judges
// the caRotation step against it before registering anything.
import * as pulumi from "@pulumi/pulumi";
import { CaTrust, parseCaTrust } from "../pki/caRotation";

/** This stack's own name as a StackReference takes it (a self-managed backend's organization is "organization"). */
export const selfStackName = (): string => `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;

/**
 * The last deployment's trust, from the stack output `outputName` ("caTrust" as this
 * project exports it); undefined for a stack never deployed, or deployed before the output existed.
 */
export async function lastDeployedCaTrust(outputName = "caTrust", opts?: pulumi.CustomResourceOptions): Promise<CaTrust | undefined> {
    const self = new pulumi.StackReference(selfStackName(), undefined, opts);
    const details = await self.getOutputDetails(outputName);
    return parseCaTrust(details.value);
}
