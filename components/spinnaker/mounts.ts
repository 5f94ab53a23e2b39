// Where a Secret's keys appear as files inside a Spinnaker container, and how
// a string secret reaches a service deployed by Halyard.
//
// The Spinnaker Operator turns `encryptedFile:k8s!n:<secret>!k:<key>` into a
// volume mount of that Secret at /opt/<service>/secrets/<secret>/<key> (its
// secrets transformer). The Halyard files mount the same Secrets at the same
// paths, so a path written anywhere (the JVM argfile, for one) holds under
// both.
import type { SecretRef } from "./settingsTree";

export const secretMountDir = (service: string, secret: string): string => `/opt/${service}/secrets/${secret}`;
export const secretFilePath = (service: string, ref: Pick<SecretRef, "secret" | "key">): string => `${secretMountDir(service, ref.secret)}/${ref.key}`;

/**
 * Halyard cannot pass a Kubernetes Secret's value as an environment variable
 * (Armory documents this), so for Halyard a string secret becomes a JVM system
 * property set from the service's argfile, and the profile reads it as a
 * Spring placeholder.
 */
export const secretProperty = (ref: Pick<SecretRef, "secret" | "key">): string => `spinnaker-mtls.${ref.secret}.${ref.key}`;
