// Where the Kubernetes objects go: a cluster (the ambient kubeconfig, or one
// of its contexts) or, in render mode, YAML files in a directory, for users
// with the Pulumi CLI and no cluster.
import { ConfigReader, fq } from "./reader";

export interface KubernetesConfig {
    /** Render mode: the provider writes manifests here instead of talking to a cluster. */
    readonly renderYamlToDirectory?: string;
    /** A kubeconfig context to deploy to; unset, the kubeconfig's current context. */
    readonly context?: string;
}

export function readKubernetesConfig(r: ConfigReader): KubernetesConfig | undefined {
    const before = r.problems.length;
    const renderYamlToDirectory = r.optional("renderYamlToDirectory");
    const context = r.optional("kubeContext");
    if (renderYamlToDirectory !== undefined && (renderYamlToDirectory.trim() === "" || renderYamlToDirectory.includes("\0"))) {
        r.bad("renderYamlToDirectory", renderYamlToDirectory, "allowed: a directory path");
    }
    if (renderYamlToDirectory !== undefined && context !== undefined) {
        r.problem(`${fq("renderYamlToDirectory")} and ${fq("kubeContext")} are both set; render mode talks to no cluster, so unset one of them`);
    }
    if (r.problems.length > before) return undefined;
    return { ...(renderYamlToDirectory !== undefined ? { renderYamlToDirectory } : {}), ...(context !== undefined ? { context } : {}) };
}
