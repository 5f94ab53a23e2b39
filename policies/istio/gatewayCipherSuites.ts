import { ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, at, isKind } from "../lib/kube";
import { ISTIO_NETWORKING } from "../lib/mesh";
import { forKubeObjects, violation } from "../lib/rule";

/** Forward-secret AEAD suites (TLS 1.2 names as Envoy takes them; TLS 1.3 suites are not configurable and always strong). */
const STRONG = /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/;

export const gatewayCipherSuites: ResourceValidationPolicy = {
    name: "gateway-cipher-suites",
    description: "An Istio Gateway that lists cipherSuites must list only forward-secret AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305): CBC, 3DES, RC4, NULL and static-RSA suites weaken the TLS the gateway terminates.",
    severity: "high",
    validateResource: forKubeObjects(
        (o) => isKind(o, ISTIO_NETWORKING, "Gateway"),
        (o) =>
            asArray(at(o.body, "spec", "servers")).flatMap((s, i) =>
                asArray(at(s, "tls", "cipherSuites")).flatMap((suite, j) =>
                    typeof suite === "string" && !STRONG.test(suite.trim())
                        ? [violation(o, `spec.servers[${i}].tls.cipherSuites[${j}]`, `is '${suite}', not a forward-secret AEAD suite`, "list only ECDHE-ECDSA/RSA-AES128-GCM-SHA256, -AES256-GCM-SHA384 or -CHACHA20-POLY1305, or remove cipherSuites to keep Envoy's defaults")]
                        : [],
                ),
            ),
    ),
};
