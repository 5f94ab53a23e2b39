import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, namespaceOf } from "../lib/kube";
import { forKubeObjects, violation } from "../lib/rule";
import { eachString, isReference } from "../lib/secrets";
import { EDGE_SERVICES, SpinnakerConfig, isSpinnakerService, relaxed } from "../lib/spinnaker";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The Spinnaker service a base URL points at: from where it is set, or from its host (`spin-<service>`). */
function targetService(path: string, host: string): string | undefined {
    const m = /(?:^service-settings|\.services)\.([^.]+)\.baseUrl$/i.exec(path);
    if (m) return m[1];
    return /^spin-([a-z0-9]+)(\.|$)/.exec(host)?.[1];
}

/** Why a base URL bypasses TLS or the certificate's name, or undefined when it does not. */
function problem(url: string, service: string | undefined, spin: SpinnakerConfig): string | undefined {
    const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#]*)/i.exec(url);
    if (!m) return "has no scheme, so nothing makes the call use TLS";
    const [, scheme, host] = m;
    if (host.startsWith("[") || IPV4.test(host)) return `names the IP address ${host}: no service certificate carries it, so the call either fails hostname verification or is made with it turned off`;
    if (scheme.toLowerCase() === "https") return undefined;
    // Deck and Gate in plain HTTP behind the edge exception are spinnaker-server-ssl's to judge; their URL must say so.
    if (scheme.toLowerCase() === "http" && service !== undefined && EDGE_SERVICES.includes(service) && !spin.tls(service).on) return undefined;
    return `is ${scheme}://: ${service ?? "Spinnaker"} is called without TLS`;
}

export const baseUrls: ResourceValidationPolicy = {
    name: "spinnaker-https-base-urls",
    description:
        "Every base URL in Spinnaker's config (service-settings baseUrl, services.<name>.baseUrl, overrideBaseUrl) must be https:// to a host name: http://, a missing scheme or an IP address makes callers skip TLS or its name check. Only Deck and Gate, when they serve plain HTTP behind the edge exception, keep http://.",
    severity: "critical",
    validateResource: forKubeObjects(isSpinnakerService, (o) => {
        const spin = new SpinnakerConfig(o);
        const out: string[] = [];
        eachString(at(o.body, "spec", "spinnakerConfig"), (path, key, value) => {
            // Redis endpoints are spinnaker-redis-tls's.
            if (!relaxed(key).endsWith("baseurl") || relaxed(path).includes("redis") || isReference(value)) return;
            const url = value.trim();
            const host = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]*)/i.exec(url)?.[1] ?? url.split(/[/:]/)[0];
            const why = problem(url, targetService(path, host), spin);
            if (why) out.push(violation(o, `spec.spinnakerConfig.${path}`, `is '${url}', which ${why}`, `use https://<service>.${namespaceOf(o)}:<port>, a name the service's certificate carries`));
        });
        return out;
    }),
};
