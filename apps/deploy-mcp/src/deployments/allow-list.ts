// Which clusters/services write tools may touch: DEPLOY_ALLOWED_SERVICES entries "cluster/service" or "cluster/*".
import { ForbiddenError } from '@factory/base-server';
import { clusterName, serviceName } from '../ecs/names.js';

export class AllowList {
  private readonly entries: ReadonlySet<string>;

  constructor(readonly raw: readonly string[]) {
    this.entries = new Set(raw);
  }

  allows(cluster: string, service: string): boolean {
    const c = clusterName(cluster);
    return this.entries.has(`${c}/${serviceName(service)}`) || this.entries.has(`${c}/*`);
  }

  /** Throws ForbiddenError (before anything is read or changed) when the service is not allow-listed. */
  assert(cluster: string, service: string): void {
    if (!this.allows(cluster, service)) {
      throw new ForbiddenError(
        'service_not_allowed',
        `Writes to ${clusterName(cluster)}/${serviceName(service)} are not allowed: it is not in DEPLOY_ALLOWED_SERVICES (${this.raw.join(', ')}). ` +
          'Ask an operator to add it; read tools still work for every service.',
      );
    }
  }
}
