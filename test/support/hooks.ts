// Root hooks: whatever a test file started for the whole run stops here, even
// when tests failed.
import { stopPolicyPack } from "./policyPack";

export const mochaHooks = {
    async afterAll(): Promise<void> {
        await stopPolicyPack();
    },
};
