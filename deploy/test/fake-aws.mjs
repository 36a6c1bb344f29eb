#!/usr/bin/env node
// A stand-in for the aws CLI at its boundary, for deploy/test/workflows.test.ts: answers the calls
// deploy/scripts/ecs-deploy.sh and scripts/rollback.sh make from a JSON state file and logs every call.
//   FAKE_AWS_STATE  state file: { outputs, services: {name: arn}, taskDefinitions: {arn: def}, secrets?: {id: string} }
//   FAKE_AWS_LOG    one JSON array of arguments per line
//   FAKE_AWS_UNSTABLE=true  makes `ecs wait services-stable` fail like the real one after its attempts
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const stateFile = process.env.FAKE_AWS_STATE ?? '';
appendFileSync(process.env.FAKE_AWS_LOG ?? '/dev/null', `${JSON.stringify(args)}\n`);
/** @type {{ outputs: Record<string, string>, services: Record<string, string>, taskDefinitions: Record<string, any>, secrets?: Record<string, string> }} */
const state = JSON.parse(readFileSync(stateFile, 'utf8'));
const save = () => writeFileSync(stateFile, JSON.stringify(state, null, 2));
/** @param {string} name */
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? '') : '';
};
const [group, command] = args;

if (group === 'cloudformation' && command === 'describe-stacks') {
  const key = /OutputKey=='([^']+)'/.exec(opt('--query'))?.[1] ?? '';
  process.stdout.write(`${state.outputs[key] ?? 'None'}\n`);
} else if (group === 'ecs' && command === 'describe-services') {
  process.stdout.write(`${state.services[opt('--services')] ?? 'None'}\n`);
} else if (group === 'ecs' && command === 'describe-task-definition') {
  // By ARN or by family:revision, answering the three --query forms the scripts use.
  const wanted = opt('--task-definition');
  const def = state.taskDefinitions[wanted] ?? Object.values(state.taskDefinitions).find((d) => `${d.family}:${d.revision}` === wanted);
  if (!def) {
    process.stderr.write('An error occurred (ClientException): Unable to describe task definition.\n');
    process.exit(254);
  }
  const query = opt('--query');
  const image = /^taskDefinition\.containerDefinitions\[\?name=='([^']+)'\]\.image \| \[0\]$/.exec(query);
  if (query === 'taskDefinition') process.stdout.write(`${JSON.stringify(def)}\n`);
  else if (query === 'taskDefinition.taskDefinitionArn') process.stdout.write(`${def.taskDefinitionArn}\n`);
  else if (image) process.stdout.write(`${def.containerDefinitions.find((/** @type {{ name: string }} */ c) => c.name === image[1])?.image ?? 'None'}\n`);
  else {
    process.stderr.write(`fake aws: unexpected query ${query}\n`);
    process.exit(2);
  }
} else if (group === 'ecs' && command === 'list-task-definitions') {
  const defs = Object.values(state.taskDefinitions).filter((d) => d.family.startsWith(opt('--family-prefix')));
  defs.sort((a, b) => (opt('--sort') === 'DESC' ? b.revision - a.revision : a.revision - b.revision));
  process.stdout.write(`${defs.map((d) => d.taskDefinitionArn).join('\t')}\n`);
} else if (group === 'secretsmanager' && command === 'get-secret-value') {
  const secret = state.secrets?.[opt('--secret-id')];
  if (secret === undefined) {
    process.stderr.write('An error occurred (ResourceNotFoundException): Secrets Manager can\'t find the specified secret.\n');
    process.exit(254);
  }
  process.stdout.write(`${secret}\n`);
} else if (group === 'ecs' && command === 'register-task-definition') {
  const input = JSON.parse(readFileSync(opt('--cli-input-json').replace(/^file:\/\//, ''), 'utf8'));
  const revisions = Object.values(state.taskDefinitions).filter((d) => d.family === input.family).length;
  const arn = `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:${revisions + 1}`;
  state.taskDefinitions[arn] = { ...input, taskDefinitionArn: arn, revision: revisions + 1, status: 'ACTIVE' };
  save();
  process.stdout.write(`${arn}\n`);
} else if (group === 'ecs' && command === 'update-service') {
  state.services[opt('--service')] = opt('--task-definition');
  save();
  process.stdout.write(`${opt('--service')}\n`);
} else if (group === 'ecs' && command === 'wait' && args[2] === 'services-stable') {
  if (process.env.FAKE_AWS_UNSTABLE === 'true') {
    process.stderr.write('Waiter ServicesStable failed: Max attempts exceeded\n');
    process.exit(255);
  }
} else {
  process.stderr.write(`fake aws: unexpected call ${args.join(' ')}\n`);
  process.exit(2);
}
