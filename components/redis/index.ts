export * from "./redisConf";
export * from "./redisCommands";
export * from "./redisClients";
export * from "./redisTls";
export * from "./externalRedis";
