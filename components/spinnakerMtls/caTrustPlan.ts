// The trust a config plans, by CA identity (components/pki/caRotation.ts):
// what the stack records as its caTrust output, and what the next
// deployment's caRotation step is judged against.
import type { StackConfig } from "../config";
import { CaRole, CaTrust, caIdentity, caTrustOf, phaseRoles } from "../pki/caRotation";

/** The identity of the current or the next CA, from config alone. */
export function caIdentityOf(config: StackConfig, role: CaRole): string {
    const imported = role === "current" ? config.importedCa : config.nextImportedCa;
    return caIdentity({ imported, generation: config.caGeneration + (role === "next" ? 1 : 0), key: config.key, organization: config.organization });
}

/** What this config's stores trust and which CA signs, by identity. */
export function plannedCaTrust(config: StackConfig): CaTrust {
    return caTrustOf(config.caRotation, Object.fromEntries(phaseRoles(config.caRotation).map((r) => [r, caIdentityOf(config, r)])));
}
