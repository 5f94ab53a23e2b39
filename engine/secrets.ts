// Secret values in an export: Pulumi's secret envelope, with the value either
// in plain text (--show-secrets) or encrypted under a key derived from
// PULUMI_CONFIG_PASSPHRASE (empty when unset, as a local Pulumi backend
// allows). The nonce is derived from the plaintext so an unchanged stack
// exports byte-identical state.
import * as crypto from "crypto";

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

export class SecretCrypter {
    private readonly key: Buffer;
    constructor(
        readonly salt: Buffer,
        passphrase: string = process.env.PULUMI_CONFIG_PASSPHRASE ?? "",
    ) {
        this.key = crypto.pbkdf2Sync(passphrase, salt, 100_000, 32, "sha256");
    }

    static fresh(): SecretCrypter {
        return new SecretCrypter(crypto.randomBytes(16));
    }

    static fromProvider(p: SecretsProviderState): SecretCrypter {
        return new SecretCrypter(Buffer.from(p.state.salt.replace(/^v1:/, ""), "base64"));
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
            throw new Error("cannot decrypt a secret in the previous state: wrong PULUMI_CONFIG_PASSPHRASE?");
        }
    }
}
