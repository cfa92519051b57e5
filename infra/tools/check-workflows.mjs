// Structural check of GitHub Actions workflows with a real YAML 1.2 parser
// (YAML 1.1 parsers such as PyYAML read the `on:` key as the boolean true).
// Usage: node infra/tools/check-workflows.mjs <file.yml>...
import { readFileSync } from 'node:fs';
import { parseDocument, isMap, isSeq } from 'yaml';

const files = process.argv.slice(2);
let problems = 0;

function report(file, message) {
  console.log(`FAIL  ${file}: ${message}`);
  problems++;
}

for (const file of files) {
  const before = problems;
  const doc = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true, prettyErrors: true });
  for (const error of doc.errors) report(file, `YAML error: ${error.message}`);
  for (const warning of doc.warnings) report(file, `YAML warning: ${warning.message}`);
  if (doc.errors.length > 0) continue;

  if (!isMap(doc.contents)) {
    report(file, 'top level is not a mapping');
    continue;
  }
  const workflow = doc.toJS();
  if (!('on' in workflow)) report(file, 'missing `on`');
  const jobs = workflow.jobs;
  if (jobs === null || typeof jobs !== 'object' || Array.isArray(jobs) || Object.keys(jobs).length === 0) {
    report(file, 'missing or empty `jobs` mapping');
    continue;
  }

  for (const [id, job] of Object.entries(jobs)) {
    if (job === null || typeof job !== 'object') {
      report(file, `job ${id} is not a mapping`);
      continue;
    }
    if (typeof job.uses === 'string') continue; // reusable workflow call: no runs-on/steps
    if (!job['runs-on']) report(file, `job ${id} has no runs-on`);
    if (!Array.isArray(job.steps) || job.steps.length === 0) {
      report(file, `job ${id} has no steps`);
      continue;
    }
    job.steps.forEach((step, index) => {
      const where = `job ${id} step ${index + 1}`;
      if (step === null || typeof step !== 'object') return report(file, `${where} is not a mapping`);
      const hasUses = typeof step.uses === 'string';
      const hasRun = typeof step.run === 'string';
      if (hasUses === hasRun) report(file, `${where} needs exactly one of uses/run`);
      if (hasUses && !/^[\w.-]+\/[\w./-]+@[\w.-]+$|^\.\/|^docker:\/\//.test(step.uses)) {
        report(file, `${where} uses '${step.uses}' without an @ref`);
      }
      // OIDC login cannot get a token without this permission.
      if (hasUses && step.uses.startsWith('azure/login@')) {
        const permissions = job.permissions ?? workflow.permissions ?? {};
        if (permissions['id-token'] !== 'write') report(file, `${where} uses azure/login without permissions id-token: write`);
      }
    });
  }
  if (problems === before) console.log(`ok    ${file}`);
}

if (files.length === 0) {
  console.log('FAIL  no workflow files given');
  problems++;
}
process.exit(problems === 0 ? 0 : 1);
