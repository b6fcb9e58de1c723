#!/usr/bin/env node
// Validates Kubernetes manifests against the schema of each object's apiVersion and kind, as
// published by kubernetes-models (and @kubernetes-models/keda for keda.sh): types, required fields
// and formats with the models' validators; unknown fields (a misspelled `imagePulPolicy`), which
// those validators let through, with TypeScript's excess-property check against the models' type
// declarations. An apiVersion or kind the models do not know is an error too.
//
//   kubectl kustomize k8s/overlays/prod | node tools/validate-k8s.mjs -
//   node tools/validate-k8s.mjs [--require-resources] rendered.yaml [more.yaml ...]
//
// --require-resources adds this project's rule: every container of a pod template, init and sidecar
// containers included, sets requests and limits of cpu and memory.
//
// Exit status: 0 when every object is valid, 1 when one is not (each problem printed), 2 on bad usage.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The package holding the models of an API group; every other group is in kubernetes-models. */
const GROUP_PACKAGES = new Map([
  ['keda.sh', '@kubernetes-models/keda'],
  ['eventing.keda.sh', '@kubernetes-models/keda'],
]);

const API_VERSION = /^(?:([a-z0-9]([a-z0-9.-]*[a-z0-9])?)\/)?(v[0-9]+(?:(?:alpha|beta)[0-9]+)?)$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

/**
 * @typedef {unknown} Json parsed YAML: objects, arrays, strings, numbers, booleans and null
 * @typedef {{ [key: string]: Json }} JsonObject
 * @typedef {{ apiVersion: string, kind: string, validate(): void }} ModelInstance
 * @typedef {{ new (data: JsonObject): ModelInstance, apiVersion: unknown, kind: unknown }} ModelClass
 * @typedef {{ index: number, label: string, body: JsonObject, specifier: string, exportName: string }} Resolved
 */

/**
 * Validates every object of one multi-document YAML text.
 * @param {string} text
 * @param {string} source named in each problem
 * @param {{ requireResources?: boolean }} [options]
 * @returns {Promise<{ objects: string[], problems: string[] }>} `Kind/name` of each object, and the problems
 */
export async function validateManifests(text, source, options = {}) {
  /** @type {{ index: number, text: string }[]} */
  const found = [];
  const problem = (/** @type {number} */ index, /** @type {string} */ text) => found.push({ index, text });
  /** @type {string[]} */
  const objects = [];
  /** @type {unknown[]} */
  let documents;
  try {
    // The YAML 1.2 core schema, as for JSON: no timestamps or other YAML-only types.
    documents = yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA });
  } catch (error) {
    return {
      objects,
      problems: [`${source}: not YAML: ${error instanceof Error ? error.message : String(error)}`],
    };
  }

  /** @type {Resolved[]} */
  const resolved = [];
  /** @type {Map<number, Set<string>>} paths with a validator error, per document, to report each once */
  const reported = new Map();
  for (const [index, document] of documents.entries()) {
    if (document === null || document === undefined) continue;
    const where = `${source}, document ${index + 1}`;
    if (!isObject(document)) {
      problem(index, `${where}: not a Kubernetes object`);
      continue;
    }
    const { apiVersion, kind } = document;
    const name = isObject(document.metadata) ? document.metadata.name : undefined;
    const label = `${where} (${typeof kind === 'string' ? kind : '?'}/${typeof name === 'string' ? name : '?'})`;
    objects.push(`${String(kind)}/${String(name)}`);
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      problem(index, `${label}: apiVersion and kind are required strings`);
      continue;
    }
    if (typeof name !== 'string' || name === '') problem(index, `${label}: metadata.name: required`);
    if (options.requireResources === true) {
      for (const missing of missingResources(document)) problem(index, `${label}: ${missing}`);
    }

    const model = await loadModel(apiVersion, kind);
    if (typeof model === 'string') {
      problem(index, `${label}: ${model}`);
      continue;
    }
    try {
      new model.Model(document).validate();
    } catch (error) {
      const paths = new Set();
      for (const { path, message } of validatorErrors(error)) {
        paths.add(path);
        problem(index, `${label}: ${path || '(object)'}: ${message}`);
      }
      reported.set(index, paths);
    }
    const { apiVersion: _apiVersion, kind: _kind, ...body } = document;
    resolved.push({ index, label, body, specifier: model.specifier, exportName: kind });
  }

  for (const { index, label, path, message } of unknownFields(resolved)) {
    if (reported.get(index)?.has(path)) continue;
    problem(index, `${label}: ${path || '(object)'}: ${message}`);
  }
  found.sort((a, b) => a.index - b.index);
  return { objects, problems: found.map(({ text }) => text) };
}

