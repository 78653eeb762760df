/**
 * Kubernetes manifests checked against the API's schemas, as far as no cluster is needed:
 * kubernetes-models (generated from the Kubernetes OpenAPI spec) validates types, enums,
 * formats and required fields; its TypeScript declarations, from the same spec, catch what
 * the JSON schemas let through: a field the API does not have (a typo such as
 * `securityContex`), which the API server would drop or, with strict field validation, refuse.
 */
import path from 'node:path';
import { Namespace, ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import ts from 'typescript';

interface Validatable {
  validate(): void;
}

/** The kinds the manifests use: apiVersion/kind -> the model class and its declaration. */
const KINDS: Record<
  string,
  { model: new (data: never) => Validatable; module: string; type: string }
> = {
  'v1/Namespace': {
    model: Namespace,
    module: 'kubernetes-models/v1/Namespace',
    type: 'INamespace',
  },
  'v1/ConfigMap': {
    model: ConfigMap,
    module: 'kubernetes-models/v1/ConfigMap',
    type: 'IConfigMap',
  },
  'v1/Secret': { model: Secret, module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/Deployment': {
    model: Deployment,
    module: 'kubernetes-models/apps/v1/Deployment',
    type: 'IDeployment',
  },
  'apps/v1/StatefulSet': {
    model: StatefulSet,
    module: 'kubernetes-models/apps/v1/StatefulSet',
    type: 'IStatefulSet',
  },
  'networking.k8s.io/v1/NetworkPolicy': {
    model: NetworkPolicy,
    module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    type: 'INetworkPolicy',
  },
};

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

export function kindKey(doc: Manifest): string {
  return `${doc.apiVersion}/${doc.kind}`;
}

/** JSON-schema errors of one document ("" when valid); an unknown kind is an error. */
export function schemaErrors(doc: Manifest): string {
  const kind = KINDS[kindKey(doc)];
  if (kind === undefined) return `unknown apiVersion/kind ${kindKey(doc)}`;
  try {
    new kind.model(doc as never).validate();
    return '';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Fields the API does not know, and values of the wrong type, in any of `docs`: each document
 * is type-checked as an object literal of its kind's declared type (excess property checks).
 * One message per problem, naming the document and the field.
 */
export function strictFieldErrors(docs: readonly Manifest[], root: string): string[] {
  const file = path.join(root, 'test', '.kubernetes-manifest-check.ts');
  const lines: string[] = [];
  docs.forEach((doc, i) => {
    const kind = KINDS[kindKey(doc)];
    if (kind === undefined) return;
    lines.push(`import type { ${kind.type} as T${i} } from '${kind.module}';`);
    lines.push(`export const doc${i}: T${i} = ${JSON.stringify(doc, null, 1)};`);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file
      ? ts.createSourceFile(name, source, language, true)
      : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const sourceFile = program.getSourceFile(file);
  return ts.getPreEmitDiagnostics(program, sourceFile).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const owner = /^export const doc(\d+)/;
    const sourceLines = source.split('\n');
    let index = line;
    while (index > 0 && !owner.test(sourceLines[index] ?? '')) index--;
    const docIndex = Number(owner.exec(sourceLines[index] ?? '')?.[1] ?? -1);
    const doc = docs[docIndex];
    const where = doc === undefined ? '?' : `${doc.kind} ${doc.metadata.name}`;
    return `${where}: ${text}`;
  });
}
