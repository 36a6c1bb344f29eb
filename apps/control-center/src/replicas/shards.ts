// The registry cut into shards: service i (in registry order, the same on every replica, which all read
// the same SERVICES) belongs to shard i mod POLL_SHARDS, so shards differ in size by at most one.
import type { ServiceEntry } from '../config.js';

export function shardsOf(services: readonly ServiceEntry[], count: number): ServiceEntry[][] {
  const shards: ServiceEntry[][] = Array.from({ length: count }, () => []);
  services.forEach((s, i) => shards[i % count]?.push(s));
  return shards;
}

/** How many shards one replica takes at once when `replicas` share them: all of them are swept in parallel. */
export const shardsPerReplica = (shards: number, replicas: number): number => Math.max(1, Math.ceil(shards / Math.max(1, replicas)));
