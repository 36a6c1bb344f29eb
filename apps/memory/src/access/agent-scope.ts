// An API key may be bound to a set of agent ids (AGENT_SCOPES). A key that is not listed, and calls
// without auth (loopback development), may use every agent.
import type { Principal } from '@factory/base-server';
import { agentForbidden } from '../errors.js';

export interface AgentScope {
  /** Throws agent_forbidden unless the caller may use this agent. */
  assert(principal: Principal | undefined, agentId: string): void;
  allows(principal: Principal | undefined, agentId: string): boolean;
}

export function createAgentScope(scopes: Readonly<Record<string, readonly string[]>>): AgentScope {
  const table = new Map(Object.entries(scopes).map(([k, v]) => [k, new Set(v)]));
  const allows = (principal: Principal | undefined, agentId: string): boolean => {
    const allowed = principal ? table.get(principal.keyName) : undefined;
    return allowed === undefined || allowed.has('*') || allowed.has(agentId);
  };
  return {
    allows,
    assert(principal, agentId) {
      if (!allows(principal, agentId)) throw agentForbidden(agentId);
    },
  };
}
