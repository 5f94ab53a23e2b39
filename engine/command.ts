// The frame of this project's npm scripts: parse the arguments (a usage error
// exits 2), run, exit with the command's code; an unexpected error prints its
// message, not a stack trace, and exits with `failureCode`.
import { PolicyPackHost } from "./policyHost";
import { POLICY_PACK_DIR } from "./paths";

export function runCommand<A>(parse: (argv: string[]) => A, main: (args: A) => Promise<number> | number, failureCode = 2): void {
    let args: A;
    try {
        args = parse(process.argv.slice(2));
    } catch (e) {
        console.error((e as Error).message);
        process.exit(2);
    }
    Promise.resolve()
        .then(() => main(args))
        .then(
            (code) => process.exit(code),
            (err: Error) => {
                console.error(err.message);
                process.exit(failureCode);
            },
        );
}

/** Starts the policy pack as the CLI would, hands it to `body`, and stops it however `body` ends. */
export async function withPolicyPack<T>(body: (host: PolicyPackHost) => Promise<T>): Promise<T> {
    const host = await PolicyPackHost.start(POLICY_PACK_DIR);
    try {
        return await body(host);
    } finally {
        host.close();
    }
}
