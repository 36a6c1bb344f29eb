// An API key may be bound to a set of agent ids (AGENT_SCOPES), by its name; an OAuth caller by its
// token's subject (`sub:<subject>`) or, failing that, its client (`client:<client_id>`). A caller that is
// not listed, and calls without auth (loopback development), may use every agent.
import type { Principal } from '@factory/base-server';
import { agentForbidden } from '../errors.js';

export interface AgentScope {
  /** Throws agent_forbidden unless the caller may use this agent. */
  assert(principal: Principal | undefined, agentId: string): void;
  allows(principal: Principal | undefined, agentId: string): boolean;
}

export function createAgentScope(scopes: Readonly<Record<string, readonly string[]>>): AgentScope {
  const table = new Map(Object.entries(scopes).map(([k, v]) => [k, new Set(v)]));
  const bindingOf = (principal: Principal): Set<string> | undefined => {
    if (principal.via !== 'oauth') return table.get(principal.keyName);
    return table.get(`sub:${principal.keyName}`) ?? (principal.clientId !== undefined ? table.get(`client:${principal.clientId}`) : undefined);
  };
  const allows = (principal: Principal | undefined, agentId: string): boolean => {
    const allowed = principal ? bindingOf(principal) : undefined;
    return allowed === undefined || allowed.has('*') || allowed.has(agentId);
  };
  return {
    allows,
    assert(principal, agentId) {
      if (!allows(principal, agentId)) throw agentForbidden(agentId);
    },
  };
}