/** Where each workload kind keeps its pod template's spec. */
const POD_SPEC_PATHS = new Map([
  ['Pod', ['spec']],
  ['Deployment', ['spec', 'template', 'spec']],
  ['StatefulSet', ['spec', 'template', 'spec']],
  ['DaemonSet', ['spec', 'template', 'spec']],
  ['ReplicaSet', ['spec', 'template', 'spec']],
  ['Job', ['spec', 'template', 'spec']],
  ['CronJob', ['spec', 'jobTemplate', 'spec', 'template', 'spec']],
]);

/**
 * The containers of a workload without requests or limits of cpu or memory.
 * @param {JsonObject} document
 * @returns {string[]}
 */
function missingResources(document) {
  const path = typeof document.kind === 'string' ? POD_SPEC_PATHS.get(document.kind) : undefined;
  if (path === undefined) return [];
  /** @type {unknown} */
  let spec = document;
  for (const key of path) spec = isObject(spec) ? spec[key] : undefined;
  if (!isObject(spec)) return [];
  const specPath = path.reduce(joinPath, '');
  /** @type {string[]} */
  const missing = [];
  for (const list of ['initContainers', 'containers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((container, i) => {
      const resources = isObject(container) && isObject(container.resources) ? container.resources : {};
      for (const bound of ['requests', 'limits']) {
        const values = resources[bound];
        const absent = ['cpu', 'memory'].filter(
          (resource) => !isObject(values) || values[resource] === undefined,
        );
        if (absent.length > 0) {
          const containerName =
            isObject(container) && typeof container.name === 'string' ? ` (${container.name})` : '';
          missing.push(
            `${specPath}.${list}[${i}]${containerName}.resources.${bound}: ${absent.join(' and ')} required (--require-resources)`,
          );
        }
      }
    });
  }
  return missing;
}

/**
 * The model class of an apiVersion and kind, or why there is none.
 * @param {string} apiVersion
 * @param {string} kind
 * @returns {Promise<{ Model: ModelClass, specifier: string } | string>}
 */
async function loadModel(apiVersion, kind) {
  const match = API_VERSION.exec(apiVersion);
  if (match === null) return `apiVersion "${apiVersion}" is not GROUP/VERSION or VERSION`;
  if (!KIND.test(kind)) return `kind "${kind}" is not a kind name`;
  const group = match[1];
  const version = match[3];
  const pkg = (group === undefined ? undefined : GROUP_PACKAGES.get(group)) ?? 'kubernetes-models';
  const specifier = `${pkg}/${group === undefined ? '' : `${group}/`}${version}/${kind}`;
  /** @type {Record<string, unknown>} */
  let module;
  try {
    module = await import(specifier);
  } catch (error) {
    const code = isObject(error) ? error.code : undefined;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')
      return `unknown apiVersion/kind "${apiVersion}" "${kind}": no schema for it in ${pkg}`;
    throw error;
  }
  const Model = module[kind];
  // A file of that name may hold a part of a schema (DeploymentSpec), which is no kind.
  if (
    typeof Model !== 'function' ||
    !('apiVersion' in Model && 'kind' in Model) ||
    Model.apiVersion !== apiVersion ||
    Model.kind !== kind
  )
    return `unknown apiVersion/kind "${apiVersion}" "${kind}": no schema for it in ${pkg}`;
  return { Model: /** @type {ModelClass} */ (Model), specifier };
}

