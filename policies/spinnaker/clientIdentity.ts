import { ResourceValidationPolicy } from "@pulumi/policy";
import { forKubeObjects, violation } from "../lib/rule";
import { GO_SERVICES, JAVA_SERVICES, SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";

/** The Kubernetes Secret a Spinnaker secret reference reads (`encryptedFile:k8s!n:<secret>!k:<key>`), or undefined for anything else. */
export function k8sSecretOf(value: unknown): string | undefined {
    if (typeof value !== "string") return undefined;
    const m = /^encrypted(?:File)?:k8s!(.*)$/.exec(value.trim());
    if (!m) return undefined;
    return m[1].split("!").find((p) => p.startsWith("n:"))?.slice(2);
}

/** The settings that hold a service's own certificate and key: the server's, and the client's it must match. */
const JAVA = { server: ["server.ssl.key-store"], client: ["ok-http-client.key-store"] };
const GO = { server: ["server.ssl.certFile", "server.ssl.keyFile"], client: ["http.clientCertFile", "http.clientKeyFile"] };

export const clientIdentity: ResourceValidationPolicy = {
    name: "spinnaker-client-identity",
    description:
        "Every Spinnaker service calls the others with its own identity: the Secret its client key-store (Java ok-http-client) or client certificate and key (Go http.clientCertFile/clientKeyFile) read must be the one its server reads (spin-<service>-tls when the server's is not a Secret reference). A service presenting another's certificate is let through as that service by every peer, and by any AuthorizationPolicy naming it.",
    severity: "critical",
    validateResource: forKubeObjects(isSpinnakerService, (o) => {
        const spin = new SpinnakerConfig(o);
        const out: string[] = [];
        for (const service of spin.judged()) {
            const go = GO_SERVICES.includes(service);
            if (!go && !JAVA_SERVICES.includes(service)) continue;
            const props = go ? GO : JAVA;
            const read = (p: string) => (go ? spin.goProperty(service, p) : spin.javaProperty(service, p));
            const servers = props.server.map((p) => k8sSecretOf(read(p)?.value)).filter((s): s is string => s !== undefined);
            // The server's own Secret, when it reads one; else the program's name for the service's identity.
            const own = servers[0] ?? `spin-${service}-tls`;
            for (const p of [...props.server.slice(1), ...props.client]) {
                const s = read(p);
                const secret = k8sSecretOf(s?.value);
                if (secret === undefined || secret === own) continue;
                const whose = /^spin-([a-z0-9-]+)-tls$/.exec(secret);
                out.push(
                    violation(
                        o,
                        s!.where,
                        `reads Secret ${secret}${whose ? ` (spin-${whose[1]}'s identity)` : ""}, not ${own}, so ${service} ${props.client.includes(p) ? "calls its peers as someone else" : "serves a certificate and key of different identities"}`,
                        `point it at ${own}, the Secret ${service}'s own certificate is in`,
                    ),
                );
            }
        }
        return out;
    }),
};
