// The frame of this project's npm scripts, and the exit-code contract every
// one of them keeps:
//   0  done, nothing to report
//   1  policy violations (mandatory), a refused promotion, or certificates
//      inside their renewal window: the input was fine, the answer is "no"
//   2  usage, config or input errors: the command could not give an answer
// `--help` (or `-h`) anywhere prints the command's help on stdout and exits 0.
// An error prints its message, never a stack trace. stdout carries the
// command's data; progress and notes for people go to stderr.
import { PolicyPackHost } from "./policyHost";
import { POLICY_PACK_DIR } from "./paths";

export const EXIT_OK = 0;
export const EXIT_NO = 1;
export const EXIT_ERROR = 2;

export interface CommandHelp {
    /** One line: `npm run x -- ...`. */
    readonly usage: string;
    /** What the command does, a few lines. */
    readonly summary: string;
    /** Flag (with its argument) and what it does. */
    readonly flags: readonly (readonly [string, string])[];
    readonly examples: readonly string[];
    /** What exit code 1 means for this command; absent when it never exits 1. */
    readonly exit1?: string;
}

export function helpText(h: CommandHelp): string {
    const width = Math.max(...h.flags.map(([f]) => f.length), 10);
    return [
        h.usage,
        "",
        h.summary,
        "",
        "Flags:",
        ...h.flags.map(([f, what]) => `  ${f.padEnd(width)}  ${what}`),
        `  ${"--help".padEnd(width)}  this text`,
        "",
        "Examples:",
        ...h.examples.map((e) => `  ${e}`),
        "",
        "Exit codes:",
        "  0  ok",
        ...(h.exit1 ? [`  1  ${h.exit1}`] : []),
        "  2  usage, config or input error (the message says which file or flag)",
        "",
        "Reference: docs/cli.md",
    ].join("\n");
}

export const wantsHelp = (argv: readonly string[]): boolean => argv.some((a) => a === "--help" || a === "-h");

/** A line for people about what the command is doing now; stderr, so stdout stays data. */
export function progress(line: string): void {
    process.stderr.write(`${line}\n`);
}

/**
 * Runs `body` with console.log, console.info and console.debug writing to
 * stderr. What a program prints while it runs under the offline engine is
 * for people: without an engine, the SDK's pulumi.log.info is console.log,
 * and under the Pulumi CLI it would be a diagnostic, never part of an
 * export. So stdout keeps carrying the command's data alone.
 */
export async function withProgramOutputOnStderr<T>(body: () => Promise<T>): Promise<T> {
    const { log, info, debug } = console;
    const toStderr = (...args: unknown[]) => console.error(...args);
    console.log = console.info = console.debug = toStderr;
    try {
        return await body();
    } finally {
        Object.assign(console, { log, info, debug });
    }
}

/**
 * Exits once stdout and stderr have handed everything to the OS: writes to a
 * pipe are asynchronous, and process.exit would cut a large export short.
 * Callbacks run in order, so an empty write's comes after every earlier one.
 */
export function exitWhenFlushed(code: number): void {
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

export function runCommand<A>(help: CommandHelp, parse: (argv: string[]) => A, main: (args: A) => Promise<number> | number): void {
    const argv = process.argv.slice(2);
    if (wantsHelp(argv)) {
        process.stdout.write(helpText(help) + "\n");
        exitWhenFlushed(EXIT_OK);
        return;
    }
    let args: A;
    try {
        args = parse(argv);
    } catch (e) {
        console.error((e as Error).message);
        exitWhenFlushed(EXIT_ERROR);
        return;
    }
    Promise.resolve()
        .then(() => main(args))
        .then(
            (code) => exitWhenFlushed(code),
            (err: Error) => {
                console.error(err.message);
                exitWhenFlushed(EXIT_ERROR);
            },
        );
}

/** Starts the policy pack as the CLI would, hands it to `body`, and stops it however `body` ends. */
export async function withPolicyPack<T>(body: (host: PolicyPackHost) => Promise<T>, say: (line: string) => void = () => undefined): Promise<T> {
    say("starting the policy pack (policies/, type-checked by ts-node)");
    const host = await PolicyPackHost.start(POLICY_PACK_DIR);
    try {
        return await body(host);
    } finally {
        host.close();
    }
}