/**
 * The validator's errors as paths and messages.
 * @param {unknown} error
 * @returns {{ path: string, message: string }[]}
 */
function validatorErrors(error) {
  const errors = isObject(error) && Array.isArray(error.errors) ? error.errors : undefined;
  if (errors === undefined)
    return [{ path: '', message: error instanceof Error ? error.message : String(error) }];
  return errors.map((entry) => {
    const pointer = isObject(entry) && typeof entry.instancePath === 'string' ? entry.instancePath : '';
    const message = isObject(entry) && typeof entry.message === 'string' ? entry.message : 'invalid';
    const params = isObject(entry) && isObject(entry.params) ? entry.params : {};
    const allowed = Array.isArray(params.allowedValues) ? ` (${params.allowedValues.join(', ')})` : '';
    const segments = pointer
      .split('/')
      .slice(1)
      .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
    return { path: segments.reduce(joinPath, ''), message: `${message}${allowed}` };
  });
}

/**
 * Unknown fields and type mismatches, from type-checking each object of each document against its
 * model's type in one TypeScript program. One declaration per object, whose nested objects are left
 * out (`null as never`) and declared on their own, so that every problem is found, not only the first
 * of each document.
 * @param {Resolved[]} resolved
 * @returns {{ index: number, label: string, path: string, message: string }[]}
 */
function unknownFields(resolved) {
  if (resolved.length === 0) return [];
  /** @typedef {{ index: number, label: string, path: string }} Origin */
  /** @type {string[]} */
  const lines = [
    'type Data<C> = C extends abstract new (data?: infer D) => unknown ? NonNullable<D> : never;',
    'type Field<T, K extends string> = T extends unknown ? (K extends keyof T ? NonNullable<T[K]> : never) : never;',
    'type Item<T> = T extends readonly (infer E)[] ? NonNullable<E> : never;',
  ];
  /** @type {(Origin | undefined)[]} the document and path each line of the program shows */
  const origins = lines.map(() => undefined);
  const add = (/** @type {string} */ line, /** @type {Origin | undefined} */ origin) => {
    lines.push(line);
    origins.push(origin);
  };
  let count = 0;

  /**
   * Declares a value with the type named `type`, then its nested objects.
   * @param {Resolved} item
   * @param {Json} value
   * @param {string} type
   * @param {string} path
   */
  const declare = (item, value, type, path) => {
    const origin = { index: item.index, label: item.label, path };
    const name = `v${count++}`;
    if (isObject(value)) {
      /** @type {[string, Json][]} */
      const nested = [];
      add(`export const ${name}: ${type} = {`, origin);
      for (const [key, child] of Object.entries(value)) {
        const inline = isScalar(child) || (Array.isArray(child) && child.every(isScalar));
        add(`  ${JSON.stringify(key)}: ${inline ? JSON.stringify(child) : 'null as never'},`, {
          ...origin,
          path: joinPath(path, key),
        });
        if (!inline) nested.push([key, child]);
      }
      add('};', origin);
      for (const [i, [key, child]] of nested.entries()) {
        add(`type ${name}_${i} = Field<${type}, ${JSON.stringify(key)}>;`, undefined);
        declare(item, child, `${name}_${i}`, joinPath(path, key));
      }
    } else if (Array.isArray(value) && !value.every(isScalar)) {
      add(`type ${name}_item = Item<${type}>;`, undefined);
      value.forEach((element, i) => declare(item, element, `${name}_item`, `${path}[${i}]`));
    } else {
      add(`export const ${name}: ${type} = ${JSON.stringify(value)};`, origin);
    }
  };

  for (const [n, item] of resolved.entries()) {
    add(`import type { ${item.exportName} as M${n} } from ${JSON.stringify(item.specifier)};`, undefined);
    add(`type T${n} = Data<typeof M${n}>;`, undefined);
    declare(item, item.body, `T${n}`, '');
  }

  const fileName = join(ROOT, 'tools', '__validate-k8s__.ts');
  const text = lines.join('\n');
  /** @type {ts.CompilerOptions} */
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => file === fileName || fileExists.call(host, file);
  host.readFile = (file) => (file === fileName ? text : readFile.call(host, file));
  host.getSourceFile = (file, languageVersion, ...rest) =>
    file === fileName
      ? ts.createSourceFile(file, text, languageVersion)
      : getSourceFile.call(host, file, languageVersion, ...rest);
  const program = ts.createProgram([fileName], options, host);
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
  /** @type {(Origin & { message: string })[]} */
  const found = [];
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    const line =
      diagnostic.file?.fileName === fileName && diagnostic.start !== undefined
        ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line
        : undefined;
    const origin = line === undefined ? undefined : origins[line];
    // Anywhere else, the models themselves failed to load: a broken installation, not a manifest.
    if (origin === undefined) throw new Error(`validate-k8s: ${message}`);
    found.push({ ...origin, message: describe(diagnostic.code, message) });
  }
  // Below an unknown or mistyped field everything fails again: report the field only.
  return found.filter(
    (problem) =>
      !found.some(
        (other) =>
          other.index === problem.index &&
          (problem.path.startsWith(`${other.path}.`) || problem.path.startsWith(`${other.path}[`)),
      ),
  );
}

