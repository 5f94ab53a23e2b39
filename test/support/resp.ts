// A minimal Redis client (RESP2 over TLS or plain TCP), enough to send a few
// commands and read their replies, and to see how a refused connection ends.
import * as net from "net";
import * as tls from "tls";

export type Reply = string | number | null | Reply[] | { error: string };

export interface Session {
    /** Replies in order, or the error that ended the connection first. */
    readonly replies: Reply[];
    readonly error?: string;
    readonly tlsProtocol?: string | null;
    readonly cipher?: string;
}

const encode = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;

/** Parses as many complete replies as `buf` holds; returns them and the bytes consumed. */
export function parseReplies(buf: Buffer): { replies: Reply[]; used: number } {
    const replies: Reply[] = [];
    let pos = 0;
    const line = (): string | undefined => {
        const end = buf.indexOf("\r\n", pos);
        if (end < 0) return undefined;
        const s = buf.toString("utf8", pos, end);
        pos = end + 2;
        return s;
    };
    const one = (): Reply | undefined => {
        const l = line();
        if (l === undefined) return undefined;
        const body = l.slice(1);
        switch (l[0]) {
            case "+":
                return body;
            case "-":
                return { error: body };
            case ":":
                return Number(body);
            case "$": {
                const n = Number(body);
                if (n < 0) return null;
                if (buf.length < pos + n + 2) return undefined;
                const s = buf.toString("utf8", pos, pos + n);
                pos += n + 2;
                return s;
            }
            case "*": {
                const n = Number(body);
                const items: Reply[] = [];
                for (let i = 0; i < n; i++) {
                    const item = one();
                    if (item === undefined) return undefined;
                    items.push(item);
                }
                return items;
            }
            default:
                throw new Error(`unexpected RESP line ${JSON.stringify(l)}`);
        }
    };
    for (;;) {
        const start = pos;
        const r = one();
        if (r === undefined) {
            pos = start;
            break;
        }
        replies.push(r);
    }
    return { replies, used: pos };
}

export interface ConnectOptions {
    readonly port: number;
    /** Omit for a plaintext TCP connection. */
    readonly tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; servername?: string };
    readonly timeoutMs?: number;
}

/** Connects, sends each command, and collects replies until there is one per command or the connection ends. */
export function session(opts: ConnectOptions, commands: string[][]): Promise<Session> {
    return new Promise((resolve) => {
        let buffer = Buffer.alloc(0);
        const replies: Reply[] = [];
        let settled = false;
        const socket: net.Socket = opts.tls
            ? tls.connect({ host: "127.0.0.1", port: opts.port, rejectUnauthorized: true, minVersion: "TLSv1.2", ...opts.tls, servername: opts.tls.servername ?? "spin-redis" })
            : net.connect({ host: "127.0.0.1", port: opts.port });
        const finish = (error?: string) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const t = opts.tls ? (socket as tls.TLSSocket) : undefined;
            resolve({ replies, ...(error ? { error } : {}), ...(t ? { tlsProtocol: t.getProtocol(), cipher: t.getCipher()?.standardName } : {}) });
            socket.destroy();
        };
        const timer = setTimeout(() => finish("timed out"), opts.timeoutMs ?? 5_000);
        socket.once(opts.tls ? "secureConnect" : "connect", () => socket.write(commands.map(encode).join("")));
        socket.on("data", (d) => {
            buffer = Buffer.concat([buffer, d]);
            const { replies: got, used } = parseReplies(buffer);
            buffer = buffer.subarray(used);
            replies.push(...got);
            if (replies.length >= commands.length) finish();
        });
        socket.on("error", (e) => finish(e.message));
        socket.on("close", () => finish(replies.length >= commands.length ? undefined : "connection closed"));
    });
}
