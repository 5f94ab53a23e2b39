import { ResourceValidationPolicy } from "@pulumi/policy";
import { forKubeObjects, violation } from "../lib/rule";
import { GO_SERVICES, JAVA_SERVICES, SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";

/** What a Java service's HTTP client (ok-http-client) needs to present its certificate and trust only the mesh CA. */
const JAVA_CLIENT = ["ok-http-client.key-store", "ok-http-client.key-store-password", "ok-http-client.trust-store", "ok-http-client.trust-store-password"];
/** The same for the Go services' HTTP client. */
const GO_CLIENT = ["http.clientCertFile", "http.clientKeyFile", "http.cacertFile"];

const consequence = (property: string): string =>
    /trust-store|cacertFile/.test(property) ? "trusts the default public CAs instead of the Spinnaker CA" : "calls the other services without its certificate";

export const clientTls: ResourceValidationPolicy = {
    name: "spinnaker-client-tls",
    description:
        "Every Spinnaker service that serves TLS must also call the others with its own certificate and trust only the Spinnaker CA: ok-http-client key-store and trust-store (with passwords) for Java services, http.clientCertFile, clientKeyFile and cacertFile for Go services.",
    severity: "critical",
    validateResource: forKubeObjects(isSpinnakerService, (o) => {
        const spin = new SpinnakerConfig(o);
        const out: string[] = [];
        for (const service of spin.judged()) {
            const go = GO_SERVICES.includes(service);
            if (!go && !JAVA_SERVICES.includes(service)) continue;
            // Judged whether or not the service itself serves TLS: Gate behind the edge exception still calls every other service.
            for (const property of go ? GO_CLIENT : JAVA_CLIENT) {
                const s = go ? spin.goProperty(service, property) : spin.javaProperty(service, property);
                if (s === undefined || s.value === "" || s.value === null) {
                    out.push(violation(o, spin.profilePath(service, property), `is not set, so ${service} ${consequence(property)}`, "point it at the service's Secret with an encryptedFile:/encrypted: reference, as for server.ssl"));
                }
            }
        }
        return out;
    }),
};
