// What the rules know about Spinnaker, and how they read a SpinnakerService
// the way Spinnaker itself will: a setting's effective value, wherever and
// however it is written.
import { KubeObject, Props, asRecord, at, isRecord, stringMap } from "./kube";

export const SPINNAKER_GROUPS = ["spinnaker.io", "spinnaker.armory.io"];
export const isSpinnakerService = (o: KubeObject): boolean => SPINNAKER_GROUPS.includes(o.group) && o.kind === "SpinnakerService";

/** Spring Boot services: `server.ssl.*` with keystores. */
export const JAVA_SERVICES = ["clouddriver", "echo", "fiat", "front50", "gate", "igor", "kayenta", "keel", "orca", "rosco"];
/** Armory's Go services: `server.ssl.*` with PEM files. */
export const GO_SERVICES = ["dinghy", "terraformer"];
/** Deck serves over HTTPS when given a certificate (DECK_CERT / DECK_KEY) or halconfig's uiSecurity.ssl. */
export const DECK = "deck";
/** What every Spinnaker installation runs, named in its config or not. */
export const ALWAYS_DEPLOYED = ["clouddriver", "deck", "echo", "front50", "gate", "orca", "rosco"];
/** The services an ingress may front: plain HTTP only inside a STRICT mesh (see the server-ssl rule). */
export const EDGE_SERVICES = ["deck", "gate"];
const KNOWN = new Set([...JAVA_SERVICES, ...GO_SERVICES, DECK]);

/** A setting as Spinnaker will see it, and where it was written (a field path for messages). */
export interface Setting {
    readonly value: unknown;
    readonly where: string;
}

/** Spring's relaxed binding: `server.ssl.client-auth`, `server.ssl.clientAuth` and `SERVER_SSL_CLIENTAUTH` are one property. */
export const relaxed = (name: string): string => name.toLowerCase().replace(/[-_.]/g, "");

/** Leaves of a YAML tree as dotted paths; keys that themselves hold dots (`server.ssl.enabled: true`) count as paths too. */
function flatten(v: unknown, prefix: string, out: [string, unknown][] = []): [string, unknown][] {
    if (isRecord(v)) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
    else out.push([prefix, v]);
    return out;
}

export const isTrue = (v: unknown): boolean => v === true || (typeof v === "string" && v.trim().toLowerCase() === "true");

const JVM_OPTION_ENV = ["JAVA_OPTS", "JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS"];
const SYSTEM_PROPERTY = /-D([A-Za-z0-9_.-]+)=("[^"]*"|'[^']*'|\S*)/g;

/** One SpinnakerService (or a patch of one), read per service. */
export class SpinnakerConfig {
    readonly config: Props;
    private readonly base: string;

    constructor(readonly object: KubeObject) {
        this.config = asRecord(at(object.body, "spec", "spinnakerConfig"));
        this.base = "spec.spinnakerConfig";
    }

    profile(service: string): Props {
        return asRecord(at(this.config, "profiles", service));
    }

    settings(service: string): Props {
        return asRecord(at(this.config, "service-settings", service));
    }

    env(service: string): Record<string, string> {
        return stringMap(this.settings(service).env);
    }

    /** Known Spinnaker services the object names in profiles, service-settings or kustomize. */
    named(): string[] {
        const names = ["profiles", "service-settings"].flatMap((k) => Object.keys(asRecord(this.config[k])));
        names.push(...Object.keys(asRecord(at(this.object.body, "spec", "kustomize"))));
        return [...new Set(names)].filter((n) => KNOWN.has(n)).sort();
    }

    private fromProfiles(service: string, property: string): Setting | undefined {
        const want = relaxed(property);
        for (const source of [service, "spinnaker"]) {
            // The last spelling wins, as it would in the merged YAML document.
            const hits = flatten(this.profile(source), "").filter(([p]) => relaxed(p) === want);
            if (hits.length) {
                const [p, value] = hits[hits.length - 1];
                return { value, where: `${this.base}.profiles.${source}.${p}` };
            }
        }
        return undefined;
    }

