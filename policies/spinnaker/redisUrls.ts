import { ResourceValidationPolicy } from "@pulumi/policy";
import { at } from "../lib/kube";
import { forKubeObjects, violation } from "../lib/rule";
import { eachString, isReference } from "../lib/secrets";
import { isSpinnakerService, relaxed } from "../lib/spinnaker";

/** The settings that hold a Redis endpoint, in relaxed form: kork's `redis.connection`, `services.redis.baseUrl`, the Go services' `redis.baseUrl`. */
const ENDPOINT_KEYS = new Set(["redisconnection", "servicesredisbaseurl", "redisbaseurl", "redisurl"]);

export const redisUrls: ResourceValidationPolicy = {
    name: "spinnaker-redis-tls",
    description: "Every Redis URL in Spinnaker's config must be rediss:// (TLS); redis:// sends Spinnaker's state and credentials in plaintext.",
    severity: "critical",
    validateResource: forKubeObjects(
        isSpinnakerService,
        (o) => {
            const out: string[] = [];
            eachString(at(o.body, "spec", "spinnakerConfig"), (path, _key, value) => {
                const v = value.trim();
                const endpoint = [...ENDPOINT_KEYS].some((k) => relaxed(path).endsWith(k));
                if (/^redis:\/\//i.test(v) || (endpoint && !isReference(v) && !/^rediss:\/\//i.test(v))) {
                    out.push(violation(o, `spec.spinnakerConfig.${path}`, `is '${v.replace(/\/\/[^@/]*@/, "//***@")}', not a rediss:// URL`, "use rediss://<host>:6379 (the program's in-cluster Redis speaks only TLS)"));
                }
            });
            return out;
        },
    ),
};
