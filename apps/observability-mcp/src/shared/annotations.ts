// Every observability tool only reads CloudWatch: the annotations say so, truthfully.
import type { RequiredAnnotations } from '@factory/base-server';

export const READ_ONLY: RequiredAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  // The tools reach an external system (AWS) whose data changes over time.
  openWorldHint: true,
};
