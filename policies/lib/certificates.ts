// Certificates as the rules see them, from either issuer: @pulumi/tls
// resources (by type token: the provider has no other marker) and
// cert-manager Certificates (by content).
import { Props } from "./kube";

export const TLS_LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
export const TLS_SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
export const TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
export const CERT_MANAGER = "cert-manager.io";

export const isTlsCertificate = (type: string): boolean => type === TLS_LOCALLY_SIGNED || type === TLS_SELF_SIGNED;
export const isTlsCa = (props: Props): boolean => props.isCaCertificate === true;

/** cert-manager's defaults when a Certificate leaves them out. */
export const CERT_MANAGER_DEFAULT_DURATION_HOURS = 2160;

/** A Go duration (`2160h`, `2160h0m0s`, `90m`) in hours; undefined when it is not one. */
export function goDurationHours(v: unknown): number | undefined {
    if (typeof v !== "string" || !/^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/.test(v)) return undefined;
    const unit: Record<string, number> = { h: 1, m: 1 / 60, s: 1 / 3600, ms: 1 / 3.6e6, us: 1 / 3.6e9, "µs": 1 / 3.6e9, ns: 1 / 3.6e12 };
    let hours = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g)) hours += Number(m[1]) * unit[m[2]];
    return hours;
}
