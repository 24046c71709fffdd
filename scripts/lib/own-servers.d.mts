// Types for TypeScript callers (the hardening suite), which may not compile JavaScript.
interface ServerOptions {
  dir: string;
  port: number;
  password: string;
  fresh: boolean;
}
export function ownServerOptions(
  config: { home: string; ports: { pg: number; redis: number; web?: number } },
  options: { fresh: boolean },
): { postgres: ServerOptions; redis: ServerOptions };
export interface OwnServer {
  start(): Promise<void>;
  stop(): Promise<void>;
}
export function ownServers(stack: { home: string; databaseUrl: string; redisUrl: string }): {
  postgres: OwnServer;
  redis: OwnServer;
};
