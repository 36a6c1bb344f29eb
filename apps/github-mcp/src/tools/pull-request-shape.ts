// The short form of a pull request every pull-request tool answers with.
import { z } from '@factory/base-server';
import { login, userOut } from './common.js';

export const prSummary = z.object({
  number: z.number(),
  title: z.string(),
  state: z.string(),
  draft: z.boolean(),
  user: userOut,
  head: z.string().describe('Head branch'),
  base: z.string().describe('Base branch'),
  updated_at: z.string(),
  html_url: z.string(),
});

interface RawPr {
  number: number;
  title: string;
  state: string;
  draft?: boolean;
  user?: { login?: string } | null;
  head: { ref: string };
  base: { ref: string };
  updated_at: string;
  html_url: string;
}

export const summarizePr = (p: RawPr) => ({
  number: p.number,
  title: p.title,
  state: p.state,
  draft: p.draft ?? false,
  user: login(p.user),
  head: p.head.ref,
  base: p.base.ref,
  updated_at: p.updated_at,
  html_url: p.html_url,
});
