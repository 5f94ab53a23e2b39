import { ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, asRecord, at, isKind } from "../lib/kube";
import { ISTIO_NETWORKING } from "../lib/mesh";
import { forKubeObjects, shown, violation } from "../lib/rule";

const TERMINATING = ["SIMPLE", "MUTUAL"];
const MODERN = ["TLSV1_2", "TLSV1_3"];
/** Cleartext HTTP protocols: a server speaking one must only redirect. */
const CLEARTEXT = ["HTTP", "HTTP2", "GRPC"];

/** A Gateway host is `[namespace/]dnsName`; `*` alone admits every host. */
export const isCatchAll = (host: unknown): boolean => typeof host === "string" && host.split("/").pop() === "*";

function problems(o: KubeObject): string[] {
    const out: string[] = [];
    asArray(at(o.body, "spec", "servers")).forEach((s, i) => {
        const server = asRecord(s);
        const path = `spec.servers[${i}]`;
        const protocol = String(at(server, "port", "protocol") ?? "").toUpperCase();
        const tls = asRecord(server.tls);
        if (protocol === "HTTPS") {
            if (!TERMINATING.includes(String(tls.mode))) out.push(violation(o, `${path}.tls.mode`, `is '${String(tls.mode ?? "unset")}'`, "terminate TLS at the gateway with mode SIMPLE (or MUTUAL for client certificates)"));
            if (!MODERN.includes(String(tls.minProtocolVersion))) out.push(violation(o, `${path}.tls.minProtocolVersion`, `is '${String(tls.minProtocolVersion ?? "unset")}'`, "set minProtocolVersion: TLSV1_2 (or TLSV1_3)"));
            if (tls.maxProtocolVersion !== undefined && !MODERN.includes(String(tls.maxProtocolVersion))) {
                out.push(violation(o, `${path}.tls.maxProtocolVersion`, `is '${String(tls.maxProtocolVersion)}', below TLS 1.2`, "remove maxProtocolVersion or set TLSV1_3"));
            }
        } else if (CLEARTEXT.includes(protocol) && tls.httpsRedirect !== true) {
            out.push(violation(o, `${path}.tls.httpsRedirect`, `is ${shown(tls.httpsRedirect)}: the ${protocol} server on port ${String(at(server, "port", "number"))} serves plaintext instead of redirecting`, "set tls.httpsRedirect: true"));
        }
        asArray(server.hosts).forEach((h, j) => {
            if (isCatchAll(h)) out.push(violation(o, `${path}.hosts[${j}]`, `is '${String(h)}', which accepts any host name`, "name the Spinnaker host (e.g. spinnaker.example.com)"));
        });
    });
    return out;
}

export const gatewayTls: ResourceValidationPolicy = {
    name: "gateway-tls",
    description: "Istio Gateways must terminate TLS 1.2+ with SIMPLE or MUTUAL on HTTPS servers, redirect HTTP to HTTPS, and name their hosts.",
    severity: "high",
    validateResource: forKubeObjects((o) => isKind(o, ISTIO_NETWORKING, "Gateway"), problems),
};
