// Which objects run Spinnaker or Redis, by content: the SpinnakerService,
// and workloads whose containers run Redis or whose names are Spinnaker's.
import { KubeObject, asArray, containers, podTemplate } from "./kube";
import { isSpinnakerService } from "./spinnaker";

/** A container runs Redis when its image is redis (any registry, tag or digest) or it starts redis-server. */
export function runsRedis(container: Record<string, unknown>): boolean {
    const image = typeof container.image === "string" ? container.image : "";
    const name = image.split("/").pop()!.split(/[:@]/)[0];
    const argv = [...asArray(container.command), ...asArray(container.args)].map(String);
    return name === "redis" || name.startsWith("redis-") || argv.some((a) => a.split("/").pop() === "redis-server");
}

/** What a Spinnaker-or-Redis object is, for messages; undefined for anything else. */
export function spinnakerOrRedis(o: KubeObject): string | undefined {
    if (isSpinnakerService(o)) return o.ref;
    const t = podTemplate(o);
    if (!t) return undefined;
    if (containers(t).some((c) => runsRedis(c.body))) return `${o.ref} (Redis)`;
    if (o.name.startsWith("spin-")) return o.ref;
    return undefined;
}
