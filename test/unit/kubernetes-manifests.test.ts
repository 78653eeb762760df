/**
 * deploy/kubernetes/: every document is a known kind, valid against the Kubernetes schemas, has
 * no field the API lacks, and keeps the project's rules (non-root, read-only root, no privilege
 * escalation, limits, probes, egress denied, no token in git, the seccomp profile in place).
 * Each check is shown to fail on a mutated copy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  kindKey,
  schemaErrors,
  strictFieldErrors,
  type Manifest,
} from '../helpers/kubernetes-schema.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR = path.join(ROOT, 'deploy/kubernetes');
const SECCOMP = path.join(DIR, 'seccomp/isolated-pymcp.json');
/** The namespace calls bwrap makes (strace -f of `isolated-pymcp run`; docs/deploy.md). */
const NAMESPACE_CALLS = ['clone', 'unshare', 'mount', 'umount2', 'pivot_root'];
const CLONE_NEWUSER = 0x10000000;
const ENOSYS = 38;

function load(): Manifest[] {
  const docs: Manifest[] = [];
  for (const name of readdirSync(DIR)
    .filter((n) => n.endsWith('.yaml'))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(path.join(DIR, name), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${name}: ${doc.errors.join('; ')}`);
      docs.push(doc.toJS() as Manifest);
    }
  }
  return docs;
}

interface Container {
  name: string;
  args?: string[];
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    privileged?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
}

interface PodSpec {
  hostUsers?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string; localhostProfile?: string };
  };
  containers: Container[];
  initContainers?: Container[];
}

interface Workload extends Manifest {
  spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

const isWorkload = (doc: Manifest): doc is Workload =>
  doc.kind === 'Deployment' || doc.kind === 'StatefulSet';

const argAfter = (args: readonly string[] | undefined, flag: string): string | undefined =>
  args?.[args.indexOf(flag) + 1];

/** The project's rules; one message per violation. */
function ruleViolations(docs: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const workloads = docs.filter(isWorkload);
  for (const w of workloads) {
    const pod = w.spec.template.spec;
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      const at = `${w.kind} ${w.metadata.name} container ${c.name}`;
      const sc = c.securityContext ?? {};
      const nonRoot = sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const uid = sc.runAsUser ?? pod.securityContext?.runAsUser;
      if (nonRoot !== true || uid === undefined || uid === 0)
        problems.push(`${at}: may run as root`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem writable`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: privilege escalation`);
      if (sc.privileged === true) problems.push(`${at}: privileged`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: capabilities kept`);
      if ((sc.capabilities?.add ?? []).length > 0) problems.push(`${at}: capabilities added`);
      if (c.resources?.limits?.memory === undefined) problems.push(`${at}: no memory limit`);
      if (c.resources?.requests?.memory === undefined) problems.push(`${at}: no memory request`);
    }
  }
  const server = workloads.find((w) => w.metadata.name === 'isolated-pymcp');
  const main = server?.spec.template.spec.containers.find((c) => c.name === 'server');
  if (server === undefined || main === undefined) return [...problems, 'no server workload'];
  const pod = server.spec.template.spec;
  if (main.readinessProbe?.httpGet?.path !== '/readyz')
    problems.push('server: readiness not /readyz');
  if (main.livenessProbe?.httpGet?.path !== '/healthz')
    problems.push('server: liveness not /healthz');
  if (pod.hostUsers !== false) problems.push('server: no pod user namespace (hostUsers)');
  if (argAfter(main.args, '--host') !== '127.0.0.1') problems.push('server: not bound to loopback');
  const maxTimeout = Number(argAfter(main.args, '--max-timeout'));
  if (!((pod.terminationGracePeriodSeconds ?? 30) > maxTimeout))
    problems.push('server: grace period not longer than the longest call');
  const seccomp = pod.securityContext?.seccompProfile;
  if (
    seccomp?.type !== 'Localhost' ||
    path.basename(seccomp.localhostProfile ?? '') !== path.basename(SECCOMP)
  )
    problems.push('server: not the Localhost seccomp profile shipped in seccomp/');

  const labels = server.spec.template.metadata.labels;
  const policies = docs.filter((d) => d.kind === 'NetworkPolicy') as Array<
    Manifest & {
      spec: {
        podSelector: { matchLabels?: Record<string, string> };
        policyTypes?: string[];
        egress?: unknown[];
        ingress?: Array<{
          from?: Array<{ podSelector?: { matchLabels?: Record<string, string> } }>;
        }>;
      };
    }
  >;
  const selects = (selector: Record<string, string> | undefined, target: Record<string, string>) =>
    selector !== undefined && Object.entries(selector).every(([k, v]) => target[k] === v);
  const serverPolicy = policies.find((p) => selects(p.spec.podSelector.matchLabels, labels));
  if (serverPolicy === undefined) problems.push('server: no NetworkPolicy selects its pods');
  else {
    const { policyTypes = [], egress, ingress = [] } = serverPolicy.spec;
    if (!policyTypes.includes('Egress') || (egress ?? []).length > 0)
      problems.push('server: egress not denied');
    const router = workloads.find((w) => w.metadata.name === 'isolated-pymcp-router');
    const routerLabels = router?.spec.template.metadata.labels ?? {};
    const sources = ingress.flatMap((rule) => rule.from ?? []);
    if (
      !policyTypes.includes('Ingress') ||
      sources.length === 0 ||
      !sources.every((s) => selects(s.podSelector?.matchLabels, routerLabels))
    )
      problems.push('server: ingress not limited to the router');
  }
  for (const secret of docs.filter((d) => d.kind === 'Secret') as Array<
    Manifest & { data?: Record<string, string>; stringData?: Record<string, string> }
  >) {
    for (const [key, value] of Object.entries({ ...secret.data, ...secret.stringData }))
      if (value !== '') problems.push(`Secret ${secret.metadata.name}: ${key} holds a value`);
  }
  return problems;
}

interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: Array<{ index: number; value: number; op: string }>;
}
interface SeccompProfile {
  defaultAction: string;
  syscalls: SeccompRule[];
}

function seccompViolations(profile: SeccompProfile): string[] {
  const problems: string[] = [];
  if (!['SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL'].includes(profile.defaultAction))
    problems.push(`default action ${profile.defaultAction} does not deny`);
  const allowed = (name: string) =>
    profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(name));
  for (const call of NAMESPACE_CALLS)
    if (allowed(call).length === 0) problems.push(`${call} not allowed`);
  if (allowed('setns').length > 0) problems.push('setns allowed (bwrap never joins a namespace)');
  const unshare = allowed('unshare');
  if (
    !unshare.every(
      (r) =>
        r.args?.length === 1 &&
        r.args[0]?.op === 'SCMP_CMP_EQ' &&
        r.args[0].value === CLONE_NEWUSER,
    )
  )
    problems.push('unshare allowed beyond CLONE_NEWUSER');
  const clone3 = profile.syscalls.find((r) => r.names.includes('clone3'));
  if (clone3?.action !== 'SCMP_ACT_ERRNO' || clone3.errnoRet !== ENOSYS)
    problems.push('clone3 not answered ENOSYS (its flags cannot be filtered)');
  return problems;
}

const docs = load();
const mutated = (): Manifest[] => structuredClone(docs);
const serverContainer = (copy: Manifest[]): Record<string, unknown> => {
  const w = copy.find((d) => d.metadata.name === 'isolated-pymcp' && isWorkload(d)) as Workload;
  return w.spec.template.spec.containers[0] as unknown as Record<string, unknown>;
};

