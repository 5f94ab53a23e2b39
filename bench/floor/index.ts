import * as random from "@pulumi/random";

export const length = new random.RandomPassword("only", { length: 16, special: false }).result.apply((r) => r.length);
