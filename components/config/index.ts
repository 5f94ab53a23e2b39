export * from "./stackConfig";
export * from "./loadStackConfig";
