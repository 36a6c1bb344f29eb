// Dashboard pages of workflows: the list (with recent runs and a start form) and a run page with each
// step's state, duration, arguments and output (truncated), error, and the operator's buttons. Plain
// same-origin form posts answered with a redirect; the page refreshes itself like every other page.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import { BadRequestError, NotFoundError, z } from '@factory/base-server';
import type { Database } from '../db/schema.js';
import { html, type SafeHtml } from '../dashboard/html.js';
import { time } from '../dashboard/format.js';
import { sendPage } from '../dashboard/pages.js';
import { DECISIONS } from './api-schemas.js';
import * as repo from './repository.js';
import type { Workflows } from './workflow-context.js';
import { runDetail, runJson, workflowJson } from './workflow-service.js';

const SHOWN_CHARS = 400;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const STEP = /^[a-z][a-z0-9_]{0,62}$/;

/** JSON cut to what a table cell can show; the API has the whole value. */
const shown = (v: unknown): string => {
  if (v === null || v === undefined) return '–';
  const s = JSON.stringify(v);
  return s.length > SHOWN_CHARS ? `${s.slice(0, SHOWN_CHARS)}… (${s.length} characters)` : s;
};
const stateClass = (s: string) => (s === 'succeeded' ? 'ok' : s === 'failed' || s === 'cancelled' ? 'bad' : s === 'waiting' || s === 'waiting_approval' || s === 'unknown' ? 'warn' : 'muted');
const caller = (req: Request) => req.principal?.keyName ?? 'anonymous';

type Run = Awaited<ReturnType<typeof runDetail>>;

function button(action: string, label: string, fields: Record<string, string> = {}): SafeHtml {
  return html`<form method="post" action="${action}" class="inline">${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<button type="submit" data-action="${label.toLowerCase()}">${label}</button></form>`;
}

function decisionButtons(run: Run, step: Run['steps'][number]): SafeHtml | string {
  if (run.finished_at || (step.state !== 'waiting_approval' && step.state !== 'unknown')) return '';
  const choices = step.state === 'waiting_approval' ? ['approve', 'skip', 'fail'] : ['retry', 'skip', 'fail'];
  return html`${choices.map((d) => button(`/workflows/runs/${run.id}/steps/${step.id}/decision`, d[0]!.toUpperCase() + d.slice(1), { decision: d }))}`;
}

export function runMain(run: Run): SafeHtml {
  const controls = run.finished_at
    ? ''
    : html`${run.state === 'paused' ? button(`/workflows/runs/${run.id}/resume`, 'Resume') : button(`/workflows/runs/${run.id}/pause`, 'Pause')}${button(`/workflows/runs/${run.id}/cancel`, 'Cancel')}`;
  return html`<section class="card" id="workflow-run"><h2>${run.workflow} <span class="muted">v${run.version}</span> · <span class="${stateClass(run.state)}" id="run-state">${run.state}</span></h2><p class="meta">run ${run.id} · started by ${run.caller} (${run.trigger}) ${time(run.created_at)} · finished ${time(run.finished_at)}</p>${run.error ? html`<p class="err">${run.error}</p>` : ''}<p>${controls}</p><table class="steps"><thead><tr><th>#</th><th>step</th><th>tool</th><th>state</th><th class="num">attempt</th><th class="num">duration</th><th>arguments</th><th>output</th><th>error</th><th>decision</th></tr></thead><tbody>${run.steps.map(
    (s) =>
      html`<tr data-step="${s.id}"><td>${s.index + 1}</td><td>${s.id}</td><td>${s.server} · ${s.tool}</td><td class="${stateClass(s.state)}">${s.state}</td><td class="num">${s.attempt}</td><td class="num">${s.duration_ms === null ? '–' : `${s.duration_ms} ms`}</td><td><code>${shown(s.args)}</code></td><td><code>${shown(s.output)}</code></td><td>${s.error ?? ''}</td><td>${s.decided_by ? html`${s.decision} by ${s.decided_by}` : ''}${decisionButtons(run, s)}</td></tr>`,
  )}</tbody></table></section>`;
}

