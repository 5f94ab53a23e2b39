// The one Kubernetes provider every object of this program goes through, so
// that render mode covers all of them and no default provider (which would
// read the ambient kubeconfig) is ever created.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesConfig } from "../config/kubernetesConfig";

export function providerArgs(c: KubernetesConfig): k8s.ProviderArgs {
    // The patches (SpinnakerService, Namespace) are server-side apply; say so rather than rely on the default.
    // Render mode: kubeconfig "" on purpose. Left unset, @pulumi/kubernetes fills it from the
    // KUBECONFIG environment variable, which the provider refuses beside renderYamlToDirectory;
    // the provider counts "" as unset.
    if (c.renderYamlToDirectory !== undefined) return { renderYamlToDirectory: c.renderYamlToDirectory, enableServerSideApply: true, kubeconfig: "" };
    // Secrets updated in place: without enableSecretMutable the provider replaces a Secret whose
    // data changes, and a named one is deleted before its successor exists, so every renewal
    // would leave the pods a moment without their TLS material and replace what depends on it
    // (the Redis StatefulSet). The pods still roll, through their checksum annotations.
    return { enableServerSideApply: true, enableSecretMutable: true, ...(c.context !== undefined ? { context: c.context } : {}) };
}

export const kubernetesProvider = (name: string, c: KubernetesConfig, opts?: pulumi.CustomResourceOptions): k8s.Provider => new k8s.Provider(name, providerArgs(c), opts);