describe('deploy/kubernetes manifests', () => {
  it('are the kinds a deployment needs, each known to the API', () => {
    expect(docs.map(kindKey).sort()).toEqual(
      expect.arrayContaining([
        'apps/v1/StatefulSet',
        'apps/v1/Deployment',
        'v1/Service',
        'v1/Secret',
        'v1/ConfigMap',
        'networking.k8s.io/v1/NetworkPolicy',
      ]),
    );
    for (const doc of docs)
      expect(doc.metadata.namespace ?? 'isolated-pymcp').toBe('isolated-pymcp');
  });

  it('are valid against the Kubernetes JSON schemas', () => {
    expect(docs.map((d) => [`${d.kind} ${d.metadata.name}`, schemaErrors(d)])).toEqual(
      docs.map((d) => [`${d.kind} ${d.metadata.name}`, '']),
    );
  });

  it('use no field the Kubernetes API lacks', () => {
    expect(strictFieldErrors(docs, ROOT)).toEqual([]);
  });

  it('keep the project rules', () => {
    expect(ruleViolations(docs)).toEqual([]);
  });

  it('fail the strict check on a misspelt field', () => {
    const copy = mutated();
    const c = serverContainer(copy);
    c.securityContex = c.securityContext;
    delete c.securityContext;
    const errors = strictFieldErrors(copy, ROOT);
    expect(errors.join('\n')).toMatch(
      /^StatefulSet isolated-pymcp: .*\bsecurityContex\b.*does not exist in type 'IContainer'/m,
    );
    // The JSON schemas alone let it through: that is why the strict check exists.
    expect(schemaErrors(copy.find((d) => d.kind === 'StatefulSet')!)).toBe('');
  });

  it('fail the schema check on a value of the wrong type or outside an enum', () => {
    const copy = mutated();
    const c = serverContainer(copy) as { securityContext: Record<string, unknown> };
    c.securityContext.procMount = 'Unmasket';
    expect(schemaErrors(copy.find((d) => d.kind === 'StatefulSet')!)).toMatch(/procMount/);
    expect(schemaErrors({ ...docs[0]!, apiVersion: 'v2' })).toMatch(/unknown apiVersion\/kind/);
  });

  it('fail the rules on a writable root, root user, kept egress or a token in the Secret', () => {
    const copy = mutated();
    const c = serverContainer(copy) as { securityContext: Record<string, unknown> };
    c.securityContext.readOnlyRootFilesystem = false;
    c.securityContext.runAsUser = 0;
    const policy = copy.find((d) => d.kind === 'NetworkPolicy') as unknown as {
      spec: { egress: unknown[] };
    };
    policy.spec.egress = [{}];
    const secret = copy.find((d) => d.kind === 'Secret') as unknown as {
      stringData: Record<string, string>;
    };
    secret.stringData.token = 'a-real-looking-token-0123456789';
    expect(ruleViolations(copy)).toEqual(
      expect.arrayContaining([
        'StatefulSet isolated-pymcp container server: root filesystem writable',
        'StatefulSet isolated-pymcp container server: may run as root',
        'server: egress not denied',
        'Secret isolated-pymcp-token: token holds a value',
      ]),
    );
  });
});

describe('the seccomp profile', () => {
  const profile = JSON.parse(readFileSync(SECCOMP, 'utf8')) as SeccompProfile;

  it('denies by default and allows exactly the namespace calls bwrap makes', () => {
    expect(seccompViolations(profile)).toEqual([]);
  });

  it('is caught when it allows setns, any unshare, or lacks mount', () => {
    const copy = structuredClone(profile);
    copy.defaultAction = 'SCMP_ACT_ALLOW';
    copy.syscalls = [
      ...copy.syscalls.map((r) => ({ ...r, names: r.names.filter((n) => n !== 'mount') })),
      { names: ['setns'], action: 'SCMP_ACT_ALLOW' },
    ];
    for (const rule of copy.syscalls) delete rule.args;
    expect(seccompViolations(copy)).toEqual([
      'default action SCMP_ACT_ALLOW does not deny',
      'mount not allowed',
      'setns allowed (bwrap never joins a namespace)',
      'unshare allowed beyond CLONE_NEWUSER',
    ]);
  });
});
