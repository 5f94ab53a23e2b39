import { SERVICE_NAMES, inClusterDnsNames } from "../../lib/catalog/serviceCatalog";
import { HA_SPLITS } from "../config/spinnakerConfig";

/** What the stack may issue certificates for, as far as it reaches beyond its namespace's Services. */
export interface PermittedNamesInput {
    readonly namespace: string;
    /** Names a certificate carries beyond the in-cluster ones: every extraSans entry, the browser URLs' hosts, a CA-issued ingress host. */
    readonly externalNames: readonly string[];
}

/** Every Service a certificate from the stack's CA can name: each service, its HA splits, Gate's API port, and both Redis. */
const IN_CLUSTER_IDENTITIES: readonly string[] = [...SERVICE_NAMES, ...Object.values(HA_SPLITS).flat(), "gate-api", "redis", "redis-go"];

/**
 * The generated CA's permitted DNS subtrees, sorted and unique:
 * - the namespace's `<ns>.svc` and `<ns>.svc.cluster.local`, under which sit
 *   every Service's longer names and every Redis pod's name;
 * - each Service the stack can run, by its short name `spin-<name>` and
 *   `spin-<name>.<ns>` (a subtree of one label would permit every host in it,
 *   so no wider form);
 * - the external names the stack issues.
 *
 * Whether a service runs, how many Redis replicas, which HA splits: none of
 * them changes the set, so none re-signs the CA. An external name does
 * (every store then updates: one rolling restart, no failed handshake, as
 * leaves chain to either certificate).
 */
export function permittedDnsNames(input: PermittedNamesInput): string[] {
    const ns = input.namespace;
    const inNamespace = [`${ns}.svc`, `${ns}.svc.cluster.local`, ...IN_CLUSTER_IDENTITIES.flatMap((name) => inClusterDnsNames(name, ns).slice(0, 2))].map((n) => n.toLowerCase());
    // A subtree permits itself and every name under it (RFC 5280 4.2.1.10): a name already inside one adds nothing.
    const inside = (name: string) => inNamespace.some((t) => name === t || name.endsWith(`.${t}`));
    const external = input.externalNames.map((n) => n.toLowerCase()).filter((n) => !inside(n));
    return [...new Set([...inNamespace, ...external])].sort();
}
