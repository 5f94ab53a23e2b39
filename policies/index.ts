// Entry point of the policy pack: `pulumi preview --policy-pack policies`
// loads this file. Every rule is mandatory unless a policy config says
// otherwise (policies/config/<stack>.json).
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./policies";

new PolicyPack(PACK_NAME, { policies: POLICIES, enforcementLevel: "mandatory" });
