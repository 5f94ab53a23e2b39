// Secret values in an export: Pulumi's secret envelope, with the value either
// in plain text (--show-secrets) or encrypted under a key derived from the
// passphrase, found as the Pulumi CLI finds it: PULUMI_CONFIG_PASSPHRASE when
// set (even to the empty string: an empty passphrase must be chosen
// explicitly), else the file PULUMI_CONFIG_PASSPHRASE_FILE names (trimmed),
// else a refusal; nothing is ever encrypted under a passphrase nobody chose.
// (pulumi/pulumi pkg/secrets/passphrase/manager.go, readPassphrase.) The key
// is derived on first use, so a run that encrypts and decrypts nothing needs
// no passphrase. The nonce is derived from the plaintext so an unchanged stack
// exports byte-identical state.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { readFailure } from "./files";
import type { StackExport } from "./run";

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Envelope {
    [SECRET_SIG_KEY]: typeof SECRET_SIG;
    ciphertext?: string;
    plaintext?: string;
}

export const isEnvelope = (v: unknown): v is Envelope =>
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;

export interface SecretsProviderState {
    readonly type: "offline-passphrase";
    readonly state: { readonly salt: string };
}

export const PASSPHRASE_MISSING =
    "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables " +
    "(an empty passphrase is allowed only when set explicitly: PULUMI_CONFIG_PASSPHRASE=)";

/** The passphrase as the Pulumi CLI reads it from the environment; throws when none is set. */
export function passphraseFromEnv(env: NodeJS.ProcessEnv = process.env): string {
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
    const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    if (file) {
        try {
            return fs.readFileSync(path.resolve(file), "utf8").trim();
        } catch (e) {
            throw new Error(`unable to read PULUMI_CONFIG_PASSPHRASE_FILE ${file}: ${readFailure(e)}`);
        }
    }
    throw new Error(PASSPHRASE_MISSING);
}

export class SecretCrypter {
    private derived?: Buffer;
    constructor(
        readonly salt: Buffer,
        /** The passphrase, or where to get it when first needed (the environment by default). */
        private readonly passphrase: string | (() => string) = () => passphraseFromEnv(),
    ) {}

    private get key(): Buffer {
        this.derived ??= crypto.pbkdf2Sync(typeof this.passphrase === "string" ? this.passphrase : this.passphrase(), this.salt, 100_000, 32, "sha256");
        return this.derived;
    }

    static fresh(passphrase?: string): SecretCrypter {
        return new SecretCrypter(crypto.randomBytes(16), passphrase);
    }

    static fromProvider(p: SecretsProviderState, passphrase?: string): SecretCrypter {
        return new SecretCrypter(Buffer.from(p.state.salt.replace(/^v1:/, ""), "base64"), passphrase);
    }

    provider(): SecretsProviderState {
        return { type: "offline-passphrase", state: { salt: `v1:${this.salt.toString("base64")}` } };
    }

    encrypt(plaintext: string): string {
        const nonce = crypto.createHmac("sha256", this.key).update(plaintext).digest().subarray(0, 12);
        const cipher = crypto.createCipheriv("aes-256-gcm", this.key, nonce);
        const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
        return `v1:${nonce.toString("base64")}:${ct.toString("base64")}`;
    }

    decrypt(ciphertext: string): string {
        const m = /^v1:([^:]+):(.+)$/.exec(ciphertext);
        if (!m) throw new Error("secret ciphertext is not in v1 format");
        const nonce = Buffer.from(m[1], "base64");
        const body = Buffer.from(m[2], "base64");
        const decipher = crypto.createDecipheriv("aes-256-gcm", this.key, nonce);
        decipher.setAuthTag(body.subarray(body.length - 16));
        try {
            return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString("utf8");
        } catch {
            throw new Error("cannot decrypt its secrets: wrong PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)?");
        }
    }
}

/**
 * Decrypts the first secret of an export's own (offline engine) secrets
 * provider, so that a wrong or missing passphrase is refused, naming the
 * file, before any work: never a run over state it cannot read.
 */
export function assertExportSecretsReadable(exp: StackExport, file: string, passphrase?: string): void {
    const p = exp.deployment.secrets_providers;
    if (p?.type !== "offline-passphrase") return;
    const find = (v: unknown): string | undefined => {
        if (isEnvelope(v)) return v.ciphertext;
        if (v && typeof v === "object") for (const x of Object.values(v)) {
            const c = find(x);
            if (c !== undefined) return c;
        }
        return undefined;
    };
    const ciphertext = find(exp.deployment.resources);
    if (ciphertext === undefined) return;
    try {
        SecretCrypter.fromProvider(p, passphrase).decrypt(ciphertext);
    } catch (e) {
        throw new Error(`${file}: cannot decrypt the export's secrets: ${(e as Error).message.replace(/^cannot decrypt its secrets: /, "")}`);
    }
}
