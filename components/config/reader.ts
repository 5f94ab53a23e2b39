// Reading raw Pulumi config values (always strings; lists and objects as JSON
// text) with one shared set of checks. Every check that fails records a
// problem naming the key, the value (unless secret) and what is allowed, and
// returns undefined, so one pass reports every problem at once.
import { CONFIG_NAMESPACE } from "./keys";

/** Raw values as Pulumi stores them: strings, with arrays as JSON text. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

/** How a problem names a key: the stack config's `spinnaker-mtls:<key>` unless withKeyNames says otherwise. */
/** The key as the engine hands it over: raw config is always looked up by this. */
export const configKey = (key: string): string => `${CONFIG_NAMESPACE}:${key}`;
let keyName: (key: string) => string = configKey;

/** The key as the current problems name it (a stack config key by default). */
export const fq = (key: string): string => keyName(key);

/**
 * Runs `read` with problems naming each key through `naming`: the SpinnakerMtls
 * component reads its args with the same checks as the stack config, and its
 * problems say `args.<key>`. Reading is synchronous, so the naming holds for
 * exactly that call.
 */
export function withKeyNames<T>(naming: (key: string) => string, read: () => T): T {
    const previous = keyName;
    keyName = naming;
    try {
        return read();
    } finally {
        keyName = previous;
    }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes resource quantities (cpu "250m", memory "512Mi", "1Gi", "1.5"). */
const QUANTITY = /^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const QUANTITY_FACTOR: Record<string, number> = {
    "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/**
 * Stands for a secret value that is a Pulumi Output (a component's secret
 * argument): the synchronous checks skip what needs the value itself, and the
 * caller checks it when it resolves.
 */
export const DEFERRED_SECRET = "\u0000deferred-secret";

export const isDnsLabel = (s: string): boolean => s.length <= 63 && DNS_LABEL.test(s);
export const isDnsName = (s: string): boolean => DNS_NAME.test(s);

/** The value of a Kubernetes quantity in base units (cores or bytes), or undefined when it is not one. */
export function quantityValue(q: string): number | undefined {
    const m = QUANTITY.exec(q);
    return m ? Number(m[1]) * QUANTITY_FACTOR[m[3] ?? ""] : undefined;
}

export class ConfigReader {
    readonly problems: string[] = [];

    constructor(
        private readonly raw: RawConfig,
        private readonly optionalKeys: ReadonlySet<string>,
        private readonly secretKeys: ReadonlySet<string>,
    ) {}

    /** How a value appears in a message: quoted, or hidden for secret keys. */
    shown(key: string, value: string): string {
        return this.secretKeys.has(key) ? "(secret value hidden)" : JSON.stringify(value);
    }

    problem(message: string): void {
        this.problems.push(message);
    }

    bad(key: string, value: string, allowed: string): void {
        this.problems.push(`${fq(key)} is ${this.shown(key, value)}; ${allowed}`);
    }

    /** The raw value; a missing key without a default in Pulumi.yaml is itself a problem. */
    get(key: string): string | undefined {
        const value = this.raw[configKey(key)];
        if (value === undefined && !this.optionalKeys.has(key)) {
            this.problems.push(`${fq(key)} is missing; Pulumi.yaml declares its default, so the stack or the engine dropped it`);
        }
        return value;
    }

    /** Like get, but an empty string counts as unset (how a user clears an optional key). */
    optional(key: string): string | undefined {
        const value = this.get(key);
        return value === undefined || value === "" ? undefined : value;
    }

    oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
        const value = this.get(key);
        if (value === undefined) return undefined;
        if (!(allowed as readonly string[]).includes(value)) {
            this.bad(key, value, `allowed: ${allowed.join(", ")}`);
            return undefined;
        }
        return value as T;
    }

    bool(key: string): boolean | undefined {
        const value = this.get(key);
        if (value === undefined) return undefined;
        if (value !== "true" && value !== "false") {
            this.bad(key, value, "allowed: true, false");
            return undefined;
        }
        return value === "true";
    }

    /** A whole number in [min, max]; `unit` words the message ("hours", "replicas"). */
    int(key: string, min: number, max: number, unit: string): number | undefined {
        const value = this.get(key);
        if (value === undefined) return undefined;
        const n = Number(value);
        if (!/^[0-9]+$/.test(value.trim()) || n < min || n > max) {
            const range = max === Number.MAX_SAFE_INTEGER ? ` greater than ${min - 1}` : `, ${min} to ${max}`;
            this.bad(key, value, `allowed: a whole number of ${unit}${range}`);
            return undefined;
        }
        return n;
    }

    stringList(key: string): string[] | undefined {
        const value = this.get(key);
        if (value === undefined) return undefined;
        try {
            const parsed: unknown = JSON.parse(value);
            if (Array.isArray(parsed) && parsed.every((s) => typeof s === "string")) return parsed as string[];
        } catch {
            // reported below
        }
        this.bad(key, value, "allowed: a list of strings");
        return undefined;
    }

    /** A Kubernetes name that must be a DNS label: a namespace or an object name. */
    dnsLabel(key: string, what: "namespace" | "object"): string | undefined {
        const value = this.get(key);
        if (value !== undefined && !isDnsLabel(value)) {
            this.bad(key, value, `allowed: a Kubernetes ${what} name (lower-case letters, digits and '-', at most 63 characters)`);
            return undefined;
        }
        return value;
    }

    quantity(key: string, what: string): string | undefined {
        const value = this.get(key);
        if (value === undefined) return undefined;
        const n = quantityValue(value);
        if (n === undefined || n <= 0) {
            this.bad(key, value, `allowed: a Kubernetes ${what} quantity greater than 0, e.g. ${what === "cpu" ? '"250m" or "1"' : '"512Mi" or "8Gi"'}`);
            return undefined;
        }
        return value;
    }
}
