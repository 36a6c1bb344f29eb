// Which of a registry's tools a client sees, when that changes while the server runs: a server that
// starts with a few discovery tools and shows more on request (github-mcp's dynamic toolsets).
//
// A view is state of one MCP connection. Over stdio a process serves exactly one connection, so the
// view lives in the process. Over Streamable HTTP any replica may serve any request and the 2026-07-28
// revision has no session to hang such state on, so a service with a view refuses to serve HTTP
// (see `Service.start`): a view kept in one replica's memory would show a caller different tools on
// different requests.

/** The tools one connection sees; `show` adds some and tells every listener (the servers announce it). */
export class ToolView {
  private readonly visible: Set<string>;
  private readonly listeners = new Set<() => void>();

  constructor(initial: Iterable<string>) {
    this.visible = new Set(initial);
  }

  has(name: string): boolean {
    return this.visible.has(name);
  }

  /** The visible tool names, in the order they became visible. */
  names(): string[] {
    return [...this.visible];
  }

  /** Makes tools visible; returns those that were not visible yet. Listeners run once, when any was added. */
  show(names: Iterable<string>): string[] {
    const added = [...new Set(names)].filter((n) => !this.visible.has(n));
    for (const n of added) this.visible.add(n);
    if (added.length > 0) for (const listener of [...this.listeners]) listener();
    return added;
  }

  /** Calls `listener` after each change; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
