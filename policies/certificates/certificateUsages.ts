import { StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, at, isKind, namespaceOf } from "../lib/kube";
import { CERT_MANAGER, isTlsCa, isTlsCertificate } from "../lib/certificates";
import { ISTIO_NETWORKING, kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";

/** Secrets a Gateway serves to the public (namespace/name): their certificates authenticate a server only. */
function gatewayCredentials(objects: KubeObject[]): Set<string> {
    const out = new Set<string>();
    for (const o of objects.filter((x) => isKind(x, ISTIO_NETWORKING, "Gateway"))) {
        for (const s of asArray(at(o.body, "spec", "servers"))) {
            const name = at(s, "tls", "credentialName");
            if (typeof name === "string") out.add(`${namespaceOf(o)}/${name}`);
        }
    }
    return out;
}

export const certificateUsages: StackValidationPolicy = {
    name: "certificate-usages",
    description:
        "Service certificates must allow both server and client authentication (@pulumi/tls allowedUses server_auth and client_auth; cert-manager usages 'server auth' and 'client auth'): each service is a TLS server and a client with the same identity. A Gateway's public certificate needs server auth only.",
    severity: "high",
    validateStack: (args, report) => {
        const objects = kubeObjects(args.resources);
        const gateway = gatewayCredentials(objects);
        for (const r of args.resources) {
            if (isTlsCertificate(r.type) && !isTlsCa(r.props)) {
                const uses = asArray(r.props.allowedUses);
                for (const use of ["server_auth", "client_auth"]) {
                    if (!uses.includes(use)) report(violation(`${r.type.split(":").pop()} ${r.name}`, "allowedUses", `lacks '${use}'`, `add '${use}' to allowedUses`), r.urn);
                }
            }
        }
        for (const o of objects.filter((x) => isKind(x, CERT_MANAGER, "Certificate") && !(x.patch && at(x.body, "spec", "usages") === undefined))) {
            if (at(o.body, "spec", "isCA") === true) continue;
            const usages = asArray(at(o.body, "spec", "usages"));
            const secret = at(o.body, "spec", "secretName");
            const needed = gateway.has(`${namespaceOf(o)}/${String(secret)}`) ? ["server auth"] : ["server auth", "client auth"];
            for (const u of needed) {
                if (!usages.includes(u)) report(violation(o, "spec.usages", `lacks '${u}'${usages.length === 0 ? " (unset: cert-manager then requests no extended key usage)" : ""}`, `list '${u}' in spec.usages`), o.urn);
            }
        }
    },
};