/**
 * TypeScript's words for an unknown field, in the words of a manifest.
 * @param {number} code
 * @param {string} message
 */
function describe(code, message) {
  // 2353: "Object literal may only specify known properties, and '"x"' does not exist in type 'Y'";
  // 2561: the same with "Did you mean to write 'z'?".
  if (code !== 2353 && code !== 2561) return message;
  const unquote = (/** @type {string | undefined} */ name) => name?.replace(/^"(.*)"$/, '$1');
  const field = unquote(/'([^']+)' does not exist in type/.exec(message)?.[1]) ?? '?';
  const suggestion = unquote(/Did you mean to write '([^']+)'\?/.exec(message)?.[1]);
  return `unknown field "${field}"${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`;
}

/**
 * `spec.containers[0]["app.kubernetes.io/name"]`
 * @param {string} path
 * @param {string} segment
 */
function joinPath(path, segment) {
  if (/^[0-9]+$/.test(segment)) return `${path}[${segment}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) return path === '' ? segment : `${path}.${segment}`;
  return `${path}[${JSON.stringify(segment)}]`;
}

/**
 * @param {unknown} value
 * @returns {value is string | number | boolean | null}
 */
function isScalar(value) {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/**
 * @param {unknown} value
 * @returns {value is JsonObject}
 */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function main() {
  const args = process.argv.slice(2);
  const requireResources = args.includes('--require-resources');
  const files = args.filter((arg) => arg !== '--require-resources');
  if (files.length === 0 || files.some((file) => file.startsWith('-') && file !== '-')) {
    console.error('usage: node tools/validate-k8s.mjs [--require-resources] FILE.yaml... (- for stdin)');
    process.exit(files.includes('-h') || files.includes('--help') ? 0 : 2);
  }
  let failed = false;
  for (const file of files) {
    const source = file === '-' ? 'stdin' : file;
    const { objects, problems } = await validateManifests(
      readFileSync(file === '-' ? 0 : file, 'utf8'),
      source,
      { requireResources },
    );
    for (const problem of problems) console.error(problem);
    if (problems.length > 0) failed = true;
    console.log(
      `${source}: ${objects.length} objects, ${problems.length === 0 ? 'all valid' : `${problems.length} problems`}`,
    );
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