export function listMain(workflows: ReturnType<typeof workflowJson>[], runs: ReturnType<typeof runJson>[]): SafeHtml {
  return html`<section class="card" id="workflows"><h2>Workflows</h2>${
    workflows.length === 0
      ? html`<p class="muted">No workflows yet: POST a definition to /api/workflows.</p>`
      : html`<table><thead><tr><th>name</th><th>description</th><th class="num">version</th><th>start with input (JSON)</th></tr></thead><tbody>${workflows.map(
          (w) =>
            html`<tr data-workflow="${w.name}"><td>${w.name}</td><td>${w.description}</td><td class="num">${w.latest_version}</td><td><form method="post" action="/workflows/${w.name}/start" class="inline"><input name="input" value="{}" maxlength="3000"><button type="submit">Start</button></form></td></tr>`,
        )}</tbody></table>`
  }</section><section class="card" id="workflow-runs"><h2>Recent runs</h2>${
    runs.length === 0
      ? html`<p class="muted">No runs.</p>`
      : html`<table><thead><tr><th>run</th><th>workflow</th><th>state</th><th>started by</th><th>started</th><th>finished</th></tr></thead><tbody>${runs.map(
          (r) =>
            html`<tr><td><a href="/workflows/runs/${r.id}">${r.id.slice(0, 8)}</a></td><td>${r.workflow} v${r.version}</td><td class="${stateClass(r.state)}">${r.state}</td><td>${r.caller}</td><td>${time(r.created_at)}</td><td>${time(r.finished_at)}</td></tr>`,
        )}</tbody></table>`
  }</section>`;
}

const startForm = z.object({ input: z.string().max(3_000).default('{}') });
const decisionForm = z.object({ decision: z.enum(DECISIONS) });

/** Registered before the dashboard's not-found handlers (registerPages). */
export function registerWorkflowPages(app: Express, w: Workflows, db: Kysely<Database>, refreshMs: number): void {
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => void fn(req, res).catch(next);
  const form = express.urlencoded({ extended: false, limit: 4096 });
  const runIdOf = (req: Request) => {
    const id = String(req.params.id);
    if (!UUID.test(id)) throw new NotFoundError('workflow_run_not_found', `No workflow run has id ${id}.`);
    return id;
  };

  app.get(
    '/workflows',
    wrap(async (req, res) => {
      const [workflows, runs] = await Promise.all([repo.listWorkflows(db), repo.listRuns(db, { limit: 25 })]);
      sendPage(req, res, 'Workflows', 'workflows', refreshMs, listMain(workflows.map(workflowJson), runs.runs.map(runJson)));
    }),
  );
  app.get(
    '/workflows/runs/:id',
    wrap(async (req, res) => sendPage(req, res, 'Workflow run', 'workflows', refreshMs, runMain(await runDetail(w, db, runIdOf(req))))),
  );
  app.post(
    '/workflows/:name/start',
    form,
    wrap(async (req, res) => {
      const name = String(req.params.name);
      if (!NAME.test(name)) throw new NotFoundError('workflow_not_found', `No workflow is named "${name}".`);
      const body = startForm.safeParse(req.body ?? {});
      let input: unknown;
      try {
        input = JSON.parse(body.success ? body.data.input : '');
      } catch {
        throw new BadRequestError('validation_failed', 'The input must be a JSON object, e.g. {"service": "web"}.');
      }
      const run = await w.engine.start(name, input, caller(req), 'dashboard');
      res.redirect(303, `/workflows/runs/${run.id}`);
    }),
  );
  for (const action of ['cancel', 'pause', 'resume'] as const) {
    app.post(
      `/workflows/runs/:id/${action}`,
      wrap(async (req, res) => {
        const id = runIdOf(req);
        await w.engine[action](id, caller(req));
        res.redirect(303, `/workflows/runs/${id}`);
      }),
    );
  }
  app.post(
    '/workflows/runs/:id/steps/:step/decision',
    form,
    wrap(async (req, res) => {
      const id = runIdOf(req);
      const step = String(req.params.step);
      const body = decisionForm.safeParse(req.body ?? {});
      if (!STEP.test(step) || !body.success) throw new BadRequestError('validation_failed', `Choose one of ${DECISIONS.join(', ')}.`);
      await w.engine.decide(id, step, body.data.decision, caller(req));
      res.redirect(303, `/workflows/runs/${id}`);
    }),
  );
}