    /**
     * A Spring property's effective value for a Java service: a `-D` option in
     * the JVM's option variables, then an environment variable, then the
     * service's profile, then the shared `spinnaker` profile.
     */
    javaProperty(service: string, property: string): Setting | undefined {
        const env = this.env(service);
        const want = relaxed(property);
        const envBase = `${this.base}.service-settings.${service}.env`;
        for (const name of JVM_OPTION_ENV) {
            for (const m of (env[name] ?? "").matchAll(SYSTEM_PROPERTY)) {
                if (relaxed(m[1]) === want) return { value: m[2].replace(/^["']|["']$/g, ""), where: `${envBase}.${name} (-D${m[1]})` };
            }
        }
        const envName = Object.keys(env).find((n) => relaxed(n) === want);
        if (envName !== undefined) return { value: env[envName], where: `${envBase}.${envName}` };
        return this.fromProfiles(service, property);
    }

    /** A Go service's setting: its profile, then the shared `spinnaker` profile. */
    goProperty(service: string, property: string): Setting | undefined {
        return this.fromProfiles(service, property);
    }

    /** Deck's HTTPS: its certificate environment, or halconfig's uiSecurity.ssl. */
    deckTls(): { on: boolean; where: string; value?: unknown } {
        const env = this.env(DECK);
        const envBase = `${this.base}.service-settings.deck.env`;
        if (env.DECK_CERT && env.DECK_KEY) return { on: true, where: `${envBase}.DECK_CERT`, value: env.DECK_CERT };
        const ui = at(this.config, "config", "security", "uiSecurity", "ssl", "enabled");
        if (isTrue(ui)) return { on: true, where: `${this.base}.config.security.uiSecurity.ssl.enabled`, value: ui };
        return { on: false, where: `${envBase}.DECK_CERT`, value: env.DECK_CERT };
    }

    /** Whether the object says anything about a service's TLS (a patch is judged only on services it touches). */
    touchesTls(service: string): boolean {
        const keys = flatten(this.profile(service), "").map(([p]) => relaxed(p));
        if (keys.some((k) => k.startsWith("serverssl") || k.startsWith("okhttpclient") || /^http(cacert|clientcert|clientkey)file$/.test(k))) return true;
        const env = this.env(service);
        if (Object.keys(env).some((n) => relaxed(n).startsWith("serverssl") || n === "DECK_CERT" || n === "DECK_KEY")) return true;
        const baseUrl = this.settings(service).baseUrl;
        return typeof baseUrl === "string" && baseUrl.startsWith("https://");
    }

    /** The services a rule judges: for a whole object every one that runs, for a patch those whose TLS it sets. */
    judged(): string[] {
        if (this.object.patch) return this.named().filter((s) => this.touchesTls(s));
        return [...new Set([...ALWAYS_DEPLOYED, ...this.named()])].sort();
    }

    /** Whether a service serves TLS, where that is decided, and the value found there (undefined when unset). */
    tls(service: string): { on: boolean; where: string; value?: unknown } {
        if (service === DECK) return this.deckTls();
        const s = GO_SERVICES.includes(service) ? this.goProperty(service, "server.ssl.enabled") : this.javaProperty(service, "server.ssl.enabled");
        return { on: isTrue(s?.value), where: s?.where ?? `${this.base}.profiles.${service}.server.ssl.enabled`, value: s?.value };
    }

    /** Gate's API port (`default.apiPort`, a second listener requiring client certificates), when set to a port number. */
    gateApiPort(): number | undefined {
        const v = Number(this.javaProperty("gate", "default.apiPort")?.value);
        return Number.isInteger(v) && v > 0 && v < 65536 ? v : undefined;
    }

    /** The client-auth setting of a TLS service (Java `client-auth`, Go `clientAuth`). */
    clientAuth(service: string): Setting | undefined {
        return GO_SERVICES.includes(service) ? this.goProperty(service, "server.ssl.clientAuth") : this.javaProperty(service, "server.ssl.client-auth");
    }

    /** Each judged service that serves TLS (Deck aside: it has no client-auth), its client-auth in lower case ("" when unset), and where that is decided. */
    clientAuths(): { service: string; value: string; where: string }[] {
        return this.judged()
            .filter((s) => s !== DECK && this.tls(s).on)
            .map((service) => {
                const s = this.clientAuth(service);
                const key = GO_SERVICES.includes(service) ? "server.ssl.clientAuth" : "server.ssl.client-auth";
                return { service, value: s === undefined ? "" : String(s.value).trim().toLowerCase(), where: s?.where ?? this.profilePath(service, key) };
            });
    }

    profilePath(service: string, property: string): string {
        return `${this.base}.profiles.${service}.${property}`;
    }

    settingsPath(service: string, property: string): string {
        return `${this.base}.service-settings.${service}.${property}`;
    }

    /** The labels Spinnaker's pods carry (the Operator's and Halyard's, plus any podLabels set). */
    podLabels(service: string): Record<string, string> {
        return { app: "spin", cluster: `spin-${service}`, ...stringMap(at(this.settings(service), "kubernetes", "podLabels")) };
    }
}
