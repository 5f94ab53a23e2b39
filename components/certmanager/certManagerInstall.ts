import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface CertManagerInstallArgs {
    readonly namespace: string;
    /** The chart version, pinned (e.g. v1.16.2). */
    readonly version: string;
}

export const CERT_MANAGER_CHART_REPO = "https://charts.jetstack.io";

/** The chart's switch for installing the CRDs: crds.enabled from v1.15 on, installCRDs before. */
export function chartValues(version: string): Record<string, unknown> {
    const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
    return major > 1 || minor >= 15 ? { crds: { enabled: true } } : { installCRDs: true };
}

/** cert-manager itself, from its Helm chart, with its CRDs, for clusters that lack it. */
export class CertManagerInstall extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:certmanager:CertManagerInstall";

    /** Resources that need cert-manager's CRDs depend on this. */
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: CertManagerInstallArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CertManagerInstall.TYPE, name, {}, opts);
        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name: "cert-manager",
                chart: "cert-manager",
                version: args.version,
                repositoryOpts: { repo: CERT_MANAGER_CHART_REPO },
                namespace: args.namespace,
                createNamespace: true,
                values: chartValues(args.version),
            },
            { parent: this },
        );
        this.registerOutputs({ releaseStatus: this.release.status });
    }
}
