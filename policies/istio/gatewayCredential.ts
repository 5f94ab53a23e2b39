import { StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, asRecord, at, isKind, namespaceOf } from "../lib/kube";
import { CERT_MANAGER } from "../lib/certificates";
import { ISTIO_NETWORKING, kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";

interface Config {
    externalCredentials: string[];
}

export const gatewayCredential: StackValidationPolicy = {
    name: "gateway-credential",
    description:
        "An Istio Gateway's TLS credential (credentialName) must be a Secret a cert-manager Certificate of this stack issues in the Gateway's namespace (or one listed in externalCredentials), and that certificate must authenticate a server only: a certificate with client auth is a service identity the mesh's peers trust, which the edge must not hold.",
    severity: "high",
    configSchema: {
        properties: {
            externalCredentials: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Gateway credentials managed outside this stack (namespace/name), e.g. a certificate from a corporate PKI.",
            },
        },
    },
    validateStack: (args, report) => {
        const { externalCredentials } = args.getConfig<Config>();
        const objects = kubeObjects(args.resources);
        const issued = new Map<string, KubeObject[]>();
        for (const c of objects.filter((o) => isKind(o, CERT_MANAGER, "Certificate"))) {
            const key = `${namespaceOf(c)}/${String(at(c.body, "spec", "secretName"))}`;
            issued.set(key, [...(issued.get(key) ?? []), c]);
        }
        for (const o of objects.filter((x) => isKind(x, ISTIO_NETWORKING, "Gateway"))) {
            asArray(at(o.body, "spec", "servers")).forEach((s, i) => {
                const name = at(asRecord(s).tls, "credentialName");
                if (typeof name !== "string") return;
                const where = `spec.servers[${i}].tls.credentialName`;
                const key = name.includes("/") ? name : `${namespaceOf(o)}/${name}`;
                if (externalCredentials.includes(key)) return;
                const certs = issued.get(key);
                if (!certs) {
                    report(violation(o, where, `is '${name}', a Secret no Certificate of this stack issues in ${namespaceOf(o)}, so nothing renews it or vouches for what it holds`, `issue it with a cert-manager Certificate in ${namespaceOf(o)}, or list '${key}' in the policy's externalCredentials`), o.urn);
                    return;
                }
                for (const c of certs.filter((x) => asArray(at(x.body, "spec", "usages")).includes("client auth"))) {
                    report(violation(o, where, `is '${name}', issued by ${c.ref} with usage 'client auth': a service identity the mesh's peers trust as a client, now held by the edge`, "give the Gateway its own server-auth-only certificate (usages: server auth)"), o.urn);
                }
            });
        }
    },
};
